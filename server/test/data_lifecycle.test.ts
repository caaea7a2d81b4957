import t from 'tap'
import { startNatsServer } from './support/nats_server.js'
import { startNode } from './support/test_node.js'
import { until } from './support/until.js'

t.test('privacy routes: export and cluster-wide erasure of a visitor', async (t) => {
  const nats = await startNatsServer()
  t.teardown(() => nats.close())
  const env = { BECKON_NATS_URL: nats.url, BECKON_REFRESH_SECONDS: '1', BECKON_LINGER_SECONDS: '0' }
  const a = await startNode({ ...env, BECKON_NODE_ID: 'node-a' })
  const b = await startNode({ ...env, BECKON_NODE_ID: 'node-b' })
  t.teardown(async () => {
    await a.stop()
    await b.stop()
  })
  await a.site()
  await until('site on node B', () => b.node.sites.get('shop') !== undefined)
  const { client, welcome } = await a.visitor({ context: { plan: 'gold' } })
  const id = welcome.visitor as string
  client.send({ t: 'msg', text: 'my secret question' })
  const stored = await until('the chat is stored', async () => {
    const conversations = await a.node.store.list<{ visitor: string; id: string }>('conversations', 'shop.c.')
    return conversations.find((c) => c.value.visitor === id)?.value
  })

  const exported = await b.admin('GET', `/v1/sites/shop/visitors/${id}`)
  t.equal(exported.status, 200, 'export from another node')
  t.match(exported.body, {
    site: 'shop',
    visitor: id,
    profile: { visits: 1, visit: { context: { plan: 'gold' } } },
    conversations: [{ conversation: { id: stored.id, visitor: id }, messages: [{ text: 'my secret question' }] }],
  })
  const anonymous = await fetch(`${b.base}/v1/sites/shop/visitors/${id}`)
  t.equal(anonymous.status, 401, 'admin only')
  t.equal((await b.admin('GET', '/v1/sites/shop/visitors/bad.id')).status, 400)
  t.equal((await b.admin('GET', '/v1/sites/shop/visitors/nobody')).status, 404)

  const erased = await b.admin('DELETE', `/v1/sites/shop/visitors/${id}`)
  t.match(erased, { status: 200, body: { visitor: id, erased: { profile: true, conversations: 1 } } })
  t.match(
    await client.closed,
    { code: 1000, reason: 'visitor data erased' },
    'the live tab on the other node is closed',
  )
  await until('node A forgot the visitor', () => a.node.hub.get('shop', id) === undefined)
  t.equal((await a.admin('GET', `/v1/sites/shop/visitors/${id}`)).status, 404, 'nothing left to export')
  t.equal(await a.node.store.get('profiles', `shop.${id}`), undefined, 'profile gone')
  t.strictSame(await a.node.store.read(`shop.${stored.id}`, 0), [], 'messages gone')
  t.equal(await a.node.store.get('conversations', `shop.c.${stored.id}`), undefined, 'conversation gone')
  t.equal(await a.node.store.get('conversations', `shop.open.${id}`), undefined, 'open pointer gone')
})

t.test('beckon_store_bytes reports the store size', async (t) => {
  const n = await startNode()
  t.teardown(() => n.stop())
  await n.site()
  const text = await (await fetch(`${n.base}/metrics`)).text()
  const bytes = Number(/^beckon_store_bytes\{[^}]*\} (\d+)$/m.exec(text)?.[1])
  t.ok(bytes > 0, `beckon_store_bytes ${bytes}`)
})

t.test('new profiles per IP per minute are capped; visitors beyond are served but not stored', async (t) => {
  const n = await startNode({ BECKON_NEW_VISITORS_PER_IP_PER_MINUTE: '3' })
  t.teardown(() => n.stop())
  await n.site()
  const visitors = []
  for (let i = 0; i < 5; i++) visitors.push(await n.visitor())
  t.ok(
    visitors.every((v) => v.welcome.visitor),
    'every tokenless hello is welcomed',
  )
  const ephemeral = visitors.slice(3)
  t.ok(
    ephemeral.every((v) => n.node.hub.get('shop', v.welcome.visitor)?.ephemeral),
    'the ones past the cap are ephemeral',
  )
  ephemeral[0]?.client.send({ t: 'page', url: 'https://shop.example/pricing', title: 'Pricing' })
  ephemeral[0]?.client.send({ t: 'nope' })
  await ephemeral[0]?.client.next('error')
  t.equal(n.node.hub.get('shop', ephemeral[0]?.welcome.visitor)?.facts.get('page.url'), 'https://shop.example/pricing')
  await n.node.hub.flush()
  const stored = (await n.node.store.list('profiles', 'shop.')).map((e) => e.key)
  t.strictSame(
    stored.sort(),
    visitors
      .slice(0, 3)
      .map((v) => `shop.${v.welcome.visitor}`)
      .sort(),
    'only 3 stored',
  )
  await Promise.all(visitors.map((v) => v.client.close()))
})
