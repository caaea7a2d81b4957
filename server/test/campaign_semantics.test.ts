import t from 'tap'
import { signOperatorToken } from '../src/operator/operator_token.js'
import { putCampaign as campaign, startNode, type TestNode } from './support/test_node.js'
import { TestClient, invites, settled } from './support/test_client.js'
import { until } from './support/until.js'

const PAGE = (path: string) => ({ url: `https://shop.example${path}`, title: path })

const PING_WHEN = {
  all: [
    { field: 'page.url', op: 'contains', value: '/ping' },
    { field: 'page.seconds', op: 'gte', value: 1 },
  ],
}

async function stats(n: TestNode, id: string): Promise<Record<string, unknown>> {
  await n.node.campaignStats.flush()
  return (await n.admin('GET', `/v1/sites/shop/campaigns/${id}/stats`)).body
}

async function watching(n: TestNode): Promise<TestClient> {
  const site = n.node.sites.get('shop')
  if (!site) throw new Error('no site')
  const op = await TestClient.connect(`${n.ws}/v1/operator`)
  op.send({ t: 'auth', token: await signOperatorToken(site, { id: 'ann' }) })
  await op.next('ready')
  op.send({ t: 'watch', site: 'shop' })
  await op.next('visitors')
  return op
}

t.test('campaign semantics on a running node', async (t) => {
  const n = await startNode({ BECKON_INVITATION_TTL_SECONDS: '2', BECKON_FEED_INTERVAL_MS: '10' })
  t.teardown(() => n.stop())
  await n.site()

  t.test(
    'an ignored invitation follows the visitor to its next page, then expires for the next campaign',
    async (t) => {
      await campaign(n, { id: 'a', when: { field: 'page.url', op: 'contains', value: '/a' } })
      await campaign(n, { id: 'b', when: { field: 'page.url', op: 'contains', value: '/b' } })
      const first = await n.visitor({ page: PAGE('/a') })
      const a = await first.client.next('invite')
      t.match(a, { campaign: 'a' })
      t.notOk(a.redelivered, 'a first delivery is not marked')
      first.client.send({ t: 'inv', id: a.id, action: 'shown' })
      await settled(first.client)
      await first.client.close()

      const next = await n.visitor({ token: first.welcome.token, page: PAGE('/b') })
      t.equal(next.welcome.visit, first.welcome.visit, 'same visit')
      const again = await next.client.next('invite')
      t.match(again, { id: a.id, campaign: 'a', text: a.text, at: a.at, redelivered: true }, 'A shows again')
      next.client.send({ t: 'inv', id: again.id, action: 'shown' })
      await settled(next.client)
      t.match(await stats(n, 'a'), { sent: 1, shown: 1 }, 'the re-delivery is neither a new sent nor a new shown')
      t.match(await stats(n, 'b'), { sent: 0 }, 'B waits while A is pending')

      const b = await next.client.next((f) => f.t === 'invite' && f.campaign === 'b')
      t.ok((b.at as number) >= (a.at as number) + 2000, 'B fires once A expired (BECKON_INVITATION_TTL_SECONDS)')
      t.notOk(b.redelivered)
      await next.client.close()
      const later = await n.visitor({ token: first.welcome.token, page: PAGE('/b') })
      t.match(await later.client.next('invite'), { id: b.id, redelivered: true }, 'the pending one is now B')
      t.equal(invites(later.client).length, 0, 'the expired A is not re-delivered')
      await later.client.close()
      t.match(await stats(n, 'a'), { sent: 1 })
      t.match(await stats(n, 'b'), { sent: 1 })
      await n.admin('DELETE', '/v1/sites/shop/campaigns/a')
      await n.admin('DELETE', '/v1/sites/shop/campaigns/b')
    },
  )

  t.test('an opened or dismissed invitation is not re-delivered', async (t) => {
    await campaign(n, { id: 'c', when: { field: 'page.url', op: 'contains', value: '/c' } })
    const first = await n.visitor({ page: PAGE('/c') })
    const c = await first.client.next('invite')
    first.client.send({ t: 'inv', id: c.id, action: 'dismissed' })
    await settled(first.client)
    await first.client.close()
    const next = await n.visitor({ token: first.welcome.token, page: PAGE('/c2') })
    await settled(next.client)
    t.equal(invites(next.client).length, 0)
    await next.client.close()
    await n.admin('DELETE', '/v1/sites/shop/campaigns/c')
  })

  t.test('saving a campaign does not re-fire the unchanged ones; a changed one starts afresh', async (t) => {
    await campaign(n, { id: 'ping', frequency: 'every_time', when: PING_WHEN })
    const { client } = await n.visitor({ page: PAGE('/ping') })
    const ping = await client.next('invite')
    t.match(ping, { campaign: 'ping' })
    client.send({ t: 'inv', id: ping.id, action: 'dismissed' })
    await settled(client)
    await campaign(n, { id: 'other', when: { field: 'page.url', op: 'contains', value: '/never' } })
    await settled(client)
    await settled(client)
    t.equal(invites(client).length, 0, 'PUT of another campaign re-sends nothing')
    t.match(await stats(n, 'ping'), { sent: 1 })

    await campaign(n, {
      id: 'ping',
      frequency: 'every_time',
      when: PING_WHEN,
      message: { text: 'edited', startChat: false },
    })
    t.match(
      await client.next('invite'),
      { campaign: 'ping', text: 'edited' },
      'the edited campaign is evaluated afresh',
    )
    await client.close()
    await n.admin('DELETE', '/v1/sites/shop/campaigns/ping')
    await n.admin('DELETE', '/v1/sites/shop/campaigns/other')
  })

  t.test('hello.reconnect keeps the page clock of the original page view', async (t) => {
    const op = await watching(n)
    await campaign(n, { id: 'slow', when: { field: 'page.seconds', op: 'gte', value: 3 } })
    const page = PAGE('/kb/a')
    const first = await n.visitor({ page })
    const viewed = await op.next((f) => f.t === 'visitor' && f.id === first.welcome.visitor)
    // Let a second of the page pass, then drop the socket.
    await new Promise((resolve) => setTimeout(resolve, 1000))
    await first.client.close()
    await op.next((f) => f.t === 'visitor' && f.id === first.welcome.visitor && f.tabs === 0)
    op.frames.length = 0
    const reconnectedAt = Date.now()
    const back = await n.visitor({ token: first.welcome.token, page, reconnect: true })
    t.equal(back.welcome.visit, first.welcome.visit)
    const resumed = await op.next((f) => f.t === 'visitor' && f.id === first.welcome.visitor && f.tabs === 1)
    t.equal(resumed.pageSince, viewed.pageSince, 'page.seconds counts from the original view')
    t.equal(resumed.visitSince, viewed.visitSince, 'visit.seconds too')
    t.equal(resumed.pageViews, viewed.pageViews, 'the reconnect is not a new page view')
    const invite = await back.client.next('invite')
    t.ok(
      (invite.at as number) - reconnectedAt < 3000,
      `fired 3 s after the original view, not 3 s after the reconnect (${(invite.at as number) - reconnectedAt} ms)`,
    )
    t.ok((invite.at as number) >= (viewed.pageSince as number) + 3000)
    await Promise.all([back.client.close(), op.close()])
    await n.admin('DELETE', '/v1/sites/shop/campaigns/slow')
  })

  t.test('campaign ids: a documented pattern, and ids named like Object members are plain ids', async (t) => {
    for (const id of ['__proto__', 'toString', 'Upper', '-lead', 'a'.repeat(65), 'has.dot']) {
      const res = await n.admin('PUT', `/v1/sites/shop/campaigns/${id}`, { name: 'x', message: { text: 'x' } })
      t.match(res, { status: 400, body: { error: { code: 'invalid_campaign', path: 'id' } } }, `${id} is refused`)
    }
    t.equal((await n.admin('GET', '/v1/sites/shop/campaigns')).body.campaigns.length, 0, 'none was stored')
    await campaign(n, {
      id: 'constructor',
      frequency: 'every_time',
      cooldownSeconds: 3600,
      when: { field: 'page.url', op: 'contains', value: '/proto' },
    })
    const { client } = await n.visitor({ page: PAGE('/proto') })
    const invite = await client.next('invite')
    t.match(invite, { campaign: 'constructor' })
    client.send({ t: 'inv', id: invite.id, action: 'dismissed' })
    client.send({ t: 'page', ...PAGE('/home') })
    client.send({ t: 'page', ...PAGE('/proto') })
    await settled(client)
    t.equal(invites(client).length, 0, 'its cooldown holds')
    const view = await stats(n, 'constructor')
    t.same(
      view,
      { eligibleNow: 0, sent: 1, shown: 0, opened: 0, dismissed: 1, replied: 0, clicked: 0 },
      'its stats are plain numbers',
    )
    await client.close()
    await n.admin('DELETE', '/v1/sites/shop/campaigns/constructor')
  })

  t.test('context keys named like Object members are plain data', async (t) => {
    await campaign(n, {
      id: 'proto-ctx',
      when: {
        all: [
          { field: 'context.__proto__', op: 'eq', value: 'yes' },
          { field: 'context.constructor', op: 'eq', value: 'c' },
          { field: 'context.toString', op: 'exists' },
        ],
      },
      message: { text: '{{context.__proto__}} {{context.constructor}}', startChat: false },
    })
    const { client } = await n.visitor()
    client.sendRaw('{"t":"context","data":{"__proto__":"yes","constructor":"c","toString":1}}', false)
    t.match(await client.next('invite'), { campaign: 'proto-ctx', text: 'yes c' })
    client.sendRaw('{"t":"context","data":{"__proto__":{"polluted":true}}}', false)
    await settled(client)
    t.equal(({} as { polluted?: boolean }).polluted, undefined, 'no prototype was touched')
    await client.close()
    await n.admin('DELETE', '/v1/sites/shop/campaigns/proto-ctx')
  })
})

t.test('a pending invitation survives the visitor leaving the node between page loads', async (t) => {
  const n = await startNode({ BECKON_LINGER_SECONDS: '0', BECKON_INVITATION_TTL_SECONDS: '60' })
  t.teardown(() => n.stop())
  await n.site()
  await campaign(n, { id: 'a', when: { field: 'page.url', op: 'contains', value: '/a' } })
  await campaign(n, { id: 'b', when: { field: 'page.url', op: 'contains', value: '/b' } })
  const first = await n.visitor({ page: PAGE('/a') })
  const a = await first.client.next('invite')
  first.client.send({ t: 'inv', id: a.id, action: 'shown' })
  await settled(first.client)
  await first.client.close()
  const id = first.welcome.visitor as string
  await until('visitor evicted', () => n.node.hub.get('shop', id) === undefined)

  const next = await n.visitor({ token: first.welcome.token, page: PAGE('/b') })
  t.equal(next.welcome.visit, first.welcome.visit)
  t.match(await next.client.next('invite'), { id: a.id, campaign: 'a', redelivered: true }, 'A again, from the profile')
  next.client.send({ t: 'inv', id: a.id, action: 'shown' })
  await settled(next.client)
  t.equal(invites(next.client).length, 0, 'B waits for A')
  t.match(await stats(n, 'a'), { sent: 1, shown: 1 }, 'counted once')
  next.client.send({ t: 'inv', id: a.id, action: 'dismissed' })
  t.match(await next.client.next('invite'), { campaign: 'b' }, 'dismissing A frees the slot for B')
  await next.client.close()
})
