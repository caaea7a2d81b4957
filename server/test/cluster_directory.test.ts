import { connect } from '@nats-io/transport-node'
import t from 'tap'
import { signOperatorToken } from '../src/operator/operator_token.js'
import { startNatsServer } from './support/nats_server.js'
import { TestClient, type Frame } from './support/test_client.js'
import { startNode, type TestNode } from './support/test_node.js'
import { until } from './support/until.js'

async function login(n: TestNode, id: string): Promise<TestClient> {
  const site = n.node.sites.get('shop')
  if (!site) throw new Error('site not on this node')
  const client = await TestClient.connect(`${n.ws}/v1/operator`)
  client.send({ t: 'auth', token: await signOperatorToken(site, { id, name: id }) })
  await client.next('ready')
  return client
}

const ids = (frame: Frame): string[] => (frame.list as Frame[]).map((v) => v.id as string).sort()

t.test('visitor directory across two nodes on one nats-server', async (t) => {
  const nats = await startNatsServer()
  t.teardown(() => nats.close())
  // Default feed interval (100 ms): the window in which a first snapshot used to come back empty.
  const env = {
    BECKON_NATS_URL: nats.url,
    BECKON_REFRESH_SECONDS: '1',
    BECKON_LINGER_SECONDS: '0',
    BECKON_MAX_CONNECTIONS_PER_IP: '1000',
  }
  const a = await startNode({ ...env, BECKON_NODE_ID: 'dir-a' })
  const b = await startNode({ ...env, BECKON_NODE_ID: 'dir-b' })
  t.teardown(async () => {
    await a.stop()
    await b.stop()
  })
  await a.site()
  await a.site('other')
  await until('sites on node B', () => b.node.sites.get('shop') && b.node.sites.get('other'))

  // A raw subscriber counts what the nodes publish on the visitor feed subjects.
  const nc = await connect({ servers: nats.url })
  t.teardown(() => nc.close())
  const published = new Map<string, number>()
  let markers = 0
  nc.subscribe('beckon.visitors.>', {
    callback: (_e, m) => {
      published.set(m.subject, (published.get(m.subject) ?? 0) + 1)
    },
  })
  nc.subscribe('beckon.test.marker', {
    callback: () => {
      markers += 1
    },
  })
  await nc.flush()
  /** Everything node A published so far has reached the raw subscriber once its marker has. */
  const settled = async (): Promise<void> => {
    a.node.feed.flush()
    const want = markers + 1
    a.node.bus.publish('beckon.test.marker', {})
    await until('the marker from node A', () => markers >= want)
  }

  const onA = await Promise.all(
    [1, 2, 3, 4, 5].map((i) => a.visitor({ page: { url: `https://shop.example/a${i}`, title: `A${i}` } })),
  )
  const otherSite = await a.visitor({ page: { url: 'https://shop.example/o', title: 'O' } }, { site: 'other' })

  await t.test('nothing is published for a site nobody watches', async (t) => {
    for (const v of onA) v.client.send({ t: 'page', url: 'https://shop.example/unwatched', title: 'U' })
    await until('page views applied on A', () =>
      onA.every(
        (v) => a.node.hub.get('shop', v.welcome.visitor)?.facts.get('page.url') === 'https://shop.example/unwatched',
      ),
    )
    await settled()
    t.equal(published.size, 0, `no visitor feed message, got ${JSON.stringify([...published])}`)
  })

  await t.test('the first snapshot on node B lists every visitor of node A, and invites work at once', async (t) => {
    const op = await login(b, 'first-on-b')
    const target = onA[2]?.welcome.visitor as string
    op.send({ t: 'watch', site: 'shop' })
    op.send({ t: 'invite', visitor: target, text: 'Hello from B', startChat: false })
    const snapshot = await op.next('visitors')
    t.strictSame(ids(snapshot), onA.map((v) => v.welcome.visitor as string).sort(), 'complete first snapshot')
    t.equal(snapshot.total, 5)
    t.match(await onA[2]?.client.next('invite'), { text: 'Hello from B' }, 'the invite reached the visitor on A')
    t.notOk(
      op.frames.find((f) => f.t === 'error'),
      'no not_found',
    )
    t.equal(b.node.directory.remoteVisitors, 5, 'node B holds copies of the watched site only')
    const metrics = await (await fetch(`${b.base}/metrics`)).text()
    t.match(metrics, /beckon_directory_remote_visitors\{node="dir-b"\} 5/)

    // Now node A publishes shop's changes, and still nothing of the unwatched site.
    await until('node A sees the interest', () => a.node.feed.watched('shop'))
    onA[0]?.client.send({ t: 'page', url: 'https://shop.example/watched', title: 'W' })
    otherSite.client.send({ t: 'page', url: 'https://shop.example/o2', title: 'O2' })
    t.match(
      await op.next((f) => f.t === 'visitor' && f.id === onA[0]?.welcome.visitor),
      { page: { url: 'https://shop.example/watched' } },
      'deltas flow after the snapshot',
    )
    await settled()
    t.ok((published.get('beckon.visitors.shop') ?? 0) > 0, 'shop is published')
    t.notOk(published.has('beckon.visitors.other'), 'the unwatched site is not')

    // The last watcher leaves: B drops its copies and A stops publishing.
    await op.close()
    await until('node B dropped its copies', () => b.node.directory.remoteVisitors === 0)
    await until('node A sees the interest end', () => !a.node.feed.watched('shop'))
    await settled()
    const before = published.get('beckon.visitors.shop')
    onA[1]?.client.send({ t: 'page', url: 'https://shop.example/after', title: 'After' })
    await until('page view applied', () =>
      a.node.hub.get('shop', onA[1]?.welcome.visitor)?.facts.get('page.url')?.toString().endsWith('/after'),
    )
    await settled()
    t.equal(published.get('beckon.visitors.shop'), before, 'nothing published once nobody watches')
    t.match(await b.node.metrics.text(), /beckon_directory_remote_visitors\{node="dir-b"\} 0/, 'the gauge follows')
  })

  await t.test('an operator on the owning node alone costs no bus traffic', async (t) => {
    const op = await login(a, 'local-only')
    op.send({ t: 'watch', site: 'shop' })
    t.equal((await op.next('visitors')).total, 5)
    await settled()
    const before = published.get('beckon.visitors.shop')
    onA[3]?.client.send({ t: 'page', url: 'https://shop.example/local', title: 'L' })
    await op.next((f) => f.t === 'visitor' && f.id === onA[3]?.welcome.visitor)
    await settled()
    t.equal(published.get('beckon.visitors.shop'), before)
    await op.close()
  })

  await t.test('an invite without a watch finds the visitor on the other node', async (t) => {
    const op = await login(b, 'no-watch')
    op.send({ t: 'invite', visitor: onA[4]?.welcome.visitor, text: 'Unlisted hello', startChat: false })
    t.match(await onA[4]?.client.next('invite'), { text: 'Unlisted hello' })
    t.equal(b.node.directory.remoteVisitors, 0, 'the lookup kept no copies')
    await op.close()
  })

  await t.test('a windowed view counts and sorts the visitors of both nodes', async (t) => {
    onA[0]?.client.send({ t: 'page', url: 'https://shop.example/pricing/a', title: 'PA' })
    await until('page view applied on A', () =>
      String(a.node.hub.get('shop', onA[0]?.welcome.visitor)?.facts.get('page.url')).endsWith('/pricing/a'),
    )
    const onB = await b.visitor({ page: { url: 'https://shop.example/pricing/b', title: 'B' } })
    const op = await login(b, 'windowed')
    op.send({
      t: 'watch',
      site: 'shop',
      view: { filter: { url: '/PRICING/' }, sort: { by: 'last_activity' }, limit: 1 },
    })
    const snapshot = await op.next('visitors')
    t.match(snapshot, { total: 2, offset: 0, limit: 1 })
    t.strictSame(ids(snapshot), [onB.welcome.visitor], 'the most recently active first')
    onA[0]?.client.send({ t: 'page', url: 'https://shop.example/pricing/a2', title: 'PA2' })
    t.match(
      await op.next('window'),
      { total: 2, ids: [onA[0]?.welcome.visitor] },
      'the remote visitor moves to the top',
    )
    t.match(await op.next('gone'), { visitor: onB.welcome.visitor }, 'and pushes the local one out of the window')
    // The local visitor's own upserts (its summary settling after hello) may still be queued.
    t.match(await op.next((f) => f.t === 'visitor' && f.id === onA[0]?.welcome.visitor), {
      page: { url: 'https://shop.example/pricing/a2' },
    })
    await Promise.all([op.close(), onB.client.close()])
  })

  await t.test('a snapshot larger than one bus message arrives whole', async (t) => {
    const many = await Promise.all(Array.from({ length: 120 }, () => a.visitor({}, { site: 'other' })))
    const site = b.node.sites.get('other')
    if (!site) throw new Error('no site')
    const op = await TestClient.connect(`${b.ws}/v1/operator`)
    op.send({ t: 'auth', token: await signOperatorToken(site, { id: 'bulk' }) })
    await op.next('ready')
    op.send({ t: 'watch', site: 'other' })
    const snapshot = await op.next('visitors')
    t.equal(snapshot.total, 121, 'three parts of node A answer, and the earlier visitor')
    await Promise.all([op.close(), ...many.map((v) => v.client.close())])
  })

  await Promise.all([...onA.map((v) => v.client.close()), otherSite.client.close()])
})
