import { createHmac } from 'node:crypto'
import type { BrowserContext, Page } from 'playwright-core'
import t from 'tap'
import { until } from './support/until.js'
import { CLOSE_CODE } from '../../shared/src/protocol.js'
import { messageLog, openKey } from '../src/chat/conversation.js'
import type { Store } from '../src/store/store.js'
import { widgetTestbed } from './support/browser.js'
import { SITE_SECRET } from './support/test_node.js'
import { TestClient } from './support/test_client.js'
import { signOperatorToken } from '../src/operator/operator_token.js'

const SITE = 'demo'
const WAIT_MS = 8_000
const SCREENSHOT = '/tmp/beckon-widget-bubble.png'
const RETRY_SCREENSHOT = '/tmp/beckon-widget-retry.png'

// Runs before the page's own scripts: the embed stub plus queued listeners, so no event is missed.
const RECORD_EVENTS = `
  window.welcomes = []
  window.beckon = function () { (beckon.q = beckon.q || []).push(arguments) }
  window.chats = []
  window.invites = []
  beckon('on', 'welcome', (w) => welcomes.push(w))
  beckon('on', 'invite', (i) => invites.push(i))
  beckon('on', 'chat', (c) => chats.push(c))
`

// Keeps every socket the widget opens, so a test can drop one as a network failure would.
const RECORD_SOCKETS = `
  window.sockets = []
  const Native = window.WebSocket
  window.WebSocket = class extends Native {
    constructor(...args) { super(...args); sockets.push(this) }
  }
`

interface PageGlobals {
  sockets: WebSocket[]
  welcomes: Array<{ visitor: string; visit: number; resumed: boolean }>
  chats: Array<{ conversation: string; state: string }>
  invites: Array<{ id: string; redelivered?: boolean }>
  beckon: { setContext(data: object): void; identify(user: object): void }
}

t.test('widget in a real browser against a real node', async (t) => {
  const { node, browser } = await widgetTestbed(t, SITE)
  // An operator is online, so the panel offers the chat (with nobody available it offers the offline form).
  const siteRecord = node.node.sites.get(SITE)
  if (!siteRecord) throw new Error('no site')
  const operator = await TestClient.connect(`${node.ws}/v1/operator`)
  t.teardown(() => operator.close())
  operator.send({ t: 'auth', token: await signOperatorToken(siteRecord, { id: 'op1', name: 'Anna' }) })
  await operator.next('ready')
  const chrome = browser

  async function newContext(): Promise<BrowserContext> {
    const context = await chrome.newContext({ viewport: { width: 1100, height: 720 } })
    await context.addInitScript(RECORD_EVENTS)
    return context
  }

  /** Waits for the page's `welcome` number `count` and returns its visitor id. */
  async function welcomed(page: Page, count = 1): Promise<string> {
    await page.waitForFunction((c) => (window as unknown as PageGlobals).welcomes.length >= c, count, {
      timeout: WAIT_MS,
    })
    return page.evaluate((c) => (window as unknown as PageGlobals).welcomes[c - 1]!.visitor, count)
  }

  const visitor = (id: string) => until(`visitor ${id} live`, () => node.node.hub.get(SITE, id))
  const fact = (id: string, field: string) => node.node.hub.get(SITE, id)?.facts.get(field)

  t.test('connects, reports the page and follows SPA navigation', async (t) => {
    const context = await newContext()
    t.teardown(() => context.close())
    const page = await context.newPage()
    await page.goto(`${node.base}/demo/app.html`)
    const id = await welcomed(page)
    await visitor(id)
    await until('landing page', () => fact(id, 'page.url') === `${node.base}/demo/app.html`)
    t.equal(fact(id, 'visit.pageViews'), 1)
    t.equal(fact(id, 'page.title'), 'Dashboard · AcmeCloud app')

    // The router sets the title right after pushState: the widget must report the new one.
    await page.locator('#app-nav a[data-view="deploys"]').click()
    await until('pushState view', () => fact(id, 'page.url') === `${node.base}/demo/app.html?view=deploys`)
    t.equal(fact(id, 'page.title'), 'Deploys · AcmeCloud app')
    t.equal(fact(id, 'visit.pageViews'), 2)

    // replaceState to the same URL is no navigation; frames are ordered, so the next view shows it.
    await page.evaluate(() => {
      history.replaceState({ same: true }, '', location.href)
      history.pushState(null, '', '?view=billing')
    })
    await until('second pushState', () => fact(id, 'page.url') === `${node.base}/demo/app.html?view=billing`)
    t.equal(fact(id, 'visit.pageViews'), 3, 'same-URL replaceState not counted')

    await page.goBack()
    await until('popstate', () => fact(id, 'page.url') === `${node.base}/demo/app.html?view=deploys`)
    t.equal(fact(id, 'visit.pageViews'), 4)
    await page.evaluate(() => (location.hash = '#/billing/invoices'))
    await until(
      'hashchange',
      () => fact(id, 'page.url') === `${node.base}/demo/app.html?view=deploys#/billing/invoices`,
    )
  })

  t.test('exit intent, launcher and custom context reach the facts', async (t) => {
    const context = await newContext()
    t.teardown(() => context.close())
    const page = await context.newPage()
    await page.goto(`${node.base}/demo/pricing.html`)
    const id = await welcomed(page)
    await visitor(id)
    // The page queued setContext before the widget loaded: the hello carries it.
    await until('queued context', () => fact(id, 'context.plan') === 'pro')
    t.equal(fact(id, 'context.cartValue'), 29)

    await page.evaluate(() => (window as unknown as PageGlobals).beckon.setContext({ caseId: 'C-42', plan: null }))
    await until('live context', () => fact(id, 'context.caseId') === 'C-42')
    t.equal(fact(id, 'context.plan'), undefined, 'null removes a key')
    t.equal(fact(id, 'exit.seconds'), undefined)

    const hash = createHmac('sha256', SITE_SECRET).update('user-7').digest('hex')
    await page.evaluate(
      (h) => (window as unknown as PageGlobals).beckon.identify({ id: 'user-7', hash: h, name: 'Ada' }),
      hash,
    )
    await until('identified', () => fact(id, 'user.authenticated') === true)
    t.equal(fact(id, 'visitor.name'), 'Ada')
    await t.rejects(
      page.evaluate(() => (window as unknown as PageGlobals).beckon.identify({ id: 'user-7', hash: 'nope' })),
      /hash/,
      'a malformed hash throws in the page',
    )

    await page.mouse.move(500, 300)
    await page.mouse.move(500, 5, { steps: 5 })
    await page.mouse.move(500, -20)
    const seconds = await until('exit intent', () => fact(id, 'exit.seconds') ?? undefined)
    t.type(seconds, 'number')

    await page.getByTestId('launcher').click()
    await until('widget open', () => fact(id, 'widget.open') === true)
    await t.resolves(page.getByTestId('panel').waitFor({ state: 'visible' }))
    // An open chat stays open across page loads.
    await page.reload()
    t.equal(await welcomed(page), id)
    await t.resolves(page.getByTestId('panel').waitFor({ state: 'visible' }))
    await page.getByTestId('panel-close').click()
    await until('widget closed', () => fact(id, 'widget.open') === false)
  })

  t.test('a second tab shares the visitor; a dropped socket reconnects as the same visitor', async (t) => {
    const context = await newContext()
    t.teardown(() => context.close())
    const first = await context.newPage()
    await first.goto(`${node.base}/demo/`)
    const id = await welcomed(first)
    const second = await context.newPage()
    await second.goto(`${node.base}/demo/kb/`)
    t.equal(await welcomed(second), id, 'token in localStorage resumes the visitor')
    const live = await visitor(id)
    await until('two tabs', () => live.tabs.size === 2)
    t.equal(fact(id, 'page.url'), `${node.base}/demo/kb/`, 'the newest view is the current page')
    const views = fact(id, 'visit.pageViews')

    // The node drains (1012) and then drops with a non-final code: both times every tab comes back.
    for (const code of [CLOSE_CODE.serviceRestart, CLOSE_CODE.backpressure]) {
      const before = await first.evaluate(() => (window as unknown as PageGlobals).welcomes.length)
      for (const tab of [...(await visitor(id)).tabs.values()]) tab.sink.close(code, 'test')
      t.equal(await welcomed(first, before + 1), id, `tab 1 back after ${code}`)
      t.equal(await welcomed(second, before + 1), id, `tab 2 back after ${code}`)
      await until('both tabs attached again', () => node.node.hub.get(SITE, id)?.tabs.size === 2)
    }
    t.equal(fact(id, 'visit.pageViews'), views, 'a reconnect is not a new page view')

    // A final close code (replaced by a newer tab) ends that tab's widget instead of a reconnect loop.
    const kbTab = [...(await visitor(id)).tabs.values()].find((tab) => tab.page.url === `${node.base}/demo/kb/`)
    t.ok(kbTab, 'the second tab is attached')
    kbTab?.sink.close(CLOSE_CODE.replaced, 'test')
    await t.resolves(
      second.getByTestId('chat-state').filter({ hasText: 'Chat unavailable' }).waitFor({ state: 'attached' }),
    )
    await until('one tab left', () => node.node.hub.get(SITE, id)?.tabs.size === 1)
  })

  t.test('campaign invitations, chat panel and rating', async (t) => {
    const campaign = async (id: string, step: string, message: Record<string, unknown>) => {
      const res = await node.admin('PUT', `/v1/sites/${SITE}/campaigns/${id}`, {
        when: { all: [{ field: 'context.step', op: 'eq', value: step }] },
        message,
      })
      t.equal(res.status < 300, true, `campaign ${id} saved`)
    }
    const stats = async (id: string) => (await node.admin('GET', `/v1/sites/${SITE}/campaigns/${id}/stats`)).body
    await campaign('nudge', 'two', { text: 'Still there?' })
    await campaign('plans', 'one', {
      text: 'Hi! Looking for a plan that fits?',
      followUp: 'Leave your email and we will get back to you.',
      collect: ['email'],
    })
    t.teardown(async () => {
      await node.admin('DELETE', `/v1/sites/${SITE}/campaigns/nudge`)
      await node.admin('DELETE', `/v1/sites/${SITE}/campaigns/plans`)
    })

    const context = await newContext()
    t.teardown(() => context.close())
    const page = await context.newPage()
    await page.goto(`${node.base}/demo/`)
    const id = await welcomed(page)
    await visitor(id)
    const setStep = (step: string) =>
      page.evaluate((s) => (window as unknown as PageGlobals).beckon.setContext({ step: s }), step)

    // An invitation dismissed from the bubble.
    await setStep('two')
    await page.getByTestId('bubble').waitFor({ state: 'visible' })
    t.equal(await page.getByTestId('bubble-text').textContent(), 'Still there?')
    t.ok(await page.getByTestId('bubble-email').isHidden(), 'nothing to collect')
    await page.getByTestId('bubble-dismiss').click()
    t.match(
      await until('nudge dismissed', async () => {
        const s = await stats('nudge')
        return s.dismissed === 1 && s
      }),
      {
        sent: 1,
        shown: 1,
        dismissed: 1,
        opened: 0,
      },
    )
    t.ok(await page.getByTestId('bubble').isHidden())

    // An invitation that collects an email and opens the chat.
    await setStep('one')
    await page.getByTestId('bubble').waitFor({ state: 'visible' })
    t.equal(await page.getByTestId('bubble-text').textContent(), 'Hi! Looking for a plan that fits?')
    t.equal(await page.getByTestId('bubble-followup').textContent(), 'Leave your email and we will get back to you.')
    await page.getByTestId('bubble-email').fill('ada@example.com')
    await page.screenshot({ path: SCREENSHOT, animations: 'disabled' })
    await page.getByTestId('bubble-open').click()
    await until('contact details', () => fact(id, 'visitor.email') === 'ada@example.com')
    await until('widget open', () => fact(id, 'widget.open') === true)
    t.match(
      await until('plans opened', async () => {
        const s = await stats('plans')
        return s.opened === 1 && s
      }),
      { shown: 1, opened: 1 },
    )

    // The visitor writes: the node starts a conversation and echoes the message to the tab.
    await page.getByTestId('input').fill('Do you offer SSO?')
    await page.getByTestId('send').click()
    const conversation = await page
      .waitForFunction(() => (window as unknown as PageGlobals).chats[0]?.conversation, undefined, { timeout: WAIT_MS })
      .then((handle) => handle.jsonValue() as Promise<string>)
    t.equal(await page.getByTestId('chat-state').textContent(), 'Waiting for an operator…')
    await page.locator('[data-testid="message"][data-from="visitor"]:not(.pending)').waitFor()
    t.match(
      await until('reply counted', async () => {
        const s = await stats('plans')
        return s.replied === 1 && s
      }),
      { replied: 1 },
    )

    // Operator text is rendered as text, never as markup.
    const live = await visitor(id)
    const hostile = '<img src=x onerror="window.pwned=1">On the Business plan.'
    live.broadcast({ t: 'chat', conversation, state: 'assigned', operator: 'op1', accepted: true })
    live.broadcast({
      t: 'msg',
      id: 'm-op-1',
      conversation,
      from: 'operator',
      operator: 'op1',
      text: hostile,
      at: Date.now(),
    })
    const last = page.getByTestId('message').last()
    await last.filter({ hasText: 'On the Business plan.' }).waitFor()
    t.equal(await last.textContent(), hostile)
    t.equal(await page.getByTestId('messages').locator('img').count(), 0)
    t.equal(await page.getByTestId('chat-state').textContent(), 'An operator is with you')

    live.broadcast({ t: 'chat', conversation, state: 'closed' })
    await page.getByTestId('rate-great').click()
    await until('rating', () => fact(id, 'chat.rating') === 'great')
    t.ok(await page.getByTestId('rating').isHidden())
  })

  t.test('an ignored invitation stays on screen across page loads and reconnects, counted once', async (t) => {
    const res = await node.admin('PUT', `/v1/sites/${SITE}/campaigns/follow`, {
      when: { field: 'page.url', op: 'contains', value: '/demo/pricing.html?follow' },
      message: { text: 'Questions about pricing?' },
    })
    t.equal(res.status, 201)
    t.teardown(() => node.admin('DELETE', `/v1/sites/${SITE}/campaigns/follow`))
    const stats = async () => {
      await node.node.campaignStats.flush()
      return (await node.admin('GET', `/v1/sites/${SITE}/campaigns/follow/stats`)).body
    }
    const invites = (page: Page) => page.evaluate(() => (window as unknown as PageGlobals).invites)
    const context = await newContext()
    t.teardown(() => context.close())
    const page = await context.newPage()
    await page.goto(`${node.base}/demo/pricing.html?follow=1`)
    const id = await welcomed(page)
    await page.getByTestId('bubble').waitFor({ state: 'visible' })
    const [first] = await invites(page)
    t.notOk(first?.redelivered)
    await until('shown', async () => (await stats()).shown === 1)

    // The visitor ignores it and follows a link: the next page shows the same invitation.
    await page.locator('header nav a[href="./"]').click()
    await page.waitForURL(`${node.base}/demo/`)
    t.equal(await welcomed(page), id)
    await page.getByTestId('bubble').waitFor({ state: 'visible' })
    t.equal(await page.getByTestId('bubble-text').textContent(), 'Questions about pricing?')
    t.match(await invites(page), [{ id: first?.id, redelivered: true }])

    // A reconnect of this page brings it again: the page shows and reports it once.
    for (const tab of [...(await visitor(id)).tabs.values()]) tab.sink.close(CLOSE_CODE.serviceRestart, 'test')
    await welcomed(page, 2)
    await page.getByTestId('bubble-open').click()
    await until('opened', async () => (await stats()).opened === 1)
    t.equal((await invites(page)).length, 1, 'one invite event on this page')
    t.equal(await page.locator('[data-testid="message"].invite').count(), 1, 'listed once in the panel')
    t.match(await stats(), { sent: 1, shown: 1, opened: 1 }, 'one invitation, whatever it was shown on')
  })

  /** A page with its chat panel open whose sockets a test can reach (window.sockets). */
  async function chatPage(): Promise<Page> {
    const context = await newContext()
    t.teardown(() => context.close())
    await context.addInitScript(RECORD_SOCKETS)
    const page = await context.newPage()
    await page.goto(`${node.base}/demo/`)
    await welcomed(page)
    await page.getByTestId('launcher').click()
    return page
  }

  /** The texts of the stored messages of the page's visitor's open conversation. */
  async function storedTexts(store: Store, page: Page): Promise<string[]> {
    const visitor = await page.evaluate(() => (window as unknown as PageGlobals).welcomes[0]?.visitor ?? '')
    const open = await store.get<{ conversation: string }>('conversations', openKey(SITE, visitor))
    if (!open) return []
    const records = await store.read<{ text: string }>(messageLog(SITE, open.value.conversation), 0)
    return records.map((r) => r.value.text)
  }

  t.test('a message the server refuses shows failed; Retry delivers it once', async (t) => {
    const page = await chatPage()
    const store = node.node.store
    const append = store.append.bind(store)
    store.append = async () => {
      throw new Error('disk full')
    }
    t.teardown(() => {
      store.append = append
    })
    await page.getByTestId('input').fill('Is the Pro plan monthly?')
    await page.getByTestId('send').click()
    const line = page.locator('[data-testid="message"][data-from="visitor"]')
    await page.getByTestId('retry').waitFor({ timeout: WAIT_MS })
    t.match(await line.getAttribute('class'), /failed/, 'shown as failed, not as pending forever')
    await page.screenshot({ path: RETRY_SCREENSHOT, animations: 'disabled' })
    t.same(await storedTexts(store, page), [])

    store.append = append
    await page.getByTestId('retry').click()
    await page.locator('[data-testid="message"][data-from="visitor"]:not(.pending):not(.failed)').waitFor({
      timeout: WAIT_MS,
    })
    t.equal(await line.count(), 1, 'one line for the message')
    t.equal(await line.textContent(), 'Is the Pro plan monthly?', 'the retry control is gone')
    t.same(await storedTexts(store, page), ['Is the Pro plan monthly?'], 'stored exactly once')
  })

  t.test('50 messages queued while the socket is down are all delivered after reconnecting', async (t) => {
    const page = await chatPage()
    const texts = Array.from({ length: 50 }, (_, i) => `queued ${i}`)
    await page.evaluate((all) => {
      const g = window as unknown as PageGlobals
      g.sockets.at(-1)?.close()
      const root = document.querySelector('beckon-widget')?.shadowRoot
      const input = root?.querySelector<HTMLInputElement>('[data-testid="input"]')
      const form = root?.querySelector<HTMLFormElement>('[data-testid="composer"]')
      if (!input || !form) throw new Error('no composer')
      for (const text of all) {
        input.value = text
        form.requestSubmit()
      }
    }, texts)
    await welcomed(page, 2)
    const delivered = await until(
      'all 50 delivered or failed',
      async () => {
        const lines = await page
          .locator('[data-testid="message"][data-from="visitor"]')
          .evaluateAll((lis) => lis.map((li) => ({ text: li.firstChild?.textContent, state: li.className })))
        return lines.every((l) => !l.state.includes('pending')) && lines
      },
      WAIT_MS,
    )
    t.same(
      delivered.filter((l) => l.state.includes('failed')).map((l) => l.text),
      [],
      'none refused by the rate limit',
    )
    t.same(await storedTexts(node.node.store, page), texts, 'all stored once, in order')
  })
})
