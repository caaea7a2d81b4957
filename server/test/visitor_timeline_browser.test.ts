import type { BrowserContextOptions, Page } from 'playwright-core'
import t from 'tap'
import { signOperatorToken } from '../src/operator/operator_token.js'
import { axeViolations, screenshot, widgetTestbed } from './support/browser.js'
import { until } from './support/until.js'

const SITE = 'demo'
const WAIT_MS = 8_000
const GAP_SECONDS = 3
const DESKTOP: BrowserContextOptions = { viewport: { width: 1440, height: 900 } }

// Runs before the page's scripts: the embed stub and a record of welcomes.
const RECORD = `
  window.welcomes = []
  window.beckon = function () { (beckon.q = beckon.q || []).push(arguments) }
  beckon('on', 'welcome', (w) => welcomes.push(w))
`
interface PageGlobals {
  welcomes: Array<{ visitor: string; visit: number }>
}

t.test('visitor timeline in the console: visits, pages with time spent, campaigns fired', async (t) => {
  const { node, browser } = await widgetTestbed(t, SITE, {
    BECKON_VISIT_GAP_SECONDS: String(GAP_SECONDS),
    BECKON_FEED_INTERVAL_MS: '20',
  })
  const site = node.node.sites.get(SITE)
  if (!site) throw new Error('no site')
  const saved = await node.admin('PUT', `/v1/sites/${SITE}/campaigns/pricing-help`, {
    name: 'Pricing help',
    frequency: 'every_time',
    when: { field: 'page.url', op: 'contains', value: '/pricing' },
    message: { text: 'Questions about our plans?', startChat: false },
  })
  t.equal(saved.status, 201, 'campaign saved')

  // The visitor: a real widget on the demo pages, in one browser profile (one visitor id).
  const visitorContext = await browser.newContext(DESKTOP)
  t.teardown(() => visitorContext.close())
  await visitorContext.addInitScript(RECORD)
  const welcomed = (page: Page) =>
    page.waitForFunction(() => (window as unknown as PageGlobals).welcomes[0], undefined, { timeout: WAIT_MS })
  async function browse(page: Page, path: string): Promise<{ visitor: string; visit: number }> {
    await page.goto(`${node.base}${path}`)
    return (await (await welcomed(page)).jsonValue()) as { visitor: string; visit: number }
  }
  const tab = await visitorContext.newPage()
  tab.setDefaultTimeout(WAIT_MS)
  tab.on('pageerror', (error) => t.fail(`visitor page error: ${error.message}`))
  const { visitor } = await browse(tab, '/demo/')
  await browse(tab, '/demo/pricing.html')
  await until('the pricing campaign fired', () => node.node.hub.get(SITE, visitor)?.visit.invitationsSent === 1)
  await browse(tab, '/demo/kb/')
  await tab.close()
  const leftAt = Date.now()
  await until('the first visit to end', () => Date.now() - leftAt > GAP_SECONDS * 1000 + 200)
  const second = await visitorContext.newPage()
  second.setDefaultTimeout(WAIT_MS)
  t.match(await browse(second, '/demo/app.html'), { visitor, visit: 2 }, 'the same visitor, a second visit')

  // The operator selects the visitor in the live list.
  const token = await signOperatorToken(site, { id: 'ann', name: 'Ann', perms: ['sees_all_online_visitors'] })
  const consoleContext = await browser.newContext(DESKTOP)
  t.teardown(() => consoleContext.close())
  const page = await consoleContext.newPage()
  page.setDefaultTimeout(WAIT_MS)
  page.on('pageerror', (error) => t.fail(`console page error: ${error.message}`))
  await page.goto(`${node.base}/console/#token=${token}`)
  await page.locator(`[data-testid=visitor-row][data-visitor-id="${visitor}"]`).click()
  const timeline = page.getByTestId('visitor-timeline')
  const visits = timeline.getByTestId('timeline-visit')
  await until('two visits listed', async () => (await visits.count()) === 2)

  const current = visits.nth(0)
  t.match(await current.locator('summary').textContent(), /Visit 2 \(current\).*1 page.*direct/)
  t.equal(await current.locator('details').getAttribute('open'), '', 'the current visit is unfolded')
  t.strictSame(
    await current.getByTestId('timeline-page-title').allTextContents(),
    ['Dashboard · AcmeCloud app'],
    'the page title as the page reported it',
  )
  t.equal(await current.getByTestId('timeline-page-time').textContent(), 'open', 'the page still open')

  const first = visits.nth(1)
  t.equal(await first.locator('details').getAttribute('open'), null, 'an earlier visit is folded')
  t.match(await first.locator('summary').textContent(), /Visit 1.*3 pages/)
  await first.locator('summary').click()
  await first.getByTestId('timeline-page').first().waitFor()
  t.strictSame(
    await first.getByTestId('timeline-page-title').allTextContents(),
    ['AcmeCloud · beckon demo', 'Pricing · AcmeCloud', 'Knowledge base · AcmeCloud'],
    'unfolded: every page of the first visit in order',
  )
  const times = await first.getByTestId('timeline-page-time').allTextContents()
  t.ok(
    times.every((time) => /^\d+:\d\d$/.test(time)),
    `time spent on each page, the last one too once its tab closed (${times.join(', ')})`,
  )
  t.match(await first.locator('.url').first().textContent(), /127\.0\.0\.1:\d+\/demo\//, 'with its URL')

  const fired = timeline.getByTestId('campaign-fired')
  t.equal(await fired.count(), 1)
  t.strictSame(await fired.getByTestId('campaign-fired-name').allTextContents(), ['Pricing help'])
  t.match(await fired.first().textContent(), /visit 1.*Questions about our plans\?/)
  t.strictSame(await axeViolations(page, '[data-testid=visitor-timeline]'), [], 'axe: the timeline')
  await screenshot(page, 'visitor-timeline-1440')

  // Live: the next page view and the campaign it fires appear without reselecting.
  await browse(second, '/demo/pricing.html')
  await until(
    'the second page in the current visit',
    async () => (await current.getByTestId('timeline-page').count()) === 2,
  )
  t.match(
    await current.getByTestId('timeline-page-time').first().textContent(),
    /^\d+:\d\d$/,
    'the page left has its time',
  )
  await until('the second invitation listed', async () => (await fired.count()) === 2)
  t.strictSame(
    await fired
      .locator('.meta')
      .allTextContents()
      .then((m) => m.map((x) => x.replace(/^.* · /, ''))),
    ['visit 2', 'visit 1'],
    'newest first',
  )

  await page.setViewportSize({ width: 1024, height: 768 })
  const box = await timeline.boundingBox()
  const width = await page.evaluate(() => document.documentElement.clientWidth)
  t.ok(box && box.x >= 0 && box.x + box.width <= width, 'the timeline fits at 1024 px')
  await screenshot(page, 'visitor-timeline-1024')
})
