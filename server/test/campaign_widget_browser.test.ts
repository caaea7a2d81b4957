import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { signOperatorToken } from '../src/operator/operator_token.js'
import { widgetTestbed } from './support/browser.js'
import { TestClient } from './support/test_client.js'
import { until } from './support/until.js'

const SITE = 'demo'
const SCREENSHOT = '/tmp/beckon-widget-rich-bubble.png'

const WAVE_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="240" height="90" viewBox="0 0 240 90">
<rect width="240" height="90" rx="10" fill="#e8eefc"/><text x="120" y="56" font-size="32" text-anchor="middle">Hi there!</text></svg>`

/** A pricing page embedding the widget as `data-widget="pricing"`. */
const PRICING_PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>Pricing</title></head>
<body><h1>Plans</h1><script async src="/dist/widget.js" data-site="${SITE}" data-widget="pricing"></script></body></html>`

t.test('rich invitations in a real browser', async (t) => {
  const { web, node, browser } = await widgetTestbed(t, SITE)
  await writeFile(join(web.dir, 'demo', 'wave.svg'), WAVE_SVG)
  await writeFile(join(web.dir, 'demo', 'plans.html'), PRICING_PAGE)

  t.test('a javascript: link is refused when the campaign is saved', async (t) => {
    const res = await node.admin('PUT', `/v1/sites/${SITE}/campaigns/evil`, {
      message: { text: 'Click me', buttons: [{ label: 'Win', url: 'javascript:alert(document.cookie)' }] },
    })
    t.match(res, { status: 400, body: { error: { code: 'invalid_campaign', path: 'message.buttons.0.url' } } })
  })

  t.test('the visitor sees image and buttons; a quick reply starts the chat with its label', async (t) => {
    const res = await node.admin('PUT', `/v1/sites/${SITE}/campaigns/plans`, {
      tags: ['sales'],
      when: { field: 'widget.id', op: 'eq', value: 'pricing' },
      message: {
        text: 'Questions about our plans?',
        media: { url: '/demo/wave.svg', alt: 'A waving hand' },
        buttons: [
          { label: 'Compare plans', url: 'https://example.com/compare' },
          { label: 'Talk to sales', reply: true },
        ],
      },
    })
    t.equal(res.status, 201)
    const site = node.node.sites.get(SITE)
    if (!site) throw new Error('no site')
    const op = await TestClient.connect(`${node.ws}/v1/operator`)
    t.teardown(() => op.close())
    op.send({ t: 'auth', token: await signOperatorToken(site, { id: 'sam', perms: ['sees_all_online_visitors'] }) })
    await op.next('ready')

    const context = await browser!.newContext({ viewport: { width: 1000, height: 700 } })
    t.teardown(() => context.close())
    const page = await context.newPage()
    await page.goto(`${node.base}/demo/plans.html`)
    const widget = page.locator('beckon-widget')
    await widget.getByTestId('bubble-text').filter({ hasText: 'Questions about our plans?' }).waitFor()
    const image = widget.getByTestId('bubble-media')
    await image.waitFor()
    t.equal(await image.getAttribute('alt'), 'A waving hand')
    await until('image loaded', () => image.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0))
    const buttons = widget.getByTestId('bubble-button')
    t.strictSame(await buttons.allTextContents(), ['Compare plans', 'Talk to sales'])
    const link = buttons.first()
    t.equal(await link.evaluate((el) => el.tagName), 'A')
    t.equal(await link.getAttribute('href'), 'https://example.com/compare')
    t.equal(await link.getAttribute('target'), '_blank')
    t.equal(await link.getAttribute('rel'), 'noopener noreferrer')
    await page.screenshot({ path: SCREENSHOT })

    await buttons.filter({ hasText: 'Talk to sales' }).click()
    await widget.getByTestId('panel').waitFor()
    await widget.getByTestId('message').filter({ hasText: 'Talk to sales' }).waitFor()
    const chat = await op.next((f) => f.t === 'chat')
    t.strictSame(chat.tags, ['sales'], 'the conversation carries the campaign tags')
    const first = await op.next((f) => f.t === 'msg' && f.conversation === chat.conversation)
    t.match(first, { from: 'visitor', text: 'Talk to sales' }, "the quick reply is the visitor's first message")
    const stats = await until('clicked counted', async () => {
      const s = await node.admin('GET', `/v1/sites/${SITE}/campaigns/plans/stats`)
      return s.body.clicked === 1 && s.body
    })
    t.match(stats, { sent: 1, shown: 1, opened: 1, clicked: 1, replied: 1 })
  })
})
