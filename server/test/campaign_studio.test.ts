import t from 'tap'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pickVariant } from '../src/campaign/campaign_variants.js'
import { signOperatorToken } from '../src/operator/operator_token.js'
import type { MessageVariant } from '../src/rules/campaign.js'
import { operatorRequest as asOperator } from './support/operator_request.js'
import { startNode, type TestNode } from './support/test_node.js'
import { TestClient, type Frame } from './support/test_client.js'

async function operatorSocket(n: TestNode, id: string): Promise<TestClient> {
  const site = n.node.sites.get('shop')
  if (!site) throw new Error('no site')
  const client = await TestClient.connect(`${n.ws}/v1/operator`)
  client.send({ t: 'auth', token: await signOperatorToken(site, { id, perms: ['sees_all_online_visitors'] }) })
  await client.next('ready')
  client.send({ t: 'watch', site: 'shop' })
  await client.next('visitors')
  return client
}

/** Sends a frame that fails on purpose and waits for its error: everything sent before was applied. */
async function settled(client: TestClient): Promise<void> {
  client.send({ t: 'nope' })
  await client.next((f) => f.t === 'error' && f.code === 'unknown_type')
}

const LEAD = { id: 'lead', perms: ['manage_campaigns'] }
const AGENT = { id: 'agent' }
const base = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  message: { text: `hello from ${id}` },
  ...extra,
})

t.test('pickVariant is stable and follows the weights', async (t) => {
  const variants: MessageVariant[] = [
    { id: 'a', weight: 70, text: 'A' },
    { id: 'b', weight: 20, text: 'B' },
    { id: 'c', weight: 10, text: 'C' },
  ]
  const counts: Record<string, number> = { a: 0, b: 0, c: 0 }
  let unstable = 0
  for (let i = 0; i < 1000; i++) {
    const id = pickVariant(variants, `visitor-${i}`, 'ab').id
    counts[id] = (counts[id] ?? 0) + 1
    if (pickVariant(variants, `visitor-${i}`, 'ab').id !== id) unstable++
  }
  t.equal(unstable, 0, 'same visitor, same variant')
  // SHA-256 is deterministic: these are the exact counts for this id set (70/20/10 weights).
  t.strictSame(counts, { a: 712, b: 183, c: 105 })
  const other: Record<string, number> = { a: 0, b: 0, c: 0 }
  for (let i = 0; i < 1000; i++) {
    const id = pickVariant(variants, `visitor-${i}`, 'other').id
    other[id] = (other[id] ?? 0) + 1
  }
  t.strictSame(other, { a: 696, b: 183, c: 121 }, 'the campaign id is part of the hash')
})

t.test('campaign studio routes on a running node', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'beckon-studio-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const env = {
    BECKON_LINGER_SECONDS: '0',
    BECKON_FEED_INTERVAL_MS: '10',
    BECKON_CAMPAIGN_REVISIONS: '3',
    BECKON_OPERATOR_MAX_CHATS: '1',
  }
  let n = await startNode(env, dir)
  t.teardown(() => n.stop())
  await n.site()
  await n.site('other')

  t.test('manage_campaigns operators may change campaigns of their own site only', async (t) => {
    let res = await asOperator(n, 'PUT', '/v1/sites/shop/campaigns/by-lead', LEAD, base('by-lead'))
    t.equal(res.status, 201, 'a lead creates')
    res = await asOperator(n, 'GET', '/v1/sites/shop/campaigns/by-lead', LEAD)
    t.match(res, { status: 200, body: { id: 'by-lead' } })
    res = await asOperator(n, 'POST', '/v1/sites/shop/campaigns/preview', LEAD, base('draft'))
    t.match(res, { status: 200, body: { count: 0, visitors: [] } })
    res = await asOperator(n, 'GET', '/v1/sites/shop/campaigns/by-lead/revisions', LEAD)
    t.equal(res.status, 200)
    res = await asOperator(n, 'GET', '/v1/sites/shop/campaigns/by-lead/stats?step=day', LEAD)
    t.equal(res.status, 200)

    const forbidden = {
      status: 403,
      body: { error: { code: 'forbidden', message: 'operator token lacks manage_campaigns' } },
    }
    t.match(await asOperator(n, 'PUT', '/v1/sites/shop/campaigns/by-agent', AGENT, base('by-agent')), forbidden)
    t.match(await asOperator(n, 'DELETE', '/v1/sites/shop/campaigns/by-lead', AGENT), forbidden)
    t.match(await asOperator(n, 'POST', '/v1/sites/shop/campaigns/preview', AGENT, base('d')), forbidden)
    t.match(await asOperator(n, 'GET', '/v1/sites/shop/campaigns/by-lead/revisions', AGENT), forbidden)
    t.equal((await asOperator(n, 'GET', '/v1/sites/shop/campaigns', AGENT)).status, 200, 'agents still read')

    const otherLead = { ...LEAD, site: 'other' }
    res = await asOperator(n, 'PUT', '/v1/sites/shop/campaigns/x', otherLead, base('x'))
    t.match(res, { status: 403, body: { error: { code: 'forbidden', message: /another site/ } } })
    res = await asOperator(n, 'GET', '/v1/sites/shop/campaigns', otherLead)
    t.equal(res.status, 403, 'not even reading another site')
    res = await asOperator(n, 'PUT', '/v1/sites/shop', LEAD, { name: 'x', origins: [], secret: 'x'.repeat(32) })
    t.match(res, { status: 403, body: { error: { message: /admin token/ } } }, 'site routes stay admin-only')

    const anonymous = await fetch(`${n.base}/v1/sites/shop/campaigns/by-lead`, { method: 'DELETE' })
    t.equal(anonymous.status, 401)
    t.equal((await asOperator(n, 'DELETE', '/v1/sites/shop/campaigns/by-lead', LEAD)).status, 204)
    t.equal((await n.admin('PUT', '/v1/sites/shop/campaigns/by-admin', base('by-admin'))).status, 201, 'admin too')
    t.equal((await n.admin('DELETE', '/v1/sites/shop/campaigns/by-admin')).status, 204)
  })

  t.test('every save and delete keeps a revision; the last N are listed newest first', async (t) => {
    await asOperator(n, 'PUT', '/v1/sites/shop/campaigns/rev', LEAD, base('rev', { priority: 1 }))
    await n.admin('PUT', '/v1/sites/shop/campaigns/rev', base('rev', { priority: 2 }))
    let res = await n.admin('GET', '/v1/sites/shop/campaigns/rev/revisions')
    t.match(res.body.revisions, [
      { author: 'admin', campaign: { id: 'rev', priority: 2 } },
      { author: 'lead', campaign: { id: 'rev', priority: 1 } },
    ])
    t.ok(Date.parse(res.body.revisions[0].at) >= Date.parse(res.body.revisions[1].at), 'at is ISO, newest first')
    await asOperator(n, 'DELETE', '/v1/sites/shop/campaigns/rev', LEAD)
    res = await n.admin('GET', '/v1/sites/shop/campaigns/rev/revisions')
    t.match(res.body.revisions, [{ author: 'lead', campaign: null }, { campaign: { priority: 2 } }])
    // Restore = PUT an old definition; BECKON_CAMPAIGN_REVISIONS=3 keeps only the last three.
    await n.admin('PUT', '/v1/sites/shop/campaigns/rev', res.body.revisions[1].campaign)
    await n.admin('PUT', '/v1/sites/shop/campaigns/rev', base('rev', { priority: 5 }))
    res = await n.admin('GET', '/v1/sites/shop/campaigns/rev/revisions')
    t.equal(res.body.revisions.length, 3)
    t.match(res.body.revisions, [{ campaign: { priority: 5 } }, { campaign: { priority: 2 } }, { campaign: null }])
    t.equal((await n.admin('GET', '/v1/sites/shop/campaigns/never/revisions')).status, 404)
    await n.admin('DELETE', '/v1/sites/shop/campaigns/rev')
  })

  t.test('new fields are validated with the exact path', async (t) => {
    const cases: Array<[string, Record<string, unknown>, string]> = [
      [
        'javascript: link',
        { text: 'x', buttons: [{ label: 'Go', url: 'javascript:alert(1)' }] },
        'message.buttons.0.url',
      ],
      [
        'protocol-relative link',
        { text: 'x', buttons: [{ label: 'Go', url: '//evil.example' }] },
        'message.buttons.0.url',
      ],
      ['url and reply', { text: 'x', buttons: [{ label: 'Go', url: '/a', reply: true }] }, 'message.buttons.0.url'],
      ['neither url nor reply', { text: 'x', buttons: [{ label: 'Go' }] }, 'message.buttons.0.url'],
      ['four buttons', { text: 'x', buttons: Array(4).fill({ label: 'a', reply: true }) }, 'message.buttons'],
      ['http image', { text: 'x', media: { url: 'http://cdn.example/a.gif', alt: 'a' } }, 'message.media.url'],
      ['data: image', { text: 'x', media: { url: 'data:image/png;base64,AAAA', alt: '' } }, 'message.media.url'],
      [
        'zero weight',
        {
          text: 'x',
          variants: [
            { id: 'a', weight: 0, text: 'A' },
            { id: 'b', weight: 1, text: 'B' },
          ],
        },
        'message.variants.0.weight',
      ],
      ['one variant', { text: 'x', variants: [{ id: 'a', weight: 1, text: 'A' }] }, 'message.variants'],
      [
        'duplicate variant',
        {
          text: 'x',
          variants: [
            { id: 'a', weight: 1, text: 'A' },
            { id: 'a', weight: 1, text: 'B' },
          ],
        },
        'message.variants.1.id',
      ],
      [
        'bad variant id',
        {
          text: 'x',
          variants: [
            { id: 'A!', weight: 1, text: 'A' },
            { id: 'b', weight: 1, text: 'B' },
          ],
        },
        'message.variants.0.id',
      ],
      [
        'variant template',
        {
          text: 'x',
          variants: [
            { id: 'a', weight: 1, text: '{{nope.x}}' },
            { id: 'b', weight: 1, text: 'B' },
          ],
        },
        'message.variants.0.text',
      ],
      [
        'variant link',
        {
          text: 'x',
          variants: [
            { id: 'a', weight: 1, text: 'A' },
            { id: 'b', weight: 1, text: 'B', buttons: [{ label: 'x', url: 'javascript:x' }] },
          ],
        },
        'message.variants.1.buttons.0.url',
      ],
    ]
    for (const [title, message, path] of cases) {
      const res = await n.admin('PUT', '/v1/sites/shop/campaigns/bad', { id: 'bad', message })
      t.match(res, { status: 400, body: { error: { code: 'invalid_campaign', path } } }, title)
    }
    let res = await n.admin('PUT', '/v1/sites/shop/campaigns/bad', { ...base('bad'), tags: ['x'.repeat(33)] })
    t.match(res, { status: 400, body: { error: { path: 'tags.0' } } }, 'long tag')
    res = await n.admin('PUT', '/v1/sites/shop/campaigns/bad', { ...base('bad'), tags: Array(11).fill('t') })
    t.match(res, { status: 400, body: { error: { path: 'tags' } } }, 'too many tags')
    res = await n.admin('PUT', '/v1/sites/shop/campaigns/bad', {
      ...base('bad'),
      when: { field: 'team.available', op: 'eq', value: 'yes' },
    })
    t.match(res, { status: 400, body: { error: { path: 'when.value' } } }, 'team.available is a boolean')
    res = await n.admin('GET', '/v1/sites/shop/campaigns/nope/stats?step=week')
    t.equal(res.status, 404, 'unknown campaign first')
    await n.admin('PUT', '/v1/sites/shop/campaigns/ok', base('ok'))
    res = await n.admin('GET', '/v1/sites/shop/campaigns/ok/stats?step=week')
    t.match(res, { status: 400, body: { error: { path: 'step' } } })
    res = await n.admin('GET', '/v1/sites/shop/campaigns/ok/stats?from=yesterday')
    t.match(res, { status: 400, body: { error: { path: 'from' } } })
    res = await n.admin('GET', '/v1/sites/shop/campaigns/ok/stats?from=2020-01-01T00:00:00Z&to=2021-01-01T00:00:00Z')
    t.match(res, { status: 400, body: { error: { path: 'from', message: /92 days/ } } })
    await n.admin('DELETE', '/v1/sites/shop/campaigns/ok')
  })

  t.test('variants, rich content, clicked and per-variant stats; series survive a restart', async (t) => {
    const variants: MessageVariant[] = [
      { id: 'short', weight: 1, text: 'Hi {{visitor.name|there}}', media: { url: '/img/wave.gif', alt: 'Wave' } },
      { id: 'long', weight: 1, text: 'Hello, need help?', buttons: [{ label: 'Yes please', reply: true }] },
    ]
    await n.admin('PUT', '/v1/sites/shop/campaigns/ab', {
      id: 'ab',
      frequency: 'every_time',
      when: { field: 'page.url', op: 'contains', value: '/ab' },
      message: {
        text: 'fallback',
        buttons: [{ label: 'Pricing', url: 'https://shop.example/pricing' }],
        variants,
      },
    })
    const got: Frame[] = []
    // Visitor ids are random: go on until both variants were seen (all 30 alike: p = 2^-29).
    for (let i = 0; i < 30 && new Set(got.map((f) => f.variant)).size < 2; i++) {
      const { client, welcome } = await n.visitor({ page: { url: 'https://shop.example/ab', title: 'AB' } })
      const invite = await client.next('invite')
      const expected = pickVariant(variants, welcome.visitor as string, 'ab')
      t.equal(invite.variant, expected.id, 'the variant pickVariant gives this visitor')
      t.equal(invite.text, expected.id === 'short' ? 'Hi there' : 'Hello, need help?', 'variant text, templated')
      if (expected.id === 'short') {
        t.strictSame(invite.media, { url: '/img/wave.gif', alt: 'Wave' })
        t.equal(invite.buttons, undefined, "the variant's own (no) buttons")
      } else t.strictSame(invite.buttons, [{ label: 'Yes please', reply: true }])
      client.send({ t: 'inv', id: invite.id, action: 'shown' })
      client.send({ t: 'inv', id: invite.id, action: 'clicked', button: 0 })
      client.send({ t: 'inv', id: invite.id, action: 'clicked', button: 0 })
      await settled(client)
      got.push(invite)
      await client.close()
    }
    const count = (v: string) => got.filter((f) => f.variant === v).length
    const total = got.length
    let res = await n.admin('GET', '/v1/sites/shop/campaigns/ab/stats')
    t.match(res.body, {
      sent: total,
      shown: total,
      clicked: total,
      variants: { short: { sent: count('short'), clicked: count('short') }, long: { sent: count('long') } },
    })
    res = await n.admin('GET', '/v1/sites/shop/campaigns')
    t.match(
      res.body.campaigns.find((c: { id: string }) => c.id === 'ab'),
      { stats: { sent: total, clicked: total } },
    )

    const now = Date.now()
    const hourStart = new Date(Math.floor(now / 3_600_000) * 3_600_000).toISOString()
    const from = new Date(now - 3 * 3_600_000).toISOString()
    const to = new Date(now + 1000).toISOString()
    const query = `from=${from}&to=${to}&step=hour`
    res = await n.admin('GET', `/v1/sites/shop/campaigns/ab/stats?${query}`)
    const sum = (series: Array<Record<string, number>>, counter: string) =>
      series.reduce((n, point) => n + (point[counter] ?? 0), 0)
    t.equal(res.body.series.length, 4, 'three past hours, with zeros, and this one')
    t.equal(res.body.series[3].at, hourStart)
    t.match(res.body.series[0], { sent: 0, clicked: 0 })
    for (const counter of ['sent', 'shown', 'clicked'])
      t.equal(sum(res.body.series, counter), total, `${counter} in the hour buckets`)
    t.equal(sum(res.body.series, 'opened'), 0)
    t.match(res.body.variants, { short: { sent: count('short') }, long: { sent: count('long') } })
    const daily = await n.admin('GET', '/v1/sites/shop/campaigns/ab/stats?step=day')
    t.equal(daily.body.series.length, 8, 'seven days back and today')
    t.equal(sum(daily.body.series, 'sent'), total, 'sent in the day buckets')

    await n.stop()
    n = await startNode(env, dir)
    res = await n.admin('GET', `/v1/sites/shop/campaigns/ab/stats?${query}`)
    t.equal(res.body.series[3].at, hourStart)
    t.equal(sum(res.body.series, 'sent'), total, 'durable across a restart')
    t.equal(sum(res.body.series, 'clicked'), total)
    t.match(res.body.variants, { short: { sent: count('short') }, long: { sent: count('long') } })
    await n.admin('DELETE', '/v1/sites/shop/campaigns/ab')
  })

  t.test('widget.id targets the embed’s data-widget', async (t) => {
    await n.admin('PUT', '/v1/sites/shop/campaigns/pricing-only', {
      ...base('pricing-only'),
      when: { field: 'widget.id', op: 'eq', value: 'pricing' },
    })
    const plain = await n.visitor()
    const pricing = await n.visitor({ widget: 'pricing' })
    t.equal((await pricing.client.next('invite')).campaign, 'pricing-only')
    await settled(plain.client)
    t.equal(plain.client.frames.filter((f) => f.t === 'invite').length, 0, 'the default widget gets nothing')

    const res = await n.admin('POST', '/v1/sites/shop/campaigns/preview', {
      ...base('pricing-draft'),
      when: { field: 'widget.id', op: 'in', value: ['pricing', 'docs'] },
    })
    const entry = (id: string) => res.body.visitors.find((v: { visitor: string }) => v.visitor === id)
    t.equal(res.body.count, 1, 'count: visitors whose when holds')
    t.match(entry(pricing.welcome.visitor), { matches: true, inviteNow: false, heldBy: ['showing'] })
    t.match(entry(plain.welcome.visitor), { matches: false, inviteNow: false, heldBy: ['widget'] })
    await Promise.all([plain.client.close(), pricing.client.close()])
    await n.admin('DELETE', '/v1/sites/shop/campaigns/pricing-only')
  })

  t.test('preview says what holds each visitor back', async (t) => {
    await n.admin('PUT', '/v1/sites/shop/campaigns/once', {
      ...base('once'),
      frequency: 'once_per_visit',
      cooldownSeconds: 3600,
      when: { field: 'page.url', op: 'contains', value: '/held' },
    })
    const { client, welcome } = await n.visitor({ page: { url: 'https://shop.example/held', title: 'H' } })
    const invite = await client.next('invite')
    const draft = (extra: Record<string, unknown>) =>
      n.admin('POST', '/v1/sites/shop/campaigns/preview', {
        ...base('once'),
        frequency: 'once_per_visit',
        cooldownSeconds: 3600,
        when: { field: 'page.url', op: 'contains', value: '/held' },
        ...extra,
      })
    const heldBy = async (extra: Record<string, unknown>) =>
      (await draft(extra)).body.visitors.find((v: { visitor: string }) => v.visitor === welcome.visitor)?.heldBy
    t.strictSame(await heldBy({}), ['frequency', 'cooldown', 'showing'])
    client.send({ t: 'inv', id: invite.id, action: 'dismissed' })
    await settled(client)
    t.strictSame(await heldBy({ frequency: 'every_time' }), ['cooldown'], 'the slot is free again')
    t.strictSame(await heldBy({ frequency: 'every_time', cooldownSeconds: 0 }), [])
    t.strictSame(await heldBy({ id: 'fresh', enabled: false }), ['disabled'])
    t.strictSame(await heldBy({ id: 'fresh', audience: 'users' }), ['audience'])
    t.strictSame(await heldBy({ id: 'fresh', team: 'online' }), ['team'])
    t.strictSame(
      await heldBy({ id: 'fresh', schedule: { hours: 'inside', week: { mon: [['00:00', '00:01']] } } }).then(
        (held: string[]) => held.filter((h) => h === 'schedule'),
      ),
      new Date().getUTCDay() === 1 && new Date().getUTCHours() === 0 && new Date().getUTCMinutes() === 0
        ? []
        : ['schedule'],
    )
    const res = await draft({ id: 'fresh' })
    t.match(res.body, {
      campaign: 'fresh',
      count: 1,
      nodes: 1,
      complete: true,
      visitors: [
        { visitor: welcome.visitor, node: n.config.nodeId, inviteNow: true, heldBy: [], page: { url: /held/ } },
      ],
    })
    await client.close()
    await n.admin('DELETE', '/v1/sites/shop/campaigns/once')
  })

  t.test('team.available and tags on the conversation a campaign starts', async (t) => {
    await n.admin('PUT', '/v1/sites/shop/campaigns/capacity', {
      ...base('capacity'),
      tags: ['capacity', 'vip'],
      frequency: 'every_time',
      when: {
        all: [
          { field: 'team.available', op: 'eq', value: true },
          { field: 'page.url', op: 'contains', value: '/cap' },
        ],
      },
    })
    const page = { page: { url: 'https://shop.example/cap', title: 'Cap' } }
    const early = await n.visitor(page)
    await settled(early.client)
    t.equal(early.client.frames.filter((f) => f.t === 'invite').length, 0, 'nobody online: not available')
    await early.client.close()

    const op = await operatorSocket(n, 'ann')
    const first = await n.visitor(page)
    const invite = await first.client.next('invite')
    first.client.send({ t: 'inv', id: invite.id, action: 'opened' })
    first.client.send({ t: 'msg', text: 'I need help' })
    const chat = await op.next((f) => f.t === 'chat' && f.visitor === first.welcome.visitor && f.state === 'assigned')
    t.strictSame(chat.tags, ['capacity', 'vip'], 'operators see the campaign tags')
    const visitorChat = await first.client.next('chat')
    t.notOk('tags' in visitorChat, 'the visitor does not')

    // ann (max 1 chat) now holds one: the team has no free slot.
    const second = await n.visitor(page)
    await settled(second.client)
    t.equal(second.client.frames.filter((f) => f.t === 'invite').length, 0, 'no free slot: no invitation')
    op.send({ t: 'close', conversation: chat.conversation })
    t.equal((await second.client.next('invite')).campaign, 'capacity', 'a slot freed: the invitation fires')
    await Promise.all([first.client.close(), second.client.close(), op.close()])
    await n.admin('DELETE', '/v1/sites/shop/campaigns/capacity')
  })
})
