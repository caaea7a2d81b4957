import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import t from 'tap'
import { signOperatorToken } from '../src/operator/operator_token.js'
import { axeViolations, launchBrowser, openPage, screenshot, staticDir } from './support/browser.js'
import { ORIGIN, putCampaign, startNode, type TestNode } from './support/test_node.js'
import type { TestClient } from './support/test_client.js'
import { until } from './support/until.js'

/**
 * The admin side of the console in real Chromium against a real node: site settings with
 * field-exact errors, the embed-code generator (copied snippet loads a working widget),
 * canned responses managed and inserted with `/`, and no clipped table column at 1280-1920 px.
 */
const SITE = 'shop'
const WAIT_MS = 10_000
const HOOK_SECRET = 'hook-secret-0123456789'

t.test('site settings, embed code, canned responses and layout', async (t) => {
  const web = await staticDir()
  const n: TestNode = await startNode({ BECKON_STATIC_DIR: web.dir, BECKON_LINGER_SECONDS: '0' })
  await n.site(SITE)
  const site = n.node.sites.get(SITE)
  if (!site) throw new Error('site missing')
  const leadToken = await signOperatorToken(site, {
    id: 'lee',
    name: 'Lee',
    perms: ['manage_site', 'manage_canned', 'manage_campaigns', 'sees_all_online_visitors'],
  })
  const agentToken = await signOperatorToken(site, { id: 'pat', name: 'Pat' })
  const browser: Browser = await launchBrowser()
  const contexts: BrowserContext[] = []
  const clients: TestClient[] = []
  t.teardown(async () => {
    for (const c of clients) c.close()
    await Promise.all(contexts.map((c) => c.close()))
    await browser.close()
    await n.stop()
    await web.remove()
  })

  const open = (path: string, options: Parameters<Browser['newContext']>[0] = {}): Promise<Page> =>
    openPage(browser, contexts, `${n.base}${path}`, { ...options, fail: (m) => t.fail(m), waitMs: WAIT_MS })
  const online = (page: Page) => page.locator('[data-testid=status][data-state=online]').waitFor()

  const lead = await open(`/console/#token=${leadToken}`, { permissions: ['clipboard-read', 'clipboard-write'] })
  await online(lead)
  const errorAt = (path: string) => lead.locator(`[data-testid=field-error][data-error-path="${path}"]`)
  const save = () => lead.getByTestId('settings-save').click()

  t.test('site settings: edit every setting, errors at their field, saved state', async (t) => {
    await lead.getByTestId('view-settings').click()
    await lead.getByTestId('site-settings').waitFor()
    const origins = lead.getByTestId('settings-origins')
    await origins.waitFor()
    t.equal(await origins.inputValue(), ORIGIN, 'the stored origins are shown')
    t.equal(await lead.getByTestId('settings-state').textContent(), 'No changes')

    await origins.fill(`${ORIGIN}\nhttps://bad.example/path`)
    t.equal(await lead.getByTestId('settings-state').textContent(), 'Unsaved changes')
    await save()
    await errorAt('origins')
      .filter({ hasText: /expected an origin/ })
      .waitFor()
    t.equal(n.node.sites.get(SITE)?.origins.length, 1, 'nothing saved')
    await origins.fill(`${ORIGIN}\n${n.base}`)

    await lead.getByTestId('settings-departments').fill('sales\nsupport\nbilling')

    await lead.getByTestId('hours-enabled').check()
    await lead.getByTestId('hours-tz').selectOption('Europe/Berlin')
    const monday = lead.locator('[data-testid=schedule-day][data-day=mon]')
    await monday.getByTestId('add-range').click()
    await monday.getByLabel('Monday range 1 end').fill('08:00')
    await save()
    const hoursError = monday.locator('[data-testid=field-error][data-error-path="hours.week.mon.0.1"]')
    await hoursError.filter({ hasText: /end must be after start/ }).waitFor()
    t.equal(await monday.getByLabel('Monday range 1 end').getAttribute('aria-invalid'), 'true', 'the input is marked')
    await monday.getByLabel('Monday range 1 end').fill('17:00')
    await monday.getByTestId('copy-to-all').click()
    await lead.getByTestId('webhook-url').fill('http://127.0.0.1:9/hook')
    await lead.getByTestId('webhook-secret').fill('short')
    await save()
    await errorAt('webhook.secret')
      .filter({ hasText: /16 characters/ })
      .waitFor()
    await lead.getByTestId('webhook-secret').fill(HOOK_SECRET)
    await save()
    await lead
      .getByTestId('settings-state')
      .filter({ hasText: /^Saved at/ })
      .waitFor()
    t.equal(await lead.getByTestId('field-error').count(), 0, 'no error left')

    const stored = n.node.sites.get(SITE)
    t.strictSame(stored?.origins, [ORIGIN, n.base])
    t.strictSame(stored?.departments, ['sales', 'support', 'billing'])
    t.equal(stored?.hours?.tz, 'Europe/Berlin')
    t.strictSame(stored?.hours?.week.sun, [['09:00', '17:00']], 'copied to every day')
    t.strictSame(stored?.webhook, { url: 'http://127.0.0.1:9/hook', secret: HOOK_SECRET })
    t.equal(await lead.getByTestId('webhook-secret-state').textContent(), 'Set · hidden', 'the secret shows as set')
    t.notMatch(await lead.content(), HOOK_SECRET, 'and is nowhere on the page')

    await lead.getByTestId('webhook-secret-replace').click()
    await lead.getByTestId('webhook-secret').fill('another-secret-0123456789')
    await save()
    await lead.getByTestId('webhook-secret-state').waitFor()
    t.equal(n.node.sites.get(SITE)?.webhook?.secret, 'another-secret-0123456789', 'replaced')

    await lead.reload()
    await online(lead)
    await lead.getByTestId('site-settings').waitFor()
    await until('origins loaded', async () =>
      (await lead.getByTestId('settings-origins').inputValue()).includes(n.base),
    )
    t.equal(await lead.getByTestId('hours-tz').inputValue(), 'Europe/Berlin', 'kept across a reload')
    t.strictSame(await axeViolations(lead), [], 'settings view: no serious or critical axe violation')
    await screenshot(lead, 'site-settings-1440')
    await lead.setViewportSize({ width: 1024, height: 768 })
    await screenshot(lead, 'site-settings-1024')
    await lead.setViewportSize({ width: 1440, height: 900 })
  })

  t.test('without manage_site the view is not offered and the node refuses', async (t) => {
    const pat = await open(`/console/#token=${agentToken}`)
    await online(pat)
    t.equal(await pat.getByTestId('view-settings').count(), 0, 'no settings in the menu')
    await pat.evaluate(() => {
      location.hash = '#settings'
    })
    await pat.getByTestId('settings-forbidden').waitFor()
    const status = await pat.evaluate(
      async ([path, token]) =>
        (await fetch(path, { method: 'PATCH', headers: { authorization: `Bearer ${token}` }, body: '{}' })).status,
      [`/v1/sites/${SITE}/settings`, agentToken] as const,
    )
    t.equal(status, 403)
  })

  t.test('embed code: options, live snippet, copy, and the snippet brings the widget up', async (t) => {
    await lead.getByTestId('view-settings').click()
    const snippet = lead.getByTestId('embed-snippet')
    await snippet.filter({ hasText: `data-site="${SITE}"` }).waitFor()
    await lead.getByTestId('embed-widget').fill('pricing')
    await lead.getByTestId('embed-department').selectOption('billing')
    await lead.getByTestId('embed-accent-text').fill('#ffd400')
    await lead
      .getByTestId('embed-contrast')
      .filter({ hasText: /below WCAG AA/ })
      .waitFor()
    await lead.getByTestId('embed-accent').fill('#0f766e')
    t.equal(await lead.getByTestId('embed-contrast').count(), 0, 'a dark accent passes AA')
    const text = (await snippet.textContent()) ?? ''
    t.match(text, `src="${n.base}/dist/widget.js"`)
    t.match(text, 'data-widget="pricing" data-department="billing"')
    t.match(text, '--beckon-accent:#0f766e')

    await lead.getByTestId('embed-copy').click()
    await lead.getByTestId('embed-copied').filter({ hasText: 'Copied' }).waitFor()
    const copied = await lead.evaluate(() => navigator.clipboard.readText())
    t.equal(copied, text, 'the clipboard holds the snippet as shown')
    await screenshot(lead, 'embed-code', { fullPage: true })

    await writeFile(
      join(web.dir, 'demo', 'embedded.html'),
      `<!doctype html><html><head><title>Embedded</title></head><body><h1>Pricing</h1>\n${copied}\n</body></html>`,
    )
    const page = await open('/demo/embedded.html', { viewport: { width: 1000, height: 700 } })
    const launcher = page.getByTestId('launcher')
    await launcher.waitFor()
    t.equal(
      await launcher.evaluate((el) => getComputedStyle(el).backgroundColor),
      'rgb(15, 118, 110)',
      'the accent colour',
    )
    const visitor = await until('the embedded widget is connected', () =>
      [...n.node.hub.visitors(SITE)].find((v) => v.facts.get('widget.id') === 'pricing'),
    )
    t.equal(visitor.facts.get('context.department'), 'billing', 'the department reaches the server')
  })

  t.test('canned responses: managed in the console, inserted with / for the chat visitor', async (t) => {
    await lead.getByTestId('view-canned').click()
    await lead.getByTestId('canned-new').click()
    await lead.getByTestId('canned-title').fill('Greeting')
    t.equal(await lead.getByTestId('canned-id').inputValue(), 'greeting', 'the shortcut follows the title')
    await lead.getByTestId('canned-text').fill('Hi {{visitor.nmae}}')
    await lead.getByTestId('canned-save').click()
    await lead
      .locator('[data-testid=field-error][data-error-path=text]')
      .filter({ hasText: /unknown field "visitor.nmae"/ })
      .waitFor()
    await lead.getByTestId('canned-text').fill('Hi {{visitor.name|there}}, how can I help?')
    t.equal(await lead.getByTestId('canned-preview').textContent(), 'Hi Ada, how can I help?', 'preview')
    await lead.getByTestId('canned-save').click()
    await lead.locator('[data-testid=canned-row][data-id=greeting]').waitFor()
    await lead.getByTestId('canned-new').click()
    await lead.getByTestId('canned-title').fill('Refund policy')
    await lead.getByTestId('canned-text').fill('Refunds take 5 days.')
    await lead.getByTestId('canned-save').click()
    await lead.locator('[data-testid=canned-row][data-id=refund-policy]').waitFor()
    await lead.getByTestId('canned-new').click()
    t.strictSame(await axeViolations(lead), [], 'canned responses view: no serious or critical axe violation')
    await screenshot(lead, 'canned-responses')
    await lead.getByTestId('canned-cancel').click()

    const pat = await open(`/console/#token=${agentToken}`)
    await online(pat)
    await pat.getByTestId('view-canned').click()
    await pat.locator('[data-testid=canned-row][data-id=greeting]').waitFor()
    t.equal(await pat.getByTestId('canned-new').count(), 0, 'reading needs no permission; changing does')
    t.equal(await pat.getByTestId('canned-edit').count(), 0)

    const ada = await n.visitor({ page: { url: 'https://shop.example/pricing', title: 'Pricing' } })
    clients.push(ada.client)
    ada.client.send({ t: 'contact', name: 'Ada Lovelace', email: 'ada@example.com' })
    await lead.getByTestId('view-live').click()
    const row = lead.locator(`[data-testid=visitor-row][data-visitor-id="${ada.welcome.visitor}"]`)
    await row.filter({ hasText: 'Ada Lovelace' }).click()
    await lead.getByTestId('invite-text').fill('Hello!')
    await lead.getByTestId('invite-start').click()
    await ada.client.next('chat')
    const input = lead.getByTestId('chat-input')
    await input.waitFor()
    await until('the chat is live', async () => !(await input.isDisabled()))

    await input.fill('/')
    const options = lead.getByTestId('canned-option')
    await lead.getByTestId('canned-picker').waitFor()
    t.strictSame(await options.evaluateAll((els) => els.map((e) => e.getAttribute('data-id'))), [
      'greeting',
      'refund-policy',
    ])
    await input.pressSequentially('re')
    t.strictSame(
      await options.evaluateAll((els) => els.map((e) => e.getAttribute('data-id'))),
      ['refund-policy', 'greeting'],
      'shortcut prefix first, then title/text matches',
    )
    t.strictSame(await axeViolations(lead), [], 'open / list: no serious or critical axe violation')
    await screenshot(lead, 'canned-picker', { fullPage: false })
    await input.press('Escape')
    await lead.getByTestId('canned-picker').waitFor({ state: 'detached' })
    t.equal(await input.inputValue(), '/re', 'escape keeps the text')
    await input.fill('/')
    await lead.getByTestId('canned-picker').waitFor()
    await input.press('ArrowDown')
    await lead.locator('[data-testid=canned-option][aria-selected=true][data-id=refund-policy]').waitFor()
    await input.press('ArrowUp')
    await lead.locator('[data-testid=canned-option][aria-selected=true][data-id=greeting]').waitFor()
    await input.press('Enter')
    t.equal(await input.inputValue(), 'Hi Ada Lovelace, how can I help?', "rendered with the chat visitor's name")
    t.equal(await lead.getByTestId('canned-picker').count(), 0, 'the list closes')
    await input.press('Enter')
    t.match(await ada.client.next('msg'), { from: 'operator', text: 'Hello!' })
    t.match(await ada.client.next('msg'), { from: 'operator', text: 'Hi Ada Lovelace, how can I help?' })

    await input.fill('Sure! /refund')
    await lead.locator('[data-testid=canned-option][aria-selected=true][data-id=refund-policy]').waitFor()
    await input.press('Tab')
    t.equal(await input.inputValue(), 'Sure! Refunds take 5 days.', 'inserted after text already typed')
    await input.fill('/zzz')
    await lead.getByTestId('canned-none').filter({ hasText: 'No reply matches /zzz' }).waitFor()
  })

  t.test('no table column is clipped at 1280 and 1920 px', async (t) => {
    for (let i = 0; i < 6; i++) {
      const v = await n.visitor({
        page: {
          url: `https://shop.example/blog/a-rather-long-article-slug-about-single-sign-on-${i}?utm_source=newsletter-december&utm_medium=email&utm_campaign=winter-sale-${i}`,
          title: `A rather long article title about single sign-on and SAML, part ${i}`,
          referrer: 'https://www.some-search-engine.example/search?q=single+sign+on',
        },
      })
      clients.push(v.client)
      v.client.send({ t: 'contact', name: `Visitor with a long name ${i}`, email: `long.name.${i}@example.com` })
    }
    await putCampaign(n, {
      id: 'a-campaign-with-a-long-identifier',
      name: 'A campaign with quite a long descriptive name',
      when: { field: 'page.url', op: 'contains', value: 'never-matches' },
      message: {
        text: 'Hello',
        startChat: false,
        variants: [
          { id: 'long-variant-16c', weight: 1, text: 'Hello A' },
          { id: 'b', weight: 1, text: 'Hello B' },
        ],
      },
    })
    const clippedCells = (page: Page) =>
      page.evaluate(() => {
        const out: string[] = []
        for (const table of Array.from(document.querySelectorAll('table.grid, table.vgrid')) as HTMLTableElement[]) {
          if (table.offsetParent === null) continue
          const heads = Array.from(table.querySelectorAll('thead th')).map((th) => th.textContent ?? '')
          const box = table.parentElement
          if (box && table.scrollWidth > box.clientWidth + 1)
            out.push(
              `table [${heads.join(', ')}] is ${table.scrollWidth}px in ${box.clientWidth}px; cells ${Array.from(table.rows[1]?.cells ?? []).map((c) => c.offsetWidth)}`,
            )
          for (const cell of Array.from(table.querySelectorAll('th, td')) as HTMLElement[]) {
            const clipped = [cell, ...(Array.from(cell.querySelectorAll('*')) as HTMLElement[])].some(
              (el) => el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX !== 'visible',
            )
            // A virtual list's fixed-height rows may shorten a value that is a hover away in `title`.
            const shortened = cell.title !== ''
            if (!shortened && (clipped || cell.scrollWidth > cell.clientWidth + 1)) {
              const index = (cell as HTMLTableCellElement).cellIndex
              out.push(`column "${heads[index] ?? index}": ${cell.textContent?.slice(0, 40)}`)
            }
          }
        }
        return out
      })
    for (const width of [1280, 1920]) {
      await lead.setViewportSize({ width, height: 900 })
      await lead.getByTestId('view-live').click()
      await until('visitors listed', async () => (await lead.getByTestId('visitor-row').count()) >= 7)
      await lead.locator('[data-testid=campaigns] td', { hasText: 'long descriptive name' }).waitFor()
      for (const view of ['live', 'canned'] as const) {
        await lead.getByTestId(`view-${view}`).click()
        await lead.locator('table.grid').first().waitFor()
        t.strictSame(await clippedCells(lead), [], `${view} view at ${width} px: every cell shows its content`)
      }
      await lead.getByTestId('view-studio').click()
      await lead
        .locator('[data-testid=studio-campaign][data-campaign-id=a-campaign-with-a-long-identifier] .pick')
        .click()
      await lead.getByTestId('variant-stats').waitFor()
      t.strictSame(await clippedCells(lead), [], `campaign stats at ${width} px: every cell shows its content`)
      await screenshot(lead, `studio-stats-${width}`)
      await lead.getByTestId('view-live').click()
      await screenshot(lead, `console-live-${width}`)
    }
  })
})
