import t from 'tap'
import { until } from './support/until.js'
import { startNatsServer } from './support/nats_server.js'
import { adminRequest as admin, startNodeProcess, startProcessPair, visitorTab } from './support/node_process.js'
import { ORIGIN, SITE_SECRET, startNode } from './support/test_node.js'
import { invites, settled } from './support/test_client.js'

const PAGE = (path: string) => ({ url: `https://shop.example${path}`, title: path })

t.test('a reconnect to another node keeps the page clock', async (t) => {
  const nats = await startNatsServer()
  t.teardown(() => nats.close())
  // No linger: the visitor leaves node A as its socket drops, and node B takes it over from the store.
  const env = { BECKON_NATS_URL: nats.url, BECKON_REFRESH_SECONDS: '1', BECKON_LINGER_SECONDS: '0' }
  const a = await startNode({ ...env, BECKON_NODE_ID: 'clock-a' })
  const b = await startNode({ ...env, BECKON_NODE_ID: 'clock-b' })
  t.teardown(async () => {
    await a.stop()
    await b.stop()
  })
  await a.site()
  await until('site on B', () => b.node.sites.get('shop') !== undefined)
  const res = await a.admin('PUT', '/v1/sites/shop/campaigns/slow', {
    name: 'Slow',
    when: {
      all: [
        { field: 'page.url', op: 'contains', value: '/kb/' },
        { field: 'page.seconds', op: 'gte', value: 3 },
      ],
    },
    message: { text: 'Found what you need?' },
  })
  t.equal(res.status, 201)
  await until('campaign on B', () => b.node.campaigns.get('shop', 'slow') !== undefined)

  const page = PAGE('/kb/a')
  const first = await a.visitor({ page })
  const id = first.welcome.visitor as string
  const onA = a.node.hub.get('shop', id)
  if (!onA) throw new Error('visitor not owned by A')
  const pageClock = onA.facts.get('page.seconds')
  const visitClock = onA.facts.get('visit.seconds')
  await new Promise((resolve) => setTimeout(resolve, 1000))
  await first.client.close()
  await until('A released the visitor', async () => (await a.node.ownership.owner('shop', id)) === undefined)

  const reconnectedAt = Date.now()
  const back = await b.visitor({ token: first.welcome.token, page, reconnect: true })
  t.equal(back.welcome.visit, first.welcome.visit, 'same visit')
  const onB = b.node.hub.get('shop', id)
  t.ok(onB, 'node B owns the visitor now')
  t.same(onB?.facts.get('page.seconds'), pageClock, 'page.seconds runs from the original page view')
  t.same(onB?.facts.get('visit.seconds'), visitClock, 'visit.seconds from the visit start')
  t.equal(onB?.facts.get('visit.pageViews'), 1, 'the reconnect is no new page view')
  const invite = await back.client.next('invite')
  t.ok(
    (invite.at as number) - reconnectedAt < 3000,
    `fired 3 s after the original view, not 3 s after the reconnect (${(invite.at as number) - reconnectedAt} ms)`,
  )
  await back.client.close()
})

t.test('NATS down, owner killed: a once_per_visitor invitation is never shown unrecorded', async (t) => {
  const { nats, x, y } = await startProcessPair(t)
  t.equal(
    (
      await admin(x, 'PUT', '/v1/sites/shop/campaigns/offer', {
        name: 'Offer',
        frequency: 'once_per_visitor',
        when: { field: 'page.url', op: 'contains', value: '/offer' },
        message: { text: 'A deal for you', startChat: false },
      })
    ).status,
    201,
  )
  await until('campaign on y', async () => (await admin(y, 'GET', '/v1/sites/shop/campaigns/offer')).status === 200)

  const first = await visitorTab(x, { page: PAGE('/home') })
  await settled(first.client, 30_000)
  await nats.stop()
  first.client.send({ t: 'page', ...PAGE('/offer') })
  // The owner tried to record the invitation and could not.
  await until('a failed profile write on x', () => x.logs.some((line) => line.includes('profile write failed')), 30_000)
  await settled(first.client, 30_000)
  const duringOutage = invites(first.client).length
  t.equal(duringOutage, 0, 'not shown while its fired-record is not stored')

  await x.kill('SIGKILL')
  await first.client.closed
  await nats.restart()
  const again = await visitorTab(y, { token: first.welcome.token, reconnect: true, page: PAGE('/offer') })
  t.equal(again.welcome.visitor, first.welcome.visitor, 'resumed on the other node')
  const invite = await again.client.next('invite', 30_000)
  t.match(invite, { campaign: 'offer' }, 'shown exactly once, by the node that could record it')
  again.client.send({ t: 'inv', id: invite.id, action: 'dismissed' })
  again.client.send({ t: 'page', ...PAGE('/offer?again=1') })
  await settled(again.client, 30_000)
  t.equal(duringOutage + invites(again.client).length, 0, 'never a second time')
  await again.client.close()

  // And the record is durable: a later visit on y does not get it either.
  const later = await visitorTab(y, { token: first.welcome.token, page: PAGE('/offer?later=1') })
  await settled(later.client)
  t.equal(invites(later.client).length, 0)
  await later.client.close()
})

t.test('NATS down, owner alive: the held invitation is shown once its record is stored', async (t) => {
  const nats = await startNatsServer()
  t.teardown(() => nats.close())
  const x = await startNodeProcess({ BECKON_NATS_URL: nats.url, BECKON_REFRESH_SECONDS: '1', BECKON_NODE_ID: 'hx' })
  t.teardown(() => x.kill())
  await admin(x, 'PUT', '/v1/sites/shop', { name: 'Shop', origins: [ORIGIN], secret: SITE_SECRET })
  const created = await admin(x, 'PUT', '/v1/sites/shop/campaigns/offer', {
    name: 'Offer',
    frequency: 'once_per_visit',
    when: { field: 'page.url', op: 'contains', value: '/offer' },
    message: { text: 'A deal for you', startChat: false },
  })
  t.equal(created.status, 201)
  const tab = await visitorTab(x, { page: PAGE('/home') })
  await settled(tab.client)
  await nats.stop()
  tab.client.send({ t: 'page', ...PAGE('/offer') })
  await until('the invitation held', () => x.logs.some((line) => line.includes('invitation held')), 30_000)
  await settled(tab.client)
  t.equal(invites(tab.client).length, 0, 'held while the store is down')
  await nats.restart()
  const invite = await tab.client.next('invite', 30_000)
  t.match(invite, { campaign: 'offer', text: 'A deal for you' }, 'shown once stored')
  tab.client.send({ t: 'inv', id: invite.id, action: 'dismissed' })
  tab.client.send({ t: 'page', ...PAGE('/home') })
  tab.client.send({ t: 'page', ...PAGE('/offer') })
  await settled(tab.client)
  t.equal(invites(tab.client).length, 0, 'once per visit')
  await tab.client.close()
})
