import { devices, type BrowserContextOptions, type Page } from 'playwright-core'
import t from 'tap'
import { signOperatorToken } from '../src/operator/operator_token.js'
import { axeViolations, screenshot, widgetTestbed, type AxeViolation } from './support/browser.js'
import { TestClient } from './support/test_client.js'
import { until } from './support/until.js'

const SITE = 'demo'
const WAIT_MS = 8_000
const DESKTOP: BrowserContextOptions = { viewport: { width: 1440, height: 900 } }
const IPHONE: BrowserContextOptions = devices['iPhone 13']

// Runs before the page's scripts: the embed stub and a record of welcomes.
const RECORD = `
  window.welcomes = []
  window.beckon = function () { (beckon.q = beckon.q || []).push(arguments) }
  beckon('on', 'welcome', (w) => welcomes.push(w))
`
interface PageGlobals {
  welcomes: Array<{ visitor: string }>
  beckon: { setContext(data: object): void }
}

/** The data-testid of the element focused inside the widget's shadow root. */
const focused = (page: Page) =>
  page.evaluate(
    () => (document.querySelector('beckon-widget')?.shadowRoot?.activeElement as HTMLElement | null)?.dataset.testid,
  )

t.test('widget: offline form, leads, transcript, typing, phones and accessibility', async (t) => {
  const { node, browser: chrome } = await widgetTestbed(t, SITE, { BECKON_TEAM_NOTIFY_MS: '50' })
  const site = node.node.sites.get(SITE)
  if (!site) throw new Error('no site')

  async function visitorPage(path = '/demo/', options: BrowserContextOptions = DESKTOP): Promise<Page> {
    const context = await chrome.newContext(options)
    t.teardown(() => context.close())
    await context.addInitScript(RECORD)
    const page = await context.newPage()
    page.setDefaultTimeout(WAIT_MS)
    page.on('pageerror', (error) => t.fail(`page error: ${error.message}`))
    await page.goto(`${node.base}${path}`)
    await page.waitForFunction(() => (window as unknown as PageGlobals).welcomes.length > 0)
    return page
  }
  const visitorId = (page: Page) => page.evaluate(() => (window as unknown as PageGlobals).welcomes[0]?.visitor ?? '')

  /** An operator socket of the demo site, online until the test ends. */
  async function operatorOnline(id: string): Promise<TestClient> {
    const client = await TestClient.connect(`${node.ws}/v1/operator`)
    t.teardown(() => client.close())
    client.send({ t: 'auth', token: await signOperatorToken(site as NonNullable<typeof site>, { id, name: id }) })
    await client.next('ready')
    return client
  }

  /** Serious and critical axe violations of the whole page, commented when there are any. */
  async function axe(page: Page): Promise<AxeViolation[]> {
    const bad = await axeViolations(page)
    if (bad.length > 0) t.comment(`axe: ${JSON.stringify(bad)}`)
    return bad
  }

  t.test('nobody online: the panel offers the offline form, validates it and confirms', async (t) => {
    const page = await visitorPage()
    await page.getByTestId('launcher').click()
    await page.getByTestId('offline-form').waitFor()
    t.equal(await page.getByTestId('chat-state').textContent(), 'Leave us a message')
    t.ok(await page.getByTestId('composer').isHidden(), 'no chat composer while nobody can answer')
    t.equal(await focused(page), 'offline-name', 'focus starts in the form')

    await page.getByTestId('offline-send').click()
    await page.getByTestId('offline-error').waitFor()
    t.equal(await page.getByTestId('offline-email').getAttribute('aria-invalid'), 'true', 'the email is required')
    t.equal(await focused(page), 'offline-email', 'focus moves to the field to fix')
    await page.getByTestId('offline-email').fill('ada-at-example')
    await page.getByTestId('offline-text').fill('Can you call me about the Pro plan?')
    await page.getByTestId('offline-send').click()
    t.match(await page.getByTestId('offline-error').textContent(), /@/, 'an invalid email is explained')
    t.equal(await node.node.store.list('conversations', `${SITE}.offline.`).then((l) => l.length), 0, 'nothing sent')
    t.same(await axe(page), [], 'axe: offline form')
    t.comment(`screenshot: ${await screenshot(page, 'widget-offline-1440x900', { fullPage: false })}`)

    await page.getByTestId('offline-name').fill('Ada')
    await page.getByTestId('offline-email').fill('ada@example.com')
    await page.getByTestId('offline-send').click()
    await page.getByTestId('offline-done').waitFor()
    t.equal(
      await page.getByTestId('offline-done').textContent(),
      'Thanks, Ada! We got your message and will reply to ada@example.com.',
    )
    t.equal(await page.getByTestId('chat-state').textContent(), 'Message sent')
    t.comment(`screenshot: ${await screenshot(page, 'widget-offline-sent-1440x900', { fullPage: false })}`)

    // An operator who comes online finds it in the Offline queue, with the details.
    const op = await operatorOnline('olga')
    t.match(await op.next((f) => f.t === 'chat' && f.state === 'offline'), {
      visitor: await visitorId(page),
      contact: { name: 'Ada', email: 'ada@example.com' },
    })
    t.match(await op.next('msg'), { text: 'Can you call me about the Pro plan?' })
    const offline = node.node.hub.get(SITE, await visitorId(page))
    t.ok(offline, 'the visitor is still live')
    const [pointer] = await node.node.store.list<{ conversation: string }>('conversations', `${SITE}.offline.`)
    op.send({ t: 'close', conversation: pointer?.value.conversation })
    await until(
      'answered and closed',
      async () => (await node.node.store.list('conversations', `${SITE}.offline.`)).length === 0,
    )
    await op.close()
  })

  t.test('a chat: lead confirmed, invitation first, operator joined, system note, typing both ways', async (t) => {
    const res = await node.admin('PUT', `/v1/sites/${SITE}/campaigns/plans`, {
      when: { field: 'context.step', op: 'eq', value: 'plans' },
      message: { text: 'Looking for a plan?', collect: ['email'] },
    })
    t.equal(res.status, 201)
    t.teardown(() => node.admin('DELETE', `/v1/sites/${SITE}/campaigns/plans`))
    const console = await (await chrome.newContext(DESKTOP)).newPage()
    t.teardown(() => console.context().close())
    console.setDefaultTimeout(WAIT_MS)
    const token = await signOperatorToken(site, { id: 'anna', name: 'Anna' })
    await console.goto(`${node.base}/console/#token=${token}`)
    await console.locator('[data-testid=status][data-state=online]').waitFor()

    const page = await visitorPage()
    const id = await visitorId(page)
    await page.evaluate(() => (window as unknown as PageGlobals).beckon.setContext({ step: 'plans' }))
    await page.getByTestId('bubble').waitFor()
    await page.getByTestId('bubble-email').fill('lee@example.com')
    await page.getByTestId('bubble-open').click()
    const lead = page.locator('[data-testid=message][data-from=note]', { hasText: 'lee@example.com' })
    await lead.waitFor()
    t.equal(await lead.textContent(), 'Thanks! We will reply to lee@example.com if we miss you.')
    t.equal(node.node.hub.get(SITE, id)?.profile.lead?.email, 'lee@example.com', 'stored as a lead')
    t.ok(await page.getByTestId('composer').isVisible(), 'an operator is online: the chat, not the form')

    await page.getByTestId('input').fill('Which plan has SSO?')
    await page.getByTestId('send').click()
    await console.locator('[data-testid=chat-message][data-from=visitor]', { hasText: 'Which plan has SSO?' }).waitFor()
    t.equal(await page.getByTestId('chat-state').textContent(), 'Waiting for an operator…', 'offered is not accepted')
    await console.getByTestId('accept').click()
    await page.locator('[data-testid=message][data-from=note]', { hasText: 'joined the chat' }).waitFor()
    t.equal(await page.getByTestId('chat-state').textContent(), 'An operator is with you')

    // The visitor types: the console shows it until the message arrives.
    await page.getByTestId('input').pressSequentially('Also, is there a trial')
    await console.getByTestId('visitor-typing').waitFor()
    t.equal(await console.getByTestId('visitor-typing').textContent(), 'Visitor is typing…')
    t.comment(`screenshot: ${await screenshot(console, 'console-visitor-typing-1440x900', { fullPage: false })}`)
    await page.getByTestId('send').click()
    await console.getByTestId('visitor-typing').waitFor({ state: 'detached' })

    // The operator types: the widget shows it until the reply arrives.
    await console.getByTestId('chat-input').pressSequentially('Yes, 14 days')
    await page.getByTestId('typing').waitFor()
    t.equal(await page.getByTestId('typing').textContent(), 'Operator is typing…')
    t.comment(`screenshot: ${await screenshot(page, 'widget-typing-1440x900', { fullPage: false })}`)
    await console.getByTestId('chat-send').click()
    await page.locator('[data-testid=message][data-from=operator]', { hasText: 'Yes, 14 days' }).waitFor()
    t.ok(await page.getByTestId('typing').isHidden(), 'the reply ends the indicator')

    // The invitation that started the chat leads the transcript, once, also after a reload
    // (the server's chat frame carries it: the history feature adds it to the stored chat).
    const live = await until('visitor live', () => node.node.hub.get(SITE, id))
    const conversation = live.chat?.conversation ?? ''
    const chat = { t: 'chat', conversation, state: 'assigned', operator: 'anna', accepted: true } as const
    const invitation = { text: 'Looking for a plan?', at: Date.now() }
    live.broadcast({ ...chat, invitation } as never)
    const lines = page.getByTestId('message')
    t.equal(await page.locator('[data-testid=message].invite').count(), 1, 'not listed twice')
    t.equal(await lines.first().textContent(), 'Looking for a plan?')
    await page.reload()
    await page.locator('[data-testid=message][data-from=operator]', { hasText: 'Yes, 14 days' }).waitFor()
    const again = await until('visitor back', () => node.node.hub.get(SITE, id))
    again.broadcast({ ...chat, invitation } as never)
    await page.locator('[data-testid=message].invite').waitFor()
    t.equal(await lines.first().textContent(), 'Looking for a plan?', 'first entry after a page load')
    t.equal(await page.getByTestId('chat-state').textContent(), 'An operator is with you', 'a replay sets the header')
    t.equal(await page.locator('[data-from=note]', { hasText: 'joined' }).count(), 0, 'but notes no join')

    // A system note is a centred note, not an operator line.
    again.broadcast({
      t: 'msg',
      id: `${conversation}-99`,
      conversation,
      from: 'system',
      text: 'Chat closed: idle',
      at: Date.now(),
    } as never)
    const note = page.locator('[data-testid=message][data-from=note]', { hasText: 'Chat closed: idle' })
    await note.waitFor()
    t.equal(await note.evaluate((li) => getComputedStyle(li).alignSelf), 'center')
  })

  t.test('keyboard: launcher, bubble and panel reachable; focus trapped; Escape returns it', async (t) => {
    await operatorOnline('kai')
    const res = await node.admin('PUT', `/v1/sites/${SITE}/campaigns/kb`, {
      when: { field: 'context.step', op: 'eq', value: 'kb' },
      message: { text: 'Need a hand?' },
    })
    t.equal(res.status, 201)
    t.teardown(() => node.admin('DELETE', `/v1/sites/${SITE}/campaigns/kb`))
    const page = await visitorPage()
    await page.evaluate(() => (window as unknown as PageGlobals).beckon.setContext({ step: 'kb' }))
    await page.getByTestId('bubble').waitFor()
    t.equal(await page.getByTestId('announcer').textContent(), 'Need a hand?', 'the invitation is announced')
    t.same(await axe(page), [], 'axe: invitation bubble')
    t.comment(`screenshot: ${await screenshot(page, 'widget-bubble-1440x900', { fullPage: false })}`)

    await page.getByTestId('launcher').focus()
    await page.keyboard.press('Shift+Tab')
    t.equal(await focused(page), 'bubble-open', 'the bubble is one Shift+Tab before the launcher')
    await page.keyboard.press('Enter')
    await page.getByTestId('panel').waitFor()
    t.equal(await focused(page), 'input', 'opening moves focus into the panel')
    t.equal(await page.getByTestId('messages').getAttribute('aria-live'), 'polite', 'new messages are announced')
    const seen: Array<string | undefined> = []
    for (let i = 0; i < 4; i++) {
      await page.keyboard.press('Tab')
      seen.push(await focused(page))
    }
    t.same(seen, ['send', 'panel-close', 'input', 'send'], 'Tab cycles inside the panel')
    await page.keyboard.press('Shift+Tab')
    await page.keyboard.press('Shift+Tab')
    await page.keyboard.press('Shift+Tab')
    t.equal(await focused(page), 'send', 'Shift+Tab wraps too')
    t.same(await axe(page), [], 'axe: open chat panel')
    await page.keyboard.press('Escape')
    await page.getByTestId('panel').waitFor({ state: 'hidden' })
    t.equal(await focused(page), 'launcher', 'Escape closes and returns focus to the launcher')
    await page.keyboard.press('Enter')
    await page.getByTestId('panel').waitFor()
    t.pass('the launcher opens the panel from the keyboard')
  })

  t.test('phones (iPhone 13): full-screen panel, reachable launcher and bubble, no sideways scroll', async (t) => {
    await operatorOnline('pia')
    const res = await node.admin('PUT', `/v1/sites/${SITE}/campaigns/phone`, {
      when: { field: 'context.step', op: 'eq', value: 'phone' },
      message: { text: 'Questions? We are here.', collect: ['email'] },
    })
    t.equal(res.status, 201)
    t.teardown(() => node.admin('DELETE', `/v1/sites/${SITE}/campaigns/phone`))
    const screenWidth = IPHONE.viewport?.width ?? 0
    for (const path of ['/demo/', '/demo/kb/', '/demo/pricing.html', '/demo/app.html']) {
      const page = await visitorPage(path, IPHONE)
      // Content wider than the screen widens the layout viewport itself: compare with the screen too.
      const { scroll, inner } = await page.evaluate(() => ({
        scroll: document.documentElement.scrollWidth,
        inner: window.innerWidth,
      }))
      t.ok(
        scroll <= inner && inner === screenWidth,
        `${path}: no horizontal overflow (${scroll}/${inner}/${screenWidth})`,
      )
      await page.context().close()
    }
    const page = await visitorPage('/demo/', IPHONE)
    const viewport = page.viewportSize()
    if (!viewport) throw new Error('no viewport')
    const inside = async (testId: string) => {
      const box = await page.getByTestId(testId).boundingBox()
      return (
        box !== null &&
        box.x >= 0 &&
        box.y >= 0 &&
        box.x + box.width <= viewport.width &&
        box.y + box.height <= viewport.height
      )
    }
    await page.evaluate(() => (window as unknown as PageGlobals).beckon.setContext({ step: 'phone' }))
    await page.getByTestId('bubble').waitFor()
    t.ok(await inside('bubble'), 'the bubble fits the screen')
    t.ok(await inside('launcher'), 'the launcher is on screen')
    t.comment(`screenshot: ${await screenshot(page, 'widget-bubble-iphone-13', { fullPage: false })}`)
    await page.getByTestId('bubble-dismiss').tap()
    await page.getByTestId('bubble').waitFor({ state: 'hidden' })

    await page.getByTestId('launcher').tap()
    await page.getByTestId('panel').waitFor()
    await page.getByTestId('panel').evaluate((el) => Promise.all(el.getAnimations().map((a) => a.finished)))
    t.same(
      await page.getByTestId('panel').boundingBox(),
      { x: 0, y: 0, width: viewport.width, height: viewport.height },
      'the panel fills the screen',
    )
    t.ok(await page.getByTestId('launcher').isHidden(), 'the launcher does not cover the composer')
    await page.getByTestId('input').tap()
    await page.getByTestId('input').fill('Hello from my phone')
    await page.getByTestId('send').tap()
    await page.locator('[data-testid=message][data-from=visitor]:not(.pending)').waitFor()
    t.comment(`screenshot: ${await screenshot(page, 'widget-panel-iphone-13', { fullPage: false })}`)
    await page.getByTestId('panel-close').tap()
    await page.getByTestId('launcher').waitFor()
    t.ok(await inside('launcher'), 'the launcher is back after closing')
  })
})
