import type { Browser, BrowserContext, Page } from 'playwright-core'
import t from 'tap'
import { signOperatorToken } from '../src/operator/operator_token.js'
import { launchBrowser, screenshot, staticDir } from './support/browser.js'
import type { TestClient } from './support/test_client.js'
import { startNode } from './support/test_node.js'

const SITE = 'shop'
const WAIT_MS = 8_000
const BASE_TITLE = 'beckon · operator console'

declare global {
  interface Window {
    /** Notifications the page constructed (the init script below records them). */
    __notes: Array<{ title: string; body: string }>
    /** Oscillators started: the console's beeps. */
    __tones: number
  }
}

/**
 * Runs in the page before the console: records every Notification and every tone it starts.
 * A string, not a function: the test's transpiler would add helpers the page lacks.
 */
const RECORD_ALERTS = `
  window.__notes = []
  window.__tones = 0
  const Real = window.Notification
  window.Notification = class extends Real {
    constructor(title, options) {
      super(title, options)
      window.__notes.push({ title, body: (options && options.body) || '' })
    }
  }
  const start = AudioScheduledSourceNode.prototype.start
  AudioScheduledSourceNode.prototype.start = function (...args) {
    window.__tones++
    return start.apply(this, args)
  }
`

t.test('queues, alerts, shortcuts and layout of the operator console', async (t) => {
  const web = await staticDir()
  const n = await startNode({
    BECKON_STATIC_DIR: web.dir,
    BECKON_LINGER_SECONDS: '0',
    BECKON_FEED_INTERVAL_MS: '20',
    // Offers stay with the first operator for the whole test.
    BECKON_ACCEPT_TIMEOUT_SECONDS: '600',
    // 3 s: a visitor that leaves has its chat closed while the test watches.
    BECKON_CHAT_IDLE_CLOSE_MINUTES: '0.05',
  })
  await n.site(SITE)
  const site = n.node.sites.get(SITE)
  if (!site) throw new Error('site missing')
  const browser: Browser = await launchBrowser()
  const visitors: TestClient[] = []
  t.teardown(async () => {
    await Promise.all(visitors.map((v) => v.close()))
    await browser.close()
    await n.stop()
    await web.remove()
  })

  async function consolePage(
    id: string,
    perms: string[],
    viewport: { width: number; height: number },
  ): Promise<{ page: Page; context: BrowserContext }> {
    const context = await browser.newContext({ viewport })
    await context.grantPermissions(['notifications'], { origin: n.base })
    await context.addInitScript(RECORD_ALERTS)
    const page = await context.newPage()
    page.setDefaultTimeout(WAIT_MS)
    page.on('pageerror', (error) => t.fail(`console page error (${id}): ${error.message}`))
    await page.goto(`${n.base}/console/#token=${await signOperatorToken(site as never, { id, name: id, perms })}`)
    await page.locator('[data-testid=status][data-state=online]').waitFor()
    return { page, context }
  }

  async function visitor(): Promise<{ client: TestClient; id: string }> {
    const v = await n.visitor()
    visitors.push(v.client)
    return { client: v.client, id: v.welcome.visitor as string }
  }

  // ann is first in id order: new chats are offered to her.
  const { page: ann } = await consolePage('ann', [], { width: 1024, height: 768 })
  const { page: bob } = await consolePage('bob', [], { width: 1440, height: 900 })
  const count = (page: Page, queue: string) => page.getByTestId(`queue-${queue}`).getByTestId('queue-count')
  const row = (page: Page, conversation: string) =>
    page.locator(`[data-testid=conversation][data-conversation-id="${conversation}"]`)
  const notes = () => ann.evaluate(() => window.__notes)
  const tones = () => ann.evaluate(() => window.__tones)
  const title = () => ann.evaluate(() => document.title)
  const waitTitle = (page: Page, expected: string) =>
    page.waitForFunction((want) => document.title === want, expected, { timeout: WAIT_MS })
  /** A visitor writes first: a chat waiting for an operator, offered to ann. */
  async function waitingChat(text: string): Promise<{ client: TestClient; id: string; conversation: string }> {
    const v = await visitor()
    v.client.send({ t: 'msg', text })
    const chat = await v.client.next('chat')
    return { ...v, conversation: chat.conversation as string }
  }

  t.test('1024x768: the queues and chat list are in view without scrolling', async (t) => {
    const list = await ann.getByTestId('conversations').boundingBox()
    const tabs = await ann.getByTestId('queue-closed').boundingBox()
    t.ok(list && tabs, 'list and tabs rendered')
    if (!list || !tabs) return
    t.ok(list.x + list.width <= 1024 && tabs.x + tabs.width <= 1024, 'inside the width')
    t.ok(list.y + 40 <= 768, `the list starts within the window (y=${list.y})`)
    t.ok(tabs.y + tabs.height <= 768, 'every queue tab is visible')
    t.equal(await ann.evaluate(() => window.scrollY), 0)
  })

  t.test('alert toggles persist per operator across a reload', async (t) => {
    t.equal(await ann.getByTestId('alert-sound').getAttribute('aria-pressed'), 'true', 'sound on by default')
    t.equal(await ann.getByTestId('alert-desktop').getAttribute('aria-pressed'), 'false', 'desktop off by default')
    await ann.getByTestId('alert-desktop').click()
    await ann.locator('[data-testid=alert-desktop][aria-pressed=true]').waitFor()
    await ann.getByTestId('alert-title').click()
    await ann.locator('[data-testid=alert-title][aria-pressed=false]').waitFor()
    await ann.reload()
    await ann.locator('[data-testid=status][data-state=online]').waitFor()
    t.equal(await ann.getByTestId('alert-desktop').getAttribute('aria-pressed'), 'true', 'desktop kept')
    t.equal(await ann.getByTestId('alert-title').getAttribute('aria-pressed'), 'false', 'title count off kept')
    t.equal(
      await ann.evaluate(() => localStorage.getItem('beckon.console.alerts.ann')),
      JSON.stringify({ sound: true, desktop: true, title: false }),
      "kept under the operator's id",
    )
    t.equal(await bob.getByTestId('alert-desktop').getAttribute('aria-pressed'), 'false', 'bob has his own')
    await ann.getByTestId('alert-title').click()
    await ann.locator('[data-testid=alert-title][aria-pressed=true]').waitFor()
  })

  let first: Awaited<ReturnType<typeof waitingChat>>
  let second: Awaited<ReturnType<typeof waitingChat>>

  t.test('a new chat rings, notifies and counts in the title until viewed', async (t) => {
    const before = await tones()
    first = await waitingChat('Hello, is anyone there?')
    await row(ann, first.conversation).waitFor()
    await count(ann, 'waiting').filter({ hasText: '1' }).waitFor()
    await waitTitle(ann, `(1) ${BASE_TITLE}`)
    t.ok((await tones()) > before, 'a beep')
    t.match(await notes(), [{ title: /^New chat: #/, body: 'Hello, is anyone there?' }], 'one desktop notification')
    first.client.send({ t: 'msg', text: 'I have a question about billing' })
    await waitTitle(ann, `(2) ${BASE_TITLE}`)
    await row(ann, first.conversation).getByTestId('conversation-unread').filter({ hasText: '2' }).waitFor()
    t.comment(`screenshot: ${await screenshot(ann, 'console-queues-1024', { fullPage: false })}`)

    await row(ann, first.conversation).click()
    await waitTitle(ann, BASE_TITLE)
    t.equal(await row(ann, first.conversation).getByTestId('conversation-unread').count(), 0, 'badge cleared')
    // Bob, to whom it was not offered, sees it waiting without being rung.
    await row(bob, first.conversation).waitFor()
    t.equal(await bob.evaluate(() => window.__notes.length), 0, 'no notification for a chat offered to ann')
    t.equal(await bob.evaluate(() => document.title), BASE_TITLE, 'nor a count')
  })

  t.test('keyboard: accept, next chat, help, close; never while typing', async (t) => {
    await ann.getByTestId('chat-input').fill('')
    await ann.getByTestId('chat-input').press('Escape')
    await ann.keyboard.press('a')
    await row(ann, first.conversation).and(ann.locator('[data-queue=mine]')).waitFor()
    t.equal(await ann.getByTestId('queue-mine').getAttribute('aria-selected'), 'true', 'the queue follows to Mine')
    await count(ann, 'mine').filter({ hasText: '1' }).waitFor()
    await count(ann, 'waiting').filter({ hasText: '0' }).waitFor()
    t.equal(await ann.getByTestId('chat-state').textContent(), 'assigned to you')

    // Bob sees ann's chat in Team, read-only (no takeover_chats).
    await bob.getByTestId('queue-team').click()
    await row(bob, first.conversation).click()
    t.ok(await bob.getByTestId('chat-input').isDisabled(), 'read-only composer')
    t.ok(await bob.getByTestId('close-chat').isDisabled(), 'cannot close it')
    t.match(await bob.getByTestId('chat-input').getAttribute('placeholder'), /Read-only: ann/)
    // With takeover_chats the same chat can be answered (which takes it over).
    const { page: tara, context: taras } = await consolePage('tara', ['takeover_chats'], { width: 1440, height: 900 })
    await tara.getByTestId('queue-team').click()
    await row(tara, first.conversation).click()
    t.notOk(await tara.getByTestId('chat-input').isDisabled(), 'takeover_chats: the composer is open')
    t.notOk(await tara.getByTestId('close-chat').isDisabled(), 'and the chat can be closed')
    await taras.close()
    // The node replays the team's open chats to a fresh page too.
    await bob.reload()
    await bob.locator('[data-testid=status][data-state=online]').waitFor()
    await count(bob, 'team').filter({ hasText: '1' }).waitFor()

    second = await waitingChat('Second visitor here')
    await ann.getByTestId('queue-waiting').click()
    await row(ann, second.conversation).waitFor()
    await ann.keyboard.press('n')
    await row(ann, second.conversation).and(ann.locator('.selected')).waitFor()

    // In my chat, a new visitor message while another chat is on screen: rung and counted.
    const notified = (await notes()).length
    first.client.send({ t: 'msg', text: 'Are you still there?' })
    await ann.getByTestId('queue-mine').click()
    await row(ann, first.conversation).getByTestId('conversation-unread').filter({ hasText: '1' }).waitFor()
    await ann.waitForFunction((n) => window.__notes.length > n, notified)
    t.match((await notes()).at(-1), { body: 'Are you still there?' })
    t.match(await title(), /^\(\d\) /, 'the title counts it')

    // Typing a shortcut letter into the composer types it.
    await row(ann, first.conversation).click()
    await ann.getByTestId('chat-input').pressSequentially('nap')
    t.equal(await ann.getByTestId('chat-input').inputValue(), 'nap', 'the letters went into the box')
    t.equal(await row(ann, first.conversation).getAttribute('class'), 'selected', 'still on the same chat')
    await ann.getByTestId('chat-input').fill('')

    await ann.getByTestId('chat-input').press('Escape')
    await ann.keyboard.press('?')
    await ann.getByTestId('shortcut-help').filter({ hasText: 'Close the selected chat' }).waitFor()
    t.comment(`screenshot: ${await screenshot(ann, 'console-shortcuts-1024', { fullPage: false })}`)
    await ann.keyboard.press('Escape')
    await ann.getByTestId('shortcut-help').waitFor({ state: 'detached' })

    await ann.keyboard.press('c')
    await ann.getByTestId('chat-state').filter({ hasText: 'closed' }).waitFor()
    await count(ann, 'closed').filter({ hasText: '1' }).waitFor()
    await ann.keyboard.press('5')
    await row(ann, first.conversation).and(ann.locator('[data-queue=closed]')).waitFor()
  })

  t.test('offline messages are listed and can be closed', async (t) => {
    const v = await visitor()
    v.client.send({ t: 'offline', name: 'Olga', email: 'olga@example.com', text: 'Call me tomorrow' })
    const ack = await v.client.next('offline')
    await count(ann, 'offline').filter({ hasText: '1' }).waitFor()
    await ann.getByTestId('queue-offline').click()
    const offline = row(ann, ack.conversation as string)
    await offline.filter({ hasText: 'Olga' }).filter({ hasText: 'Call me tomorrow' }).waitFor()
    await offline.click()
    t.ok(await ann.getByTestId('chat-input').isDisabled(), 'answered by email, not in the console')
    t.match(await ann.getByTestId('chat-input').getAttribute('placeholder'), /olga@example\.com/)
    t.ok(await ann.getByTestId('accept').isDisabled(), 'nothing to accept')
    await ann.getByTestId('close-chat').click()
    await count(ann, 'offline').filter({ hasText: '0' }).waitFor()
    await ann.getByTestId('queue-closed').click()
    await offline.waitFor()
  })

  t.test('a chat whose visitor left closes itself with a system note', async (t) => {
    await second.client.close()
    await ann.getByTestId('queue-closed').click()
    await row(ann, second.conversation).waitFor({ timeout: 15_000 })
    await row(ann, second.conversation).click()
    const note = ann.locator('[data-testid=chat-message][data-from=system]')
    await note.filter({ hasText: 'closed automatically' }).waitFor()
    const box = await note.boundingBox()
    const thread = await ann.getByTestId('chat-messages').boundingBox()
    if (box && thread) {
      const middle = box.x + box.width / 2 - (thread.x + thread.width / 2)
      t.ok(Math.abs(middle) < 4, `the note is centred (${middle.toFixed(1)} px off)`)
    }
    t.equal(await ann.getByTestId('chat-state').textContent(), 'closed')
    t.comment(`screenshot: ${await screenshot(ann, 'console-idle-closed-1024', { fullPage: false })}`)
  })

  t.test('after a reload the newest waiting chat is selected, not a stale one', async (t) => {
    const older = await waitingChat('older')
    const middle = await waitingChat('middle')
    const newest = await waitingChat('newest')
    await count(ann, 'waiting').filter({ hasText: '3' }).waitFor()
    await ann.reload()
    await ann.locator('[data-testid=status][data-state=online]').waitFor()
    await count(ann, 'waiting').filter({ hasText: '3' }).waitFor()
    await ann.getByTestId('chat-messages').filter({ hasText: 'newest' }).waitFor()
    t.equal(
      await ann.locator('[data-testid=conversation].selected').getAttribute('data-conversation-id'),
      newest.conversation,
      'the newest waiting chat is on screen',
    )
    const order = await ann
      .locator('[data-testid=conversation]')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-conversation-id')))
    t.same(order, [newest.conversation, middle.conversation, older.conversation], 'Waiting lists newest first')
    // Fair routing may offer some to bob; the rest wait for ann, and the fresh page counts them
    // (their old messages are not counted again).
    const forAnn = await ann
      .locator('[data-testid=conversation][data-queue=waiting]')
      .filter({ hasNotText: 'offered to bob' })
      .count()
    t.ok(forAnn >= 1, `${forAnn} of the 3 wait for ann`)
    await waitTitle(ann, `(${forAnn}) ${BASE_TITLE}`)
    t.comment(`screenshot: ${await screenshot(bob, 'console-queues-1440', { fullPage: false })}`)
  })
})
