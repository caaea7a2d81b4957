import t from 'tap'
import { pickVariant } from '../src/campaign/campaign_variants.js'
import { operatorRequest } from './support/operator_request.js'
import { startNatsServer } from './support/nats_server.js'
import { startNode, type TestNode } from './support/test_node.js'
import { until } from './support/until.js'

const LEAD = { id: 'lead', perms: ['manage_campaigns'] }
const asLead = (n: TestNode, method: string, path: string, body?: unknown) =>
  operatorRequest(n, method, path, LEAD, body)

t.test('campaign studio across two nodes on one nats-server', async (t) => {
  const nats = await startNatsServer()
  t.teardown(() => nats.close())
  const env = {
    BECKON_NATS_URL: nats.url,
    BECKON_FEED_INTERVAL_MS: '20',
    BECKON_REFRESH_SECONDS: '1',
    BECKON_LINGER_SECONDS: '0',
  }
  const a = await startNode({ ...env, BECKON_NODE_ID: 'node-a' })
  let b = await startNode({ ...env, BECKON_NODE_ID: 'node-b' })
  t.teardown(async () => {
    await a.stop()
    await b.stop()
  })
  await a.site()
  await until('site on node B', () => b.node.sites.get('shop') !== undefined)

  const definition = {
    id: 'ab',
    frequency: 'every_time',
    when: { field: 'page.url', op: 'contains', value: '/ab' },
    message: {
      text: 'fallback',
      variants: [
        { id: 'one', weight: 1, text: 'Variant one' },
        { id: 'two', weight: 1, text: 'Variant two' },
      ],
    },
  }
  t.equal((await asLead(a, 'PUT', '/v1/sites/shop/campaigns/ab', definition)).status, 201)
  await until('campaign on node B', () => b.node.campaigns.get('shop', 'ab') !== undefined)

  const { client, welcome } = await b.visitor({ page: { url: 'https://shop.example/ab', title: 'AB' } })
  const invite = await client.next('invite')
  t.equal(invite.variant, pickVariant(definition.message.variants, welcome.visitor, 'ab').id, 'its A/B variant')
  client.send({ t: 'inv', id: invite.id, action: 'shown' })
  client.send({ t: 'inv', id: invite.id, action: 'clicked', button: 0 })

  t.test('stats counted on B are served by A, and survive a restart of B', async (t) => {
    const query = `from=${new Date(Date.now() - 3_600_000).toISOString()}&to=${new Date(Date.now() + 1000).toISOString()}&step=hour`
    const series = await until('B flushed its counts', async () => {
      const res = await a.admin('GET', `/v1/sites/shop/campaigns/ab/stats?${query}`)
      return res.body.series?.at(-1)?.clicked === 1 && res.body
    })
    t.match(series.series.at(-1), { sent: 1, shown: 1, clicked: 1 })
    t.match(series.variants, { [invite.variant as string]: { sent: 1, clicked: 1 } })
    await b.stop()
    b = await startNode({ ...env, BECKON_NODE_ID: 'node-b2' })
    const again = await b.admin('GET', `/v1/sites/shop/campaigns/ab/stats?${query}`)
    t.match(again.body.series.at(-1), { sent: 1, shown: 1, clicked: 1 }, 'stored in JetStream, not in a node')
  })

  t.test('revisions are cluster-wide', async (t) => {
    t.equal((await b.admin('PUT', '/v1/sites/shop/campaigns/ab', { ...definition, priority: 3 })).status, 200)
    const res = await asLead(a, 'GET', '/v1/sites/shop/campaigns/ab/revisions')
    t.match(res.body.revisions, [
      { author: 'admin', campaign: { priority: 3 } },
      { author: 'lead', campaign: { priority: 0 } },
    ])
  })

  t.test('a preview on one node explains the visitors of the other', async (t) => {
    const visitor = await a.visitor({ page: { url: 'https://shop.example/ab/x', title: 'AB' } })
    const shown = await visitor.client.next('invite')
    visitor.client.send({ t: 'inv', id: shown.id, action: 'shown' })
    const res = await until('both nodes answer', async () => {
      const r = await asLead(b, 'POST', '/v1/sites/shop/campaigns/preview', { ...definition, team: 'online' })
      return r.body.complete && r.body.count === 1 && r.body
    })
    t.match(res, {
      nodes: 2,
      visitors: [{ visitor: visitor.welcome.visitor, node: 'node-a', inviteNow: false, heldBy: ['team', 'showing'] }],
    })
    await visitor.client.close()
  })
  t.teardown(() => client.close())
})
