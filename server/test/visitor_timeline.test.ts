import t from 'tap'
import { operatorRequest } from './support/operator_request.js'
import { startTwoNodes } from './support/test_cluster.js'
import { putCampaign, startNode, type TestNode } from './support/test_node.js'
import { connectOperator } from './support/test_operator.js'
import { until } from './support/until.js'

const url = (path: string) => `https://shop.example${path}`

/** The visitor's timeline as the admin reads it, once `ready` accepts it. */
async function timelineWhen(n: TestNode, visitor: string, what: string, ready: (visits: any[]) => boolean) {
  return until(what, async () => {
    const res = await n.admin('GET', `/v1/sites/shop/visitors/${visitor}/timeline`)
    return res.status === 200 && ready(res.body.visits) && (res.body.visits as any[])
  })
}

t.test('visitor timeline: visits, pages with time on page, invitations; scoped, bounded, erased', async (t) => {
  const n = await startNode({
    BECKON_SAVE_DELAY_SECONDS: '0',
    BECKON_LINGER_SECONDS: '0',
    BECKON_VISIT_GAP_SECONDS: '1',
    BECKON_TIMELINE_VISITS: '2',
    BECKON_TIMELINE_PAGES_PER_VISIT: '3',
  })
  t.teardown(() => n.stop())
  await n.site()
  await putCampaign(n, {
    id: 'pricing-help',
    name: 'Pricing help',
    frequency: 'every_time',
    when: { field: 'page.url', op: 'contains', value: '/pricing' },
    message: { text: 'Questions about plans?', startChat: false },
  })

  const first = await n.visitor({
    page: { url: url('/'), title: 'Home', referrer: 'https://search.example/?q=shop' },
    context: { department: 'support' },
  })
  const id = first.welcome.visitor as string
  const started = Date.now()
  first.client.send({ t: 'page', url: url('/pricing'), title: 'Pricing' })
  t.match(await first.client.next('invite'), { campaign: 'pricing-help' })
  first.client.send({ t: 'page', url: url('/docs'), title: 'Docs' })
  first.client.send({ t: 'page', url: url('/a'), title: 'A' })
  first.client.send({ t: 'page', url: url('/b'), title: 'B' })
  await first.client.close()

  const [visit] = await timelineWhen(n, id, 'the first visit, left', (visits) => visits[0]?.pages[2]?.ms !== undefined)
  t.match(visit, {
    n: 1,
    referrer: 'https://search.example/?q=shop',
    landing: url('/'),
    pageViews: 5,
    pages: [
      { url: url('/'), title: 'Home' },
      { url: url('/pricing'), title: 'Pricing' },
      { url: url('/docs'), title: 'Docs' },
    ],
    invitationCount: 1,
    invitations: [{ campaign: 'pricing-help', campaignName: 'Pricing help', text: 'Questions about plans?' }],
  })
  t.equal(visit.pages.length, 3, 'page views past BECKON_TIMELINE_PAGES_PER_VISIT are counted, not listed')
  t.ok(visit.startedAt >= started - 1000 && visit.endedAt >= visit.startedAt, 'the visit has its start and end')
  const [home, pricing, docs] = visit.pages
  t.ok(
    home.ms >= 0 && home.ms === pricing.at - home.at && pricing.ms === docs.at - pricing.at,
    'time on a page runs until the tab moved on',
  )
  t.ok(visit.invitations[0].at >= pricing.at, 'the invitation is timed')

  // Two more visits (the gap is 1 s): the oldest of three falls out of BECKON_TIMELINE_VISITS=2.
  for (const page of ['/second', '/third']) {
    const lastSeen = Date.now()
    await until('the visit gap to pass', () => Date.now() - lastSeen > 1100)
    const again = await n.visitor({
      token: first.welcome.token,
      page: { url: url(page), title: page },
      context: { department: 'support' },
    })
    t.equal(again.welcome.visitor, id)
    await again.client.close()
  }
  const visits = await timelineWhen(n, id, 'three visits, two kept', (v) => v[0]?.n === 3 && v.length === 2)
  t.match(
    visits.map((v) => [v.n, v.landing]),
    [
      [3, url('/third')],
      [2, url('/second')],
    ],
    'newest first',
  )
  await until('the oldest visit deleted from the store', async () => {
    const keys = (await n.node.store.list('timeline', `shop.${id}.`)).map((e) => e.key)
    return keys.length === 2 && keys
  })

  const path = `/v1/sites/shop/visitors/${id}/timeline`
  t.match(await operatorRequest(n, 'GET', path, { id: 'sam', departments: ['support'] }), { status: 200 })
  t.match(
    await operatorRequest(n, 'GET', path, { id: 'sally', departments: ['sales'] }),
    { status: 404, body: { error: { code: 'not_found' } } },
    'an operator of another department does not see the visitor',
  )
  t.equal((await fetch(n.base + path)).status, 401, 'a token is required')
  t.match(await n.admin('GET', '/v1/sites/shop/visitors/bad.id/timeline'), {
    status: 400,
    body: { error: { code: 'invalid_visitor' } },
  })
  t.match(await n.admin('GET', `${path}?visits=5`), { status: 400, body: { error: { code: 'invalid_query' } } })
  t.match(await n.admin('GET', '/v1/sites/shop/visitors/nobody/timeline'), { status: 404 })
  t.match(await n.admin('GET', `/v1/sites/nosite/visitors/${id}/timeline`), { status: 404 })

  const exported = await n.admin('GET', `/v1/sites/shop/visitors/${id}`)
  t.match(exported.body.visits, [{ n: 3 }, { n: 2 }], 'the privacy export carries the timeline')
  t.equal((await n.admin('DELETE', `/v1/sites/shop/visitors/${id}`)).status, 200)
  t.equal((await n.admin('GET', path)).status, 404, 'erased')
  t.strictSame(await n.node.store.list('timeline', `shop.${id}.`), [], 'no visit left in the store')
})

t.test('an operator invitation is in the timeline; ephemeral visitors leave none', async (t) => {
  const n = await startNode({ BECKON_NEW_VISITORS_PER_IP_PER_MINUTE: '1' })
  t.teardown(() => n.stop())
  await n.site()
  const kept = await n.visitor()
  const id = kept.welcome.visitor as string
  const op = await connectOperator(n, 'ann')
  t.teardown(() => op.close())
  op.send({ t: 'invite', visitor: id, text: 'Can I help?', startChat: false })
  t.match(await kept.client.next('invite'), { operator: 'ann', text: 'Can I help?' })
  const [visit] = await timelineWhen(n, id, 'the operator invitation', (v) => v[0]?.invitations.length === 1)
  t.match(visit.invitations, [{ operator: 'ann', text: 'Can I help?' }])
  t.notOk(visit.invitations[0].campaign, 'no campaign')

  const ephemeral = await n.visitor()
  t.ok(n.node.hub.get('shop', ephemeral.welcome.visitor)?.ephemeral, 'past the new-visitor quota')
  ephemeral.client.send({ t: 'page', url: url('/x'), title: 'X' })
  await n.node.hub.timeline.flush()
  t.strictSame(await n.node.store.list('timeline', `shop.${ephemeral.welcome.visitor}.`), [], 'nothing stored')
  await Promise.all([kept.client.close(), ephemeral.client.close()])
})

t.test('cluster: one visit continued on another node is one record, read from any node', async (t) => {
  const { a, b } = await startTwoNodes(t, 'timeline', { BECKON_SAVE_DELAY_SECONDS: '0' })
  await a.site()
  await until('site on node B', () => b.node.sites.get('shop') !== undefined)
  const onA = await a.visitor({ page: { url: url('/from-a'), title: 'On A' } })
  const id = onA.welcome.visitor as string
  onA.client.send({ t: 'page', url: url('/a2'), title: 'A2' })
  await onA.client.close()
  await until('node A let the visitor go', () => a.node.hub.get('shop', id) === undefined)
  // Released only after its last writes: until then a tab on node B is relayed to A, its owner.
  await until('node A released the lease', async () => (await a.node.store.get('owners', `shop.${id}`)) === undefined)
  await a.node.hub.flush()

  const onB = await b.visitor({ token: onA.welcome.token, page: { url: url('/on-b'), title: 'On B' } })
  t.equal(onB.welcome.visit, 1, 'the same visit continues on node B')
  onB.client.send({ t: 'page', url: url('/b2'), title: 'B2' })
  await until('node B applied the page view', () => b.node.hub.get('shop', id)?.visit.pageViews === 4)
  await onB.client.close()
  // The last tab leaving writes the visit at once (no BECKON_TIMELINE_SAVE_SECONDS wait).
  const [visit] = await timelineWhen(a, id, 'node A reads what node B wrote', (v) => v[0]?.pages[3]?.ms !== undefined)
  t.match(
    visit.pages.map((p: { title: string }) => p.title),
    ['On A', 'A2', 'On B', 'B2'],
    'pages of both nodes, in order, in one visit',
  )
  t.equal(visit.pageViews, 4)
})
