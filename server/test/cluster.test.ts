import t from 'tap'
import { until } from './support/until.js'
import { signOperatorToken } from '../src/operator/operator_token.js'
import { startTwoNodes } from './support/test_cluster.js'
import type { TestNode } from './support/test_node.js'
import { TestClient, type Frame } from './support/test_client.js'

async function operator(n: TestNode, id: string): Promise<TestClient> {
  const site = n.node.sites.get('shop')
  if (!site) throw new Error('site not on this node')
  const client = await TestClient.connect(`${n.ws}/v1/operator`)
  client.send({ t: 'auth', token: await signOperatorToken(site, { id, name: id }) })
  await client.next('ready')
  client.send({ t: 'watch', site: 'shop' })
  await client.next('visitors')
  return client
}

t.test('two nodes on one nats-server', async (t) => {
  const { nats, a, b } = await startTwoNodes(t, 'node')
  await a.site()
  await until('site on node B', () => b.node.sites.get('shop') !== undefined)
  t.pass('a site created on node A reaches node B')

  t.test('an operator on A sees and chats with a visitor on B', async (t) => {
    const op = await operator(a, 'ann')
    const { client, welcome } = await b.visitor({ page: { url: 'https://shop.example/b', title: 'B' } })
    t.match(await op.next((f) => f.t === 'visitor' && f.id === welcome.visitor), {
      page: { url: 'https://shop.example/b' },
    })
    op.send({ t: 'invite', visitor: welcome.visitor, text: 'Hi from A', startChat: true })
    t.match(await client.next('invite'), { text: 'Hi from A', startChat: true })
    const chat = await client.next('chat')
    client.send({ t: 'msg', text: 'hello A' })
    t.match(await op.next((f) => f.t === 'msg' && f.from === 'visitor'), {
      text: 'hello A',
      conversation: chat.conversation,
    })
    op.send({ t: 'msg', conversation: chat.conversation, text: 'hello B' })
    t.match(await client.next((f) => f.t === 'msg' && f.text === 'hello B'), { from: 'operator' })
    t.equal(b.node.hub.get('shop', welcome.visitor)?.facts.get('team.online'), true, 'presence crosses nodes')
    await Promise.all([op.close(), client.close()])
  })

  t.test('an operator coming online later lists visitors already on the other node', async (t) => {
    const early = await b.visitor({ page: { url: 'https://shop.example/early', title: 'Early' } })
    const site = a.node.sites.get('shop')
    if (!site) throw new Error('no site')
    const op = await TestClient.connect(`${a.ws}/v1/operator`)
    op.send({ t: 'auth', token: await signOperatorToken(site, { id: 'late-ann' }) })
    await op.next('ready')
    op.send({ t: 'watch', site: 'shop' })
    const snapshot = await op.next('visitors')
    const inSnapshot = (snapshot.list as Frame[]).some((v) => v.id === early.welcome.visitor)
    if (!inSnapshot) await op.next((f) => f.t === 'visitor' && f.id === early.welcome.visitor)
    t.pass('node B publishes its visitors once the site has an operator')
    await Promise.all([op.close(), early.client.close()])
  })

  t.test('two tabs on two nodes share one visitor state', async (t) => {
    await a.admin('PUT', '/v1/sites/shop/campaigns/second-page', {
      name: 'Second page',
      frequency: 'once_per_visitor',
      when: { field: 'visit.pageViews', op: 'gte', value: 3 },
      message: { text: 'You seem interested', startChat: false },
    })
    await until('campaign on node B', () => b.node.campaigns.get('shop', 'second-page') !== undefined)
    const one = await a.visitor({ page: { url: 'https://shop.example/1', title: '1' } })
    const two = await b.visitor({ token: one.welcome.token, page: { url: 'https://shop.example/2', title: '2' } })
    t.equal(two.welcome.visitor, one.welcome.visitor)
    t.equal(two.welcome.visit, 1)
    const owner = a.node.hub.get('shop', one.welcome.visitor)
    t.ok(owner, 'node A owns the visitor')
    t.notOk(b.node.hub.get('shop', one.welcome.visitor), 'node B holds no copy')
    t.equal(owner?.tabs.size, 2)
    two.client.send({ t: 'page', url: 'https://shop.example/3', title: '3' })
    t.match(
      await one.client.next('invite'),
      { campaign: 'second-page' },
      'the third view, made on B, fires on the owner',
    )
    t.match(await two.client.next('invite'), { campaign: 'second-page' }, 'and reaches the tab on B')
    t.equal(owner?.facts.get('page.url'), 'https://shop.example/3')
    two.client.send({ t: 'context', data: Object.fromEntries(Array.from({ length: 80 }, (_, i) => [`k${i}`, i])) })
    t.match(await two.client.next('error'), { code: 'bad_frame' }, 'errors come back over the relay')
    await Promise.all([one.client.close(), two.client.close()])
  })

  t.test('a campaign preview on A finds the visitors of B', async (t) => {
    const onB = await b.visitor({ page: { url: 'https://shop.example/preview-me', title: 'P' } })
    const res = await a.admin('POST', '/v1/sites/shop/campaigns/preview', {
      id: 'draft',
      name: 'Draft',
      message: { text: 'x' },
      when: { field: 'page.url', op: 'contains', value: 'preview-me' },
    })
    t.match(res, {
      status: 200,
      body: { count: 1, nodes: 2, complete: true, visitors: [{ visitor: onB.welcome.visitor }] },
    })
    await onB.client.close()
  })

  t.test('restarting nats-server mid-traffic', async (t) => {
    const op = await operator(a, 'ann')
    const { client, welcome } = await b.visitor()
    await op.next((f) => f.t === 'visitor' && f.id === welcome.visitor)
    for (let i = 0; i < 20; i++) client.send({ t: 'page', url: `https://shop.example/p${i}`, title: `${i}` })
    await nats.restart()
    // Both nodes reconnect on their own; traffic after the restart flows again.
    client.send({ t: 'page', url: 'https://shop.example/after', title: 'after' })
    await op.next(
      (f) => f.t === 'visitor' && f.id === welcome.visitor && (f.page as Frame).url === 'https://shop.example/after',
      20_000,
    )
    const late = await b.visitor()
    await op.next((f) => f.t === 'visitor' && f.id === late.welcome.visitor, 20_000)
    t.pass('new visitors and updates reach the operator after the restart')
    await Promise.all([op.close(), client.close(), late.client.close()])
  })
})
