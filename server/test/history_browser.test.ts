import { readFile } from 'node:fs/promises'
import type { Page } from 'playwright-core'
import t from 'tap'
import { signOperatorToken } from '../src/operator/operator_token.js'
import { launchBrowser, screenshot, staticDir } from './support/browser.js'
import { putCampaign, startNode } from './support/test_node.js'
import { TestClient } from './support/test_client.js'

const WAIT_MS = 8_000

t.test('History view and chat context in a real browser against a real node', async (t) => {
  const web = await staticDir()
  const n = await startNode({ BECKON_STATIC_DIR: web.dir, BECKON_LINGER_SECONDS: '0', BECKON_FEED_INTERVAL_MS: '20' })
  await n.site('shop')
  await putCampaign(n, {
    id: 'pricing',
    name: 'Pricing help',
    when: { all: [{ field: 'page.url', op: 'contains', value: '/pricing' }] },
    message: { text: 'Questions about our plans?', startChat: false },
  })
  const site = n.node.sites.get('shop')
  if (!site) throw new Error('no site')
  const browser = await launchBrowser()
  const sockets: TestClient[] = []
  t.teardown(async () => {
    await Promise.all(sockets.map((s) => s.close()))
    await browser.close()
    await n.stop()
    await web.remove()
  })

  /** A visitor answers the pricing campaign as `name`; the chat it starts is offered to the console's operator. */
  async function invitedVisitor(name: string, email: string, text: string) {
    const v = await n.visitor({ page: { url: 'https://shop.example/pricing', title: 'Pricing' } })
    sockets.push(v.client)
    await v.client.next('invite')
    v.client.send({ t: 'contact', name, email })
    await v.client.next('contact')
    v.client.send({ t: 'msg', text })
    await v.client.next('chat')
    return { client: v.client, id: v.welcome.visitor as string }
  }

  // A closed, rated chat for History (handled by operator "bo" over its own socket).
  const bo = await TestClient.connect(`${n.ws}/v1/operator`)
  sockets.push(bo)
  bo.send({ t: 'auth', token: await signOperatorToken(site, { id: 'bo' }) })
  await bo.next('ready')
  const past = await invitedVisitor('Zoë Lindqvist', 'zoe@fjord.example', 'Is the Pro plan billed yearly?')
  const offered = await bo.next((f) => f.t === 'chat' && f.visitor === past.id)
  bo.send({ t: 'msg', conversation: offered.conversation, text: 'Yes, with two months free' })
  await bo.next((f) => f.t === 'msg' && f.from === 'operator')
  bo.send({ t: 'close', conversation: offered.conversation })
  await bo.next((f) => f.t === 'chat' && f.state === 'closed')
  past.client.send({ t: 'rate', value: 'great' })
  await bo.next((f) => f.t === 'chat' && f.rating === 'great')
  await bo.close()

  const token = await signOperatorToken(site, { id: 'ann', perms: ['sees_all_online_visitors'] })
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, acceptDownloads: true })
  const page: Page = await context.newPage()
  page.setDefaultTimeout(WAIT_MS)
  page.on('pageerror', (error) => t.fail(`console page error: ${error.message}`))
  await page.goto(`${n.base}/console/#token=${token}`)
  await page.locator('[data-testid=status][data-state=online]').waitFor()

  t.test('the chat thread starts with its invitation; names replace ids; the chat opens its visitor', async (t) => {
    const live = await invitedVisitor('Mia Wong', 'mia@wong.example', 'Do you ship to Canada?')
    const item = page.locator('[data-testid=conversation]', { hasText: 'Mia Wong' })
    await item.waitFor()
    await item.locator('button').click()
    const entry = page.getByTestId('chat-invitation')
    await entry.waitFor()
    t.match(await entry.textContent(), /Campaign “Pricing help”.*Questions about our plans\?/)
    const first = page.locator('[data-testid=chat-messages] > *').first()
    t.equal(await first.getAttribute('data-testid'), 'chat-invitation', 'the invitation is the first entry')
    t.match(await page.locator('.thread-head h3').textContent(), 'Mia Wong')
    await page.locator('[data-testid=detail] h2', { hasText: 'Mia Wong' }).waitFor()
    t.pass("selecting the chat opened the visitor's detail")
    await screenshot(page, 'chat-invitation-1440')
    // The visitor rates while the chat is open: the thread shows it.
    live.client.send({ t: 'rate', value: 'average' })
    await page.getByTestId('chat-rating').filter({ hasText: 'rated average' }).waitFor()
    // The visitor detail lists a returning visitor's past chats, from History.
    await page.locator(`[data-testid=visitor-row][data-visitor-id="${past.id}"]`).click()
    const previous = page.getByTestId('previous-chat')
    await previous.first().waitFor()
    t.match(await previous.first().textContent(), /bo · rated great.*Is the Pro plan billed yearly\?/)
  })

  t.test('History: search, transcript with invitation and rating, downloads, bad input', async (t) => {
    await page.getByTestId('view-history').click()
    await page.getByTestId('history-q').fill('yearly')
    await page.getByTestId('history-submit').click()
    const row = page.getByTestId('history-row')
    await row.first().waitFor()
    t.equal(await row.count(), 1)
    t.match(await row.first().textContent(), /Zoë Lindqvist.*bo.*Pricing help.*Is the Pro plan billed yearly\?.*great/)
    await row.first().click()
    const transcript = page.getByTestId('transcript')
    await transcript.getByTestId('chat-invitation').waitFor()
    t.match(await transcript.getByTestId('transcript-rating').textContent(), 'rated great')
    t.match(await transcript.getByTestId('transcript-message').allTextContents(), [
      line('Zoë Lindqvist', 'Is the Pro plan billed yearly?'),
      line('bo', 'Yes, with two months free'),
    ])
    await screenshot(page, 'history-1440')

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download-text').click()])
    t.match(download.suggestedFilename(), /^conversation-c[a-z0-9]+\.txt$/)
    const text = await readFile((await download.path()) as string, 'utf8')
    t.match(text, /Visitor: Zoë Lindqvist <zoe@fjord\.example>/)
    t.match(text, /\] bo: Yes, with two months free/)
    const [json] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download-json').click()])
    t.match(JSON.parse(await readFile((await json.path()) as string, 'utf8')), {
      conversation: { visitorName: 'Zoë Lindqvist', rating: 'great' },
      messages: [{ from: 'visitor' }, { from: 'operator' }],
    })

    await page.getByTestId('history-q').fill('')
    await page.getByTestId('history-visitor').fill('mia')
    await page.getByTestId('history-submit').click()
    await page.getByTestId('history-empty').waitFor()
    t.pass('an open chat is not in History')

    await page.getByTestId('history-visitor').fill('')
    await page.getByTestId('history-from').fill('2026-02-01')
    await page.getByTestId('history-to').fill('2026-01-01')
    await page.getByTestId('history-submit').click()
    t.match(await page.getByTestId('history-error').textContent(), /from is after to/)
    t.equal(await page.getByTestId('history-from').getAttribute('aria-invalid'), 'true')

    await page.getByTestId('history-from').fill('')
    await page.getByTestId('history-to').fill('')
    await page.getByTestId('history-submit').click()
    await row.first().waitFor()
    await page.setViewportSize({ width: 1024, height: 768 })
    await row.first().click()
    await transcript.waitFor()
    await screenshot(page, 'history-1024')
    const clipped = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth)
    t.notOk(clipped, 'no horizontal scrolling at 1024 px')
  })
})

const line = (who: string, text: string) => new RegExp(`^${who} · .*${text.replace(/[?.]/g, '\\$&')}$`)
