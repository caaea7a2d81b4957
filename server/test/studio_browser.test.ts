import { type Browser, type BrowserContext, devices, type Page } from 'playwright-core'
import t from 'tap'
import { signOperatorToken } from '../src/operator/operator_token.js'
import { axeViolations, launchBrowser, openPage, screenshot, staticDir } from './support/browser.js'
import { startNode, type TestNode } from './support/test_node.js'

/**
 * The campaign studio in real Chromium against a real node: a lead with `manage_campaigns`
 * builds, previews, edits and restores a campaign without touching JSON, and real widgets
 * in other browser contexts get its invitations.
 */
const SITE = 'demo'
const WAIT_MS = 10_000
const CLOCK_SECONDS = 2
const FIRST = { a: 'Need a hand with the docs?', b: 'Questions about the KB? Ask us!' }
const SECOND = { a: 'Still reading? We can help.', b: 'Ask us anything about this article.' }

t.test('campaign studio', async (t) => {
  const web = await staticDir()
  const n: TestNode = await startNode({ BECKON_STATIC_DIR: web.dir, BECKON_LINGER_SECONDS: '0' })
  await n.site(SITE, { origins: [n.base] })
  const site = n.node.sites.get(SITE)
  if (!site) throw new Error('site missing')
  const leadToken = await signOperatorToken(site, {
    id: 'lee',
    name: 'Lee',
    perms: ['manage_campaigns', 'sees_all_online_visitors'],
  })
  const agentToken = await signOperatorToken(site, { id: 'pat', name: 'Pat' })
  const browser: Browser = await launchBrowser()
  const contexts: BrowserContext[] = []
  t.teardown(async () => {
    await Promise.all(contexts.map((c) => c.close()))
    await browser.close()
    await n.stop()
    await web.remove()
  })

  const open = (path: string, options: Parameters<Browser['newContext']>[0] = {}): Promise<Page> =>
    openPage(browser, contexts, `${n.base}${path}`, { ...options, fail: (m) => t.fail(m), waitMs: WAIT_MS })
  /** A visitor on a demo page with the real widget; resolves with the invitation text and when it showed. */
  async function visitorGetsInvitation(path: string): Promise<{ text: string; afterMs: number; page: Page }> {
    const started = Date.now()
    const page = await open(path, { viewport: { width: 1000, height: 700 } })
    const bubble = page.getByTestId('bubble-text')
    await bubble.waitFor()
    return { text: (await bubble.textContent()) ?? '', afterMs: Date.now() - started, page }
  }

  const lead = await open(`/console/#token=${leadToken}`)
  await lead.locator('[data-testid=status][data-state=online]').waitFor()
  await lead.getByTestId('view-studio').click()
  await lead.getByTestId('studio').waitFor()
  const editor = lead.getByTestId('studio-editor')
  const save = async () => {
    await lead.getByTestId('studio-save').click()
    await lead
      .getByTestId('studio-notice')
      .filter({ hasText: /Saved|Restored/ })
      .waitFor()
  }
  const conditions = editor.getByTestId('condition')

  t.test('a lead builds a campaign entirely in the UI; a visitor gets it at the right time', async (t) => {
    await lead.getByTestId('new-campaign').click()
    await editor.getByTestId('campaign-name').fill('KB helper')
    t.equal(await editor.getByTestId('campaign-id').inputValue(), 'kb-helper', 'the id follows the name')

    // Page URL contains /demo/kb/ and (time on page ≥ 2 s or returning visitor)
    await conditions.nth(0).getByTestId('condition-value').fill('/demo/kb/')
    await editor.locator('[data-testid=group][data-path=when] > .group-head [data-testid=add-group]').click()
    const inner = editor.locator('[data-testid=group][data-path="when.all.1"]')
    await inner.getByTestId('condition-field').selectOption('page.seconds')
    await inner.getByTestId('condition-op').selectOption('gte')
    await inner.getByTestId('condition-value').fill(String(CLOCK_SECONDS))
    await inner.locator('> .group-head [data-testid=add-condition]').click()
    const second = inner.getByTestId('condition').nth(1)
    await second.getByTestId('condition-field').selectOption('visitor.returning')
    await inner.getByTestId('group-mode').selectOption('any')
    t.equal(
      await editor.getByTestId('rule-sentence').textContent(),
      `Page URL contains /demo/kb/ and (time on page ≥ ${CLOCK_SECONDS} s or returning visitor is yes)`,
      'the rule reads as a sentence',
    )

    // Every day, all day, in Berlin: inside the hours now.
    await editor.getByTestId('campaign-tags').fill('kb')
    await editor.getByTestId('schedule-enabled').check()
    await editor.getByTestId('schedule-tz').selectOption('Europe/Berlin')
    await editor.getByTestId('hours-inside').check()
    const monday = editor.locator('[data-testid=schedule-day][data-day=mon]')
    await monday.getByTestId('add-range').click()
    await monday.getByLabel('Monday range 1 start').fill('00:00')
    await monday.getByLabel('Monday range 1 end').fill('24:00')
    await monday.getByTestId('copy-to-all').click()
    t.equal(await editor.locator('[data-testid=schedule-day][data-day=sun] input').nth(1).inputValue(), '24:00')

    await editor.getByTestId('message-text').fill('Hi {{visitor.name|there}}! Can we help?')
    await editor.getByTestId('start-ab').click()
    const variants = editor.getByTestId('variant')
    await variants.nth(0).getByTestId('variant-text').fill(FIRST.a)
    await variants.nth(1).getByTestId('variant-text').fill(FIRST.b)
    await editor.getByTestId('bubble-preview-text').filter({ hasText: FIRST.b }).waitFor()
    t.comment(`screenshot: ${await screenshot(lead, 'studio-editor')}`)
    await save()
    await lead.locator('[data-testid=studio-campaign][data-campaign-id=kb-helper]').waitFor()

    const got = await visitorGetsInvitation('/demo/kb/')
    t.ok(Object.values(FIRST).includes(got.text), `one of the two variants: ${got.text}`)
    t.ok(got.afterMs >= CLOCK_SECONDS * 1000, `not before ${CLOCK_SECONDS} s on the page (${got.afterMs} ms)`)
    t.ok(got.afterMs < CLOCK_SECONDS * 1000 + 6000, `soon after (${got.afterMs} ms)`)
    t.comment(`screenshot: ${await screenshot(got.page, 'studio-widget-invitation')}`)
  })

  t.test('editing the text changes the next invitation', async (t) => {
    const variants = editor.getByTestId('variant')
    await variants.nth(0).getByTestId('variant-text').fill(SECOND.a)
    await variants.nth(1).getByTestId('variant-text').fill(SECOND.b)
    await save()
    const got = await visitorGetsInvitation('/demo/kb/')
    t.ok(Object.values(SECOND).includes(got.text), `the new text: ${got.text}`)
  })

  t.test('the live preview counts the visitors that are connected and match', async (t) => {
    // Two visitors on /demo/kb/ from the tests above; one elsewhere does not match.
    await open('/demo/pricing.html', { viewport: { width: 1000, height: 700 } })
    const count = lead.getByTestId('preview-count')
    await count.filter({ hasText: /^2$/ }).waitFor()
    const rows = lead.locator('[data-testid=preview-visitor-row][data-matches=true]')
    t.equal(await rows.count(), 2, 'both listed')
    for (let i = 0; i < 2; i++) {
      const reasons = await rows
        .nth(i)
        .locator('[data-testid=held-by]')
        .evaluateAll((els) => els.map((e) => e.getAttribute('data-reason')))
      t.ok(reasons.length > 0, `already invited, so held back: ${reasons.join(', ')}`)
    }
  })

  t.test('a bad value shows its error at the field', async (t) => {
    const clock = editor.locator('[data-testid=condition][data-path="when.all.1.any.0"]')
    await clock.getByTestId('condition-value').fill('-5')
    const error = editor.locator('[data-testid=field-error][data-error-path="when.all.1.any.0.value"]')
    await error.waitFor()
    t.match(await error.textContent(), /negative/, 'the node says why, at the field')
    t.equal(await clock.getByTestId('condition-value').getAttribute('aria-invalid'), 'true')
    t.comment(`screenshot: ${await screenshot(lead, 'studio-field-error')}`)

    await editor.getByTestId('variant').nth(0).getByTestId('variant-weight').fill('0')
    await clock.getByTestId('condition-value').fill(String(CLOCK_SECONDS))
    await lead.getByTestId('studio-save').click()
    await editor.locator('[data-testid=field-error][data-error-path="message.variants.0.weight"]').waitFor()
    await editor.getByTestId('variant').nth(0).getByTestId('variant-weight').fill('50')
    await error.waitFor({ state: 'detached' })
  })

  t.test('the JSON tab round-trips exactly with the form', async (t) => {
    await lead.getByTestId('tab-json').click()
    const json = lead.getByTestId('campaign-json')
    const before = JSON.parse(await json.inputValue())
    t.match(before, {
      id: 'kb-helper',
      name: 'KB helper',
      message: { variants: [{ text: SECOND.a }, { text: SECOND.b }] },
    })
    await json.fill(JSON.stringify({ ...before, name: 'KB helper (JSON)', custom: { kept: true } }, null, 2))
    await lead.getByTestId('tab-form').click()
    t.equal(await editor.getByTestId('campaign-name').inputValue(), 'KB helper (JSON)', 'the form shows the JSON edit')
    await editor.getByTestId('campaign-name').fill('KB helper')
    await lead.getByTestId('tab-json').click()
    t.same(JSON.parse(await json.inputValue()), { ...before, custom: { kept: true } }, 'back to the same definition')
    const { custom: _custom, ...original } = JSON.parse(await json.inputValue())
    await json.fill(JSON.stringify(original, null, 2))
    await lead.getByTestId('tab-form').click()
  })

  t.test('restoring a revision works', async (t) => {
    const revisions = lead.getByTestId('revision')
    await revisions.nth(1).waitFor()
    const count = await revisions.count()
    t.ok(count >= 2, `created and edited: ${count} revisions`)
    await revisions.nth(1).getByTestId('restore-revision').click()
    await lead.getByTestId('studio-notice').filter({ hasText: 'Restored' }).waitFor()
    t.equal(await editor.getByTestId('variant').nth(0).getByTestId('variant-text').inputValue(), FIRST.a)
    await revisions.nth(count).waitFor()
    const stored = await fetch(`${n.base}/v1/sites/${SITE}/campaigns/kb-helper`, {
      headers: { authorization: `Bearer ${leadToken}` },
    }).then((r) => r.json())
    t.equal(stored.message.variants[1].text, FIRST.b, 'the node has the restored definition')
    const got = await visitorGetsInvitation('/demo/kb/')
    t.ok(Object.values(FIRST).includes(got.text), `invitations use it again: ${got.text}`)

    // The visitor answers the invitation: the chat it starts carries the campaign's tags.
    await got.page.getByTestId('bubble-open').click()
    await got.page.getByTestId('input').fill('Where is the SSO article?')
    await got.page.getByTestId('send').click()
    await lead.getByTestId('view-live').click()
    // Its first chat is selected by itself.
    await lead.getByTestId('chat-tag').filter({ hasText: 'kb' }).waitFor()
    t.pass('the console shows the tag on the chat')
    await lead.getByTestId('view-studio').click()
    await lead.getByTestId('studio').waitFor()
  })

  t.test('stats: funnel and per-variant rates', async (t) => {
    await lead.locator('[data-testid=studio-campaign][data-campaign-id=kb-helper] .pick').click()
    // Counters reach the stats route within a second (batched); the studio refreshes them with the preview.
    await lead.waitForFunction(
      () => Number(document.querySelector('[data-testid=funnel] [data-stat=sent] .value')?.textContent) >= 3,
    )
    t.pass('the three invitations sent today are counted')
    await lead.getByTestId('variant-stats').waitFor()
    t.match(await lead.getByTestId('confidence-note').textContent(), /Too early/, 'no verdict on three visitors')
    await lead.getByTestId('range-7d').click()
    t.comment(`screenshot: ${await screenshot(lead, 'studio-stats')}`)
  })

  t.test('no serious or critical accessibility violations (axe-core)', async (t) => {
    const bad = await axeViolations(lead)
    t.same(bad, [], `axe: ${JSON.stringify(bad)}`)
  })

  t.test('screenshots at the sizes a support lead uses', async (t) => {
    for (const [name, options] of [
      ['studio-1024x768', { viewport: { width: 1024, height: 768 } }],
      ['studio-1440x900', { viewport: { width: 1440, height: 900 } }],
      ['studio-iphone-13', devices['iPhone 13']],
    ] as const) {
      const page = await open(`/console/#token=${leadToken}`, options)
      await page.locator('[data-testid=status][data-state=online]').waitFor()
      await page.evaluate(() => (location.hash = '#studio'))
      await page.locator('[data-testid=studio-campaign][data-campaign-id=kb-helper] .pick').click()
      await page.getByTestId('studio-editor').waitFor()
      const width = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
      t.ok(width <= 0, `${name}: no horizontal scrolling (${width} px over)`)
      t.comment(`screenshot: ${await screenshot(page, name, { fullPage: name !== 'studio-iphone-13' })}`)
    }
  })

  t.test('an operator without manage_campaigns sees no editor and gets 403 from the API', async (t) => {
    const pat = await open(`/console/#token=${agentToken}`)
    await pat.locator('[data-testid=status][data-state=online]').waitFor()
    t.equal(await pat.getByTestId('view-studio').count(), 0, 'no studio in the menu')
    await pat.evaluate(() => (location.hash = '#studio'))
    await pat.getByTestId('studio-denied').waitFor()
    t.equal(await pat.getByTestId('studio-editor').count(), 0, 'no editor')
    const put = await fetch(`${n.base}/v1/sites/${SITE}/campaigns/sneaky`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${agentToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ message: { text: 'hi' } }),
    })
    t.equal(put.status, 403, 'the node refuses the write')
    t.match(await put.json(), { error: { code: 'forbidden' } })
  })
})
