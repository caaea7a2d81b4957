import { connect } from '@nats-io/transport-node'
import type { Browser, Page } from 'playwright-core'
import t from 'tap'
import type { VisitorSummary } from '../../shared/src/protocol.js'
import { signOperatorToken } from '../src/operator/operator_token.js'
import { encodeValue } from '../src/store/value_codec.js'
import { axeViolations, launchBrowser, screenshot, staticDir } from './support/browser.js'
import { startNatsServer } from './support/nats_server.js'
import { TestClient, type Frame } from './support/test_client.js'
import { startNode } from './support/test_node.js'
import { until } from './support/until.js'

const SITE = 'shop'
/** Simulated visitors, published by a fake node as another beckon node would. */
const SIMULATED = 50_000
/** The real visitor sorts right between the two halves (last activity, newest first). */
const MIDDLE = SIMULATED / 2
const WAIT_MS = 20_000
const ROW_PX = 44

const sim = (i: number) => `sim-${String(i).padStart(5, '0')}`
const row = (id: string) => `[data-testid=visitor-row][data-visitor-id="${id}"]`
const atIndex = (i: number) => `[data-testid=visitor-row][data-index="${i}"]`

/**
 * Sim i sorts at index i for i < MIDDLE, at i + 1 after: the first half was active in the
 * (near) future, the second half 10+ minutes ago, so a real visitor active now sits at MIDDLE.
 * Sim i is named `Sim i`; every 4th is in DE, every 10th is on /pricing/, pages = 1 + i % 50.
 */
function summary(i: number, at: number): VisitorSummary {
  const activeAt = i < MIDDLE ? at + 600_000 + (MIDDLE - i) * 10 : at - 600_000 - (i - MIDDLE) * 10
  return {
    id: sim(i),
    site: SITE,
    departments: [],
    name: `Sim ${i}`,
    authenticated: false,
    page: { url: `https://shop.example/${i % 10 === 0 ? 'pricing' : 'docs'}/${i}`, title: `Page ${i}` },
    pageSince: at - (i % 300) * 1000,
    visitSince: at - (i % 900) * 1000,
    visits: 1 + (i % 3),
    pageViews: 1 + (i % 50),
    utm: {},
    geo: { country: i % 4 === 0 ? 'DE' : 'FR' },
    device: { platform: 'desktop' },
    widgetOpen: false,
    tabs: 1,
    activeAt,
    invitations: 0,
  }
}

t.test('the console lists a 50,000-visitor site with virtual scrolling', async (t) => {
  const web = await staticDir()
  const nats = await startNatsServer()
  const n = await startNode({
    BECKON_NATS_URL: nats.url,
    BECKON_NODE_ID: 'scroll-a',
    BECKON_STATIC_DIR: web.dir,
    BECKON_FEED_INTERVAL_MS: '20',
    BECKON_LINGER_SECONDS: '0',
    // The simulated node never republishes: its visitors must not expire during the test.
    BECKON_REFRESH_SECONDS: '3600',
  })
  await n.site(SITE)
  const site = n.node.sites.get(SITE)
  if (!site) throw new Error('site missing')
  const nc = await connect({ servers: nats.url })
  const browser: Browser = await launchBrowser()
  const closers: Array<() => Promise<unknown>> = []
  t.teardown(async () => {
    for (const close of closers) await close()
    await browser.close()
    await nc.close()
    await n.stop()
    await nats.close()
    await web.remove()
  })

  // A second operator socket keeps the site watched, so the directory holds the simulated visitors.
  const keeper = await TestClient.connect(`${n.ws}/v1/operator`)
  closers.push(() => keeper.close())
  keeper.send({
    t: 'auth',
    token: await signOperatorToken(site, { id: 'keeper', perms: ['sees_all_online_visitors'] }),
  })
  await keeper.next('ready')
  keeper.send({ t: 'watch', site: SITE, view: { limit: 1 } })
  await keeper.next('visitors')
  const at = Date.now()
  for (let i = 0; i < SIMULATED; i += 500) {
    const upserts = Array.from({ length: Math.min(500, SIMULATED - i) }, (_, k) => summary(i + k, at))
    nc.publish(`beckon.visitors.${SITE}`, encodeValue({ node: 'sim-node', upserts, gone: [] }))
  }
  await nc.flush()
  await keeper.next((f: Frame) => f.t === 'window' && f.total === SIMULATED)

  const rita = await n.visitor({ page: { url: 'https://shop.example/pricing/pro', title: 'Pro plan' } })
  closers.push(() => rita.client.close())
  const ritaId = rita.welcome.visitor as string
  rita.client.send({ t: 'contact', name: 'Rita Real', email: 'rita@example.com' })
  await keeper.next((f: Frame) => f.t === 'window' && f.total === SIMULATED + 1)

  const token = await signOperatorToken(site, { id: 'ann', name: 'Ann', perms: ['sees_all_online_visitors'] })
  async function consolePage(width: number, height: number): Promise<Page> {
    const context = await browser.newContext({ viewport: { width, height } })
    const page = await context.newPage()
    page.setDefaultTimeout(WAIT_MS)
    page.on('pageerror', (error) => t.fail(`console page error: ${error.message}`))
    // Counts the watch frames the console sends (one per window move).
    await page.addInitScript(() => {
      const sent: unknown[] = []
      ;(window as unknown as { watches: unknown[] }).watches = sent
      const send = WebSocket.prototype.send
      WebSocket.prototype.send = function (data) {
        const frame = typeof data === 'string' ? JSON.parse(data) : undefined
        if (frame?.t === 'watch') sent.push(frame.view)
        return send.call(this, data)
      }
    })
    await page.goto(`${n.base}/console/#token=${token}`)
    await page.locator('[data-testid=status][data-state=online]').waitFor()
    return page
  }
  const page = await consolePage(1440, 900)
  const count = page.getByTestId('visitor-count')
  const grid = page.getByTestId('visitor-grid')
  const scroller = page.locator('.vscroll')
  const watches = () => page.evaluate(() => (window as unknown as { watches: Array<Record<string, unknown>> }).watches)
  const domRows = () => page.locator('[data-testid=visitor-grid] tbody tr').count()
  const scrollTo = (index: number) =>
    scroller.evaluate((el, y) => {
      el.scrollTop = y
    }, index * ROW_PX)

  await t.test('the snapshot renders the top of 50,001 rows, and only a few of them', async (t) => {
    await count.filter({ hasText: /^50,001 visitors$/ }).waitFor()
    await page.locator(row(sim(0))).waitFor()
    t.equal(await grid.getAttribute('aria-rowcount'), String(SIMULATED + 2), 'rows + header')
    t.equal(await page.locator(row(sim(0))).getAttribute('aria-rowindex'), '2')
    const rows = await domRows()
    t.ok(rows > 5 && rows < 100, `${rows} rows in the DOM`)
    const height = await page.locator('[data-testid=visitor-grid] tbody').evaluate((el) => el.clientHeight)
    t.equal(height, (SIMULATED + 1) * ROW_PX, 'the scrollbar spans every visitor')
    t.comment(`screenshot: ${await screenshot(page, 'console-visitors-50k-1440x900', { fullPage: false })}`)
  })

  await t.test('near the edge of the window the old rows stay until the new window is there', async (t) => {
    const before = (await watches()).length
    const shownAt = () =>
      page.evaluate(() =>
        Array.from(document.querySelectorAll('[data-testid=visitor-grid] tbody tr'))
          .filter((tr) => {
            const box = tr.getBoundingClientRect()
            const view = document.querySelector('.vscroll')?.getBoundingClientRect()
            return view !== undefined && box.bottom > view.top + 40 && box.top < view.bottom
          })
          .map((tr) => tr.getAttribute('data-visitor-id') ?? 'pending'),
      )
    await scrollTo(150)
    await page.locator(atIndex(150)).waitFor()
    const during = await shownAt()
    t.notOk(during.includes('pending'), 'no row in view waits for the node')
    await until('the window to move', async () => (await watches()).length > before)
    await grid.and(page.locator('[aria-busy=false]')).waitFor()
    const offset = (await watches())[before]?.offset as number
    t.ok(offset > 0 && offset <= 150 - 40, `the new window [${offset}, ${offset + 200}) has the viewport in its middle`)
    t.strictSame(await shownAt(), during, 'the same rows in the same places after the move')
  })

  await t.test('scrolling to the middle moves the window once and shows the real visitor there', async (t) => {
    const before = (await watches()).length
    await scrollTo(MIDDLE - 5)
    await page.locator(atIndex(MIDDLE)).filter({ hasText: 'Rita Real' }).waitFor()
    t.equal(await page.locator(atIndex(MIDDLE - 1)).getAttribute('data-visitor-id'), sim(MIDDLE - 1))
    t.equal(await page.locator(atIndex(MIDDLE + 1)).getAttribute('data-visitor-id'), sim(MIDDLE))
    t.equal(await page.locator(row(ritaId)).getAttribute('aria-rowindex'), String(MIDDLE + 2))
    const moved = (await watches()).slice(before)
    t.equal(moved.length, 1, 'one watch frame for the move')
    const offset = moved[0]?.offset as number
    t.ok(offset <= MIDDLE - 5 && MIDDLE + 30 < offset + 200, `window [${offset}, ${offset + 200}) covers the viewport`)
    const rows = await domRows()
    t.ok(rows < 100, `${rows} rows in the DOM`)
  })

  await t.test('select, keyboard, invite from the middle', async (t) => {
    await page.locator(row(ritaId)).click()
    const detail = page.getByTestId('detail')
    await detail.filter({ hasText: 'rita@example.com' }).waitFor()
    await grid.press('ArrowDown')
    await detail.filter({ hasText: sim(MIDDLE) }).waitFor()
    t.equal(await page.locator(row(sim(MIDDLE))).getAttribute('aria-selected'), 'true')
    t.equal(await grid.getAttribute('aria-activedescendant'), `visitor-row-${sim(MIDDLE)}`)
    await grid.press('ArrowUp')
    await detail.filter({ hasText: 'rita@example.com' }).waitFor()
    await page.getByTestId('invite-text').fill('Questions about the Pro plan?')
    await page.getByTestId('invite').click()
    t.match(await rita.client.next('invite'), { text: 'Questions about the Pro plan?', startChat: false })
    await page.getByTestId('invite-note').filter({ hasText: 'Invitation sent' }).waitFor()
    t.comment(`screenshot: ${await screenshot(page, 'console-visitors-50k-middle', { fullPage: false })}`)
  })

  await t.test('deltas in the window: a visitor leaves, another arrives', async (t) => {
    nc.publish(`beckon.visitors.${SITE}`, encodeValue({ node: 'sim-node', upserts: [], gone: [sim(MIDDLE - 1)] }))
    await count.filter({ hasText: /^50,000 visitors$/ }).waitFor()
    await page
      .locator(atIndex(MIDDLE - 1))
      .filter({ hasText: 'Rita Real' })
      .waitFor()
    t.equal(await page.locator(row(sim(MIDDLE - 1))).count(), 0, 'the gone visitor is no row any more')
    t.equal(await page.locator(atIndex(MIDDLE - 2)).getAttribute('data-visitor-id'), sim(MIDDLE - 2))
    const late = await n.visitor({ page: { url: 'https://shop.example/late', title: 'Late arrival' } })
    closers.push(() => late.client.close())
    await count.filter({ hasText: /^50,001 visitors$/ }).waitFor()
    // Newer activity than Rita's: it sorts just before her.
    await page
      .locator(atIndex(MIDDLE - 1))
      .filter({ hasText: 'Late arrival' })
      .waitFor()
    await page.locator(atIndex(MIDDLE)).filter({ hasText: 'Rita Real' }).waitFor()
    t.pass('rows follow the window deltas')
  })

  await t.test('the end of the list', async (t) => {
    await scroller.evaluate((el) => {
      el.scrollTop = el.scrollHeight
    })
    const last = page.locator(row(sim(SIMULATED - 1)))
    await last.waitFor()
    t.equal(await last.getAttribute('aria-rowindex'), String(SIMULATED + 2), 'the last row')
    t.equal(await last.getAttribute('data-index'), String(SIMULATED))
  })

  await t.test('the selected visitor stays live in the detail while out of the window', async (t) => {
    t.equal(await page.locator(row(ritaId)).count(), 0, 'Rita is far out of view')
    rita.client.send({ t: 'page', url: 'https://shop.example/checkout', title: 'Checkout' })
    const detail = page.getByTestId('detail')
    await detail.filter({ hasText: 'https://shop.example/checkout' }).waitFor()
    t.notMatch(await detail.textContent(), /\(left\)/, 'not taken for gone')
    await rita.client.close()
    await detail.filter({ hasText: 'Rita Real (left)' }).waitFor()
    await count.filter({ hasText: /^50,000 visitors$/ }).waitFor()
  })

  await t.test('filters and sort are the view: the total narrows', async (t) => {
    await page.getByTestId('filter-country').fill('de')
    await count.filter({ hasText: /^12,500 visitors$/ }).waitFor()
    await page
      .locator(atIndex(0))
      .and(page.locator(row(sim(0))))
      .waitFor()
    t.equal(await page.locator(atIndex(1)).getAttribute('data-visitor-id'), sim(4))
    t.equal(await scroller.evaluate((el) => el.scrollTop), 0, 'back at the top')
    await page.getByTestId('filter-url').fill('/pricing/')
    // Every 20th sim is in DE and on /pricing/.
    await count.filter({ hasText: /^2,500 visitors$/ }).waitFor()
    t.equal(await page.locator(atIndex(1)).getAttribute('data-visitor-id'), sim(20))
    await page.getByTestId('filter-country').fill('')
    await page.getByTestId('filter-url').fill('')
    await page.getByTestId('filter-q').fill(sim(1234))
    await count.filter({ hasText: /^1 visitor$/ }).waitFor()
    await page
      .locator(atIndex(0))
      .and(page.locator(row(sim(1234))))
      .waitFor()
    await page.getByTestId('filter-q').fill('sim 4999')
    // Sim 4999 and Sim 49990 … 49999, which were active longer ago.
    await count.filter({ hasText: /^11 visitors$/ }).waitFor()
    await page
      .locator(atIndex(0))
      .and(page.locator(row(sim(4999))))
      .waitFor()
    t.equal(await page.locator(atIndex(1)).getAttribute('data-visitor-id'), sim(49990))
    await page.getByTestId('filter-q').fill('')
    await page.getByTestId('filter-returning').selectOption('false')
    // visits = 1 + i % 3, and the late real visitor is new.
    await count.filter({ hasText: /^16,667 visitors$/ }).waitFor()
    await page.getByTestId('filter-returning').selectOption('')
    await page.getByTestId('sort-by').selectOption('pages')
    await count.filter({ hasText: /^50,000 visitors$/ }).waitFor()
    // 50 pages: sims 49, 99, …, the ties by id.
    await page
      .locator(atIndex(0))
      .and(page.locator(row(sim(49))))
      .waitFor()
    t.equal(await page.locator(atIndex(1)).getAttribute('data-visitor-id'), sim(99))
    t.equal(await page.locator(`${atIndex(0)} [data-testid=visitor-pages]`).textContent(), '50')
  })

  await t.test('no serious or critical accessibility violations (axe-core)', async (t) => {
    const bad = await axeViolations(page, '.visitors')
    t.same(bad, [], `axe: ${JSON.stringify(bad)}`)
    const snapshot = await page.locator('.visitors').ariaSnapshot()
    t.match(snapshot, /grid "Visitors online"/, 'a grid in the accessibility tree')
    t.match(snapshot, /row "/, 'with rows')
  })

  await t.test('at 1024x768', async (t) => {
    const small = await consolePage(1024, 768)
    await small
      .getByTestId('visitor-count')
      .filter({ hasText: /^50,000 visitors$/ })
      .waitFor()
    await small.locator(row(sim(0))).waitFor()
    t.comment(`screenshot: ${await screenshot(small, 'console-visitors-50k-1024x768', { fullPage: false })}`)
    await small.context().close()
  })
})
