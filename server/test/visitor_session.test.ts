import t from 'tap'
import { until } from './support/until.js'
import { createHmac } from 'node:crypto'
import { SUBPROTOCOL } from '../../shared/src/protocol.js'
import { ORIGIN, SITE_SECRET, startNode, type TestNode } from './support/test_node.js'
import { TestClient } from './support/test_client.js'

const IPHONE_UA =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1'

function facts(n: TestNode, visitor: string): ReadonlyMap<string, unknown> {
  const live = n.node.hub.get('shop', visitor)
  if (!live) throw new Error(`visitor ${visitor} not live`)
  return live.facts
}

t.test('visitor sessions', async (t) => {
  const n = await startNode()
  t.teardown(() => n.stop())
  await n.site()

  t.test('hello gets welcome with a new visitor, a token and visit 1', async (t) => {
    const { client, welcome } = await n.visitor()
    t.match(welcome, { t: 'welcome', visitor: /^[A-Za-z0-9_-]{16}$/, token: /\./, visit: 1, resumed: false })
    await client.close()
  })

  t.test('msgpack subprotocol speaks binary frames', async (t) => {
    const { client, welcome } = await n.visitor({}, { subprotocol: SUBPROTOCOL.msgpack })
    t.equal(client.ws.protocol, SUBPROTOCOL.msgpack)
    t.equal(welcome.visit, 1)
    client.send({ t: 'nope' })
    t.match(await client.next('error'), { code: 'unknown_type' })
    await client.close()
  })

  t.test('no subprotocol means JSON', async (t) => {
    const { client, welcome } = await n.visitor({}, { subprotocol: null })
    t.equal(client.ws.protocol, '')
    t.equal(welcome.t, 'welcome')
    await client.close()
  })

  t.test('a token resumes the visitor; a forged one starts afresh with an error', async (t) => {
    const first = await n.visitor()
    await first.client.close()
    const again = await n.visitor({ token: first.welcome.token })
    t.equal(again.welcome.visitor, first.welcome.visitor)
    t.equal(again.welcome.resumed, true)
    t.equal(again.welcome.visit, 1, 'within the gap: same visit')
    await again.client.close()

    const forged = await TestClient.connect(`${n.ws}/v1/visitor?site=shop`, { origin: ORIGIN })
    forged.send({
      t: 'hello',
      token: first.welcome.token.replace(/.$/, (c: string) => (c === 'A' ? 'B' : 'A')),
      page: { url: 'https://shop.example/', title: '' },
    })
    t.match(await forged.next('error'), { code: 'token_invalid' })
    const welcome = await forged.next('welcome')
    t.not(welcome.visitor, first.welcome.visitor)
    t.equal(welcome.resumed, false)
    await forged.close()
  })

  t.test('page views, SPA navigation, referrer, landing URL and UTM', async (t) => {
    const { client, welcome } = await n.visitor({
      page: {
        url: 'https://shop.example/?utm_source=news&utm_medium=email&utm_campaign=fall',
        title: 'Home',
        referrer: 'https://search.example/q',
      },
    })
    client.send({ t: 'page', url: 'https://shop.example/kb/1', title: 'KB 1' })
    client.send({ t: 'page', url: 'https://shop.example/kb/2#top', title: 'KB 2' })
    client.send({ t: 'page', url: 'https://shop.example/kb/1', title: 'KB 1' })
    client.send({ t: 'exit' })
    client.send({ t: 'nope' }) // marks the end: its error arrives after the frames before it were applied
    await client.next('error')
    const f = facts(n, welcome.visitor)
    t.equal(f.get('page.url'), 'https://shop.example/kb/1')
    t.equal(f.get('page.title'), 'KB 1')
    t.equal(f.get('page.views'), 2)
    t.equal(f.get('visit.pageViews'), 4)
    t.equal(f.get('visit.referrer'), 'https://search.example/q')
    t.equal(f.get('visit.source'), 'https://shop.example/?utm_source=news&utm_medium=email&utm_campaign=fall')
    t.equal(f.get('utm.source'), 'news')
    t.equal(f.get('utm.medium'), 'email')
    t.equal(f.get('utm.campaign'), 'fall')
    t.equal(f.get('utm.term'), undefined, 'absent')
    t.equal(f.get('exit.seconds'), 0)
    const clock = f.get('page.seconds') as { since: number }
    t.ok(clock.since <= Date.now() && clock.since > Date.now() - 5000, 'page clock started at the last view')
    await client.close()
  })

  t.test('geo from a trusted proxy, device and language from the upgrade request', async (t) => {
    const proxied = await startNode({ BECKON_TRUSTED_PROXIES: '127.0.0.0/8, ::1' })
    t.teardown(() => proxied.stop())
    await proxied.site()
    const { client, welcome } = await proxied.visitor(
      {},
      {
        headers: {
          'x-forwarded-for': '10.1.1.1, 81.2.69.142',
          'user-agent': IPHONE_UA,
          'accept-language': 'de-DE,de;q=0.9',
        },
      },
    )
    const live = proxied.node.hub.get('shop', welcome.visitor)
    t.equal(live?.facts.get('geo.country'), 'GB')
    t.equal(live?.facts.get('geo.city'), 'St Albans')
    t.equal(live?.facts.get('device.platform'), 'mobile')
    t.equal(live?.facts.get('device.os'), 'iOS')
    t.equal(live?.facts.get('device.browser'), 'Mobile Safari')
    t.equal(live?.facts.get('visitor.language'), 'de-DE')
    await client.close()

    // Not trusted: the header is ignored and the loopback peer has no geo.
    const direct = await n.visitor({ lang: 'fr' }, { headers: { 'x-forwarded-for': '81.2.69.142' } })
    t.equal(facts(n, direct.welcome.visitor).get('geo.country'), undefined)
    t.equal(facts(n, direct.welcome.visitor).get('device.platform'), 'desktop')
    t.equal(facts(n, direct.welcome.visitor).get('visitor.language'), 'fr', 'hello.lang wins over the header')
    await direct.client.close()
  })

  t.test('several tabs of one visitor share one state', async (t) => {
    const one = await n.visitor({ page: { url: 'https://shop.example/a', title: 'A' } })
    const two = await n.visitor({ token: one.welcome.token, page: { url: 'https://shop.example/b', title: 'B' } })
    t.equal(two.welcome.visitor, one.welcome.visitor)
    const live = n.node.hub.get('shop', one.welcome.visitor)
    t.equal(live?.tabs.size, 2)
    t.equal(live?.facts.get('page.url'), 'https://shop.example/b', 'latest view is the current page')
    t.equal(live?.facts.get('visit.pageViews'), 2)
    one.client.send({ t: 'widget', open: true })
    one.client.send({ t: 'nope' })
    await one.client.next('error')
    t.equal(live?.facts.get('widget.open'), true, 'widget state is the visitor’s, whichever tab')
    await two.client.close()
    await until('the closed tab to detach', () => live?.tabs.size === 1)
    t.equal(live?.facts.get('page.url'), 'https://shop.example/a', 'back to the remaining tab')
    await one.client.close()
  })

  t.test('widget, context, identify and contact', async (t) => {
    const { client, welcome } = await n.visitor({ context: { plan: 'pro', seats: 5 } })
    client.send({ t: 'widget', open: true })
    client.send({ t: 'widget', open: false })
    client.send({ t: 'context', data: { caseId: 'C-42', seats: null, tags: ['a', 'b'] } })
    const hash = createHmac('sha256', SITE_SECRET).update('u-1').digest('hex')
    client.send({ t: 'identify', user: { id: 'u-1', hash, name: 'Ada', email: 'ada@example.com' } })
    client.send({ t: 'nope' })
    await client.next('error')
    const f = facts(n, welcome.visitor)
    t.equal(f.get('widget.open'), false)
    t.type((f.get('widget.secondsSinceClosed') as { since: number }).since, 'number')
    t.equal(f.get('context.plan'), 'pro')
    t.equal(f.get('context.caseId'), 'C-42')
    t.equal(f.get('context.seats'), undefined, 'null removes a key')
    t.same(f.get('context.tags'), ['a', 'b'])
    t.equal(f.get('user.authenticated'), true)
    t.equal(f.get('visitor.name'), 'Ada')

    client.send({ t: 'identify', user: { id: 'u-2', hash } })
    t.match(await client.next('error'), { code: 'user_hash_invalid' })
    t.equal(f.get('user.authenticated'), false)
    client.send({ t: 'contact', email: 'grace@example.com' })
    client.send({ t: 'context', data: Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`k${i}`, i])) })
    t.match(await client.next('error'), { code: 'bad_frame', message: /context/ })
    t.equal(f.get('visitor.email'), 'grace@example.com')
    t.equal(f.get('context.k1'), undefined, 'a refused context merge changes nothing')
    await client.close()
  })

  t.test('an invalid user hash in hello is reported and not trusted', async (t) => {
    const { client, welcome } = await n.visitor({ user: { id: 'u-1', hash: '0'.repeat(64) } })
    t.match(await client.next('error'), { code: 'user_hash_invalid' })
    t.equal(facts(n, welcome.visitor).get('user.authenticated'), false)
    await client.close()
  })
})
