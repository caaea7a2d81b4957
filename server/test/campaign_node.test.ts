import t from 'tap'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { signOperatorToken } from '../src/operator/operator_token.js'
import { putCampaign as campaign, startNode } from './support/test_node.js'
import { TestClient, invites, settled } from './support/test_client.js'

const KB = 'https://shop.example/kb/article'

t.test('campaigns on a running node', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'beckon-campaigns-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const env = { BECKON_VISIT_GAP_SECONDS: '1', BECKON_LINGER_SECONDS: '0', BECKON_FEED_INTERVAL_MS: '10' }
  let n = await startNode(env, dir)
  t.teardown(() => n.stop())
  await n.site()

  t.test('a time condition fires on time with no new event, message templated', async (t) => {
    await campaign(n, {
      id: 'kb-help',
      frequency: 'every_time',
      when: {
        all: [
          { field: 'page.url', op: 'contains', value: '/KB/' },
          { field: 'page.seconds', op: 'gte', value: 1 },
        ],
      },
      message: {
        text: 'Hi {{visitor.name|there}}, case {{context.caseId}}',
        followUp: 'Still here?',
        collect: ['email'],
        startChat: false,
      },
    })
    const { client } = await n.visitor({ context: { caseId: 'C-7' } })
    client.send({ t: 'contact', name: 'Ada' })
    const viewedAt = Date.now()
    client.send({ t: 'page', url: KB, title: 'KB' })
    await settled(client)
    t.equal(invites(client).length, 0, 'not yet: the page was viewed just now')
    const invite = await client.next('invite')
    t.ok(Date.now() - viewedAt >= 1000, 'fired once the second had passed')
    t.match(invite, {
      campaign: 'kb-help',
      text: 'Hi Ada, case C-7',
      followUp: 'Still here?',
      collect: ['email'],
      startChat: false,
    })
    client.send({ t: 'inv', id: invite.id, action: 'shown' })
    client.send({ t: 'inv', id: invite.id, action: 'dismissed' })
    await settled(client)
    t.match(
      (await n.admin('GET', '/v1/sites/shop/campaigns/kb-help/stats')).body,
      { eligibleNow: 1, sent: 1 },
      'every_time: still eligible',
    )
    await client.close()
    await n.admin('DELETE', '/v1/sites/shop/campaigns/kb-help')
  })

  t.test('once_per_visitor holds across tabs, reconnects and a restart', async (t) => {
    await campaign(n, {
      id: 'welcome',
      frequency: 'once_per_visitor',
      when: { field: 'page.url', op: 'contains', value: '/welcome' },
    })
    const tab1 = await n.visitor()
    tab1.client.send({ t: 'page', url: 'https://shop.example/welcome', title: 'W' })
    const shown = await tab1.client.next('invite')
    t.match(shown, { campaign: 'welcome' })
    const tab2 = await n.visitor({
      token: tab1.welcome.token,
      page: { url: 'https://shop.example/welcome', title: 'W' },
    })
    await settled(tab2.client)
    t.match(invites(tab2.client), [{ id: shown.id, redelivered: true }], 'a second tab shows the same, pending one')
    await Promise.all([tab1.client.close(), tab2.client.close()])

    await n.stop()
    n = await startNode(env, dir)
    const back = await n.visitor({
      token: tab1.welcome.token,
      page: { url: 'https://shop.example/welcome', title: 'W' },
    })
    await settled(back.client)
    // Within the one-second visit gap the pending one may come back (re-delivered), never a new one.
    t.same(
      invites(back.client).filter((f) => !f.redelivered),
      [],
      'nor after a restart',
    )
    const fresh = await n.visitor({ page: { url: 'https://shop.example/welcome', title: 'W' } })
    t.match(await fresh.client.next('invite'), { campaign: 'welcome' }, 'the campaign itself survived the restart')
    await Promise.all([back.client.close(), fresh.client.close()])
    await n.admin('DELETE', '/v1/sites/shop/campaigns/welcome')
  })

  t.test('priority, one visible invitation, lifecycle stats and replies', async (t) => {
    await campaign(n, {
      id: 'low',
      priority: 1,
      frequency: 'once_per_visit',
      when: { field: 'page.url', op: 'contains', value: '/pricing' },
    })
    await campaign(n, {
      id: 'high',
      priority: 5,
      frequency: 'once_per_visit',
      when: { field: 'page.url', op: 'contains', value: '/pricing' },
    })
    const { client } = await n.visitor()
    client.send({ t: 'page', url: 'https://shop.example/pricing', title: 'Pricing' })
    const first = await client.next('invite')
    t.equal(first.campaign, 'high')
    await settled(client)
    t.equal(invites(client).length, 0, 'the lower one waits while one is visible')
    client.send({ t: 'inv', id: first.id, action: 'shown' })
    client.send({ t: 'inv', id: first.id, action: 'shown' })
    client.send({ t: 'inv', id: first.id, action: 'dismissed' })
    const second = await client.next('invite')
    t.equal(second.campaign, 'low', 'the pending one shows once the slot frees')
    client.send({ t: 'inv', id: second.id, action: 'opened' })
    client.send({ t: 'msg', text: 'how much?' })
    await client.next('msg')
    await n.node.campaignStats.flush()
    const high = await n.admin('GET', '/v1/sites/shop/campaigns/high/stats')
    t.match(high.body, { sent: 1, shown: 1, dismissed: 1, opened: 0, replied: 0 })
    const low = await n.admin('GET', '/v1/sites/shop/campaigns/low/stats')
    t.match(
      low.body,
      { sent: 1, opened: 1, replied: 1, eligibleNow: 0 },
      'once_per_visit: no longer eligible this visit',
    )
    await client.close()
    await n.admin('DELETE', '/v1/sites/shop/campaigns/low')
    await n.admin('DELETE', '/v1/sites/shop/campaigns/high')
  })

  t.test('team online fires when an operator comes online, without a visitor event', async (t) => {
    await campaign(n, {
      id: 'team',
      team: 'online',
      frequency: 'once_per_visit',
      when: { field: 'visit.pageViews', op: 'gte', value: 1 },
    })
    const { client } = await n.visitor()
    await settled(client)
    t.equal(invites(client).length, 0)
    const site = n.node.sites.get('shop')
    if (!site) throw new Error('no site')
    const op = await TestClient.connect(`${n.ws}/v1/operator`)
    op.send({ t: 'auth', token: await signOperatorToken(site, { id: 'ann' }) })
    await op.next('ready')
    t.match(await client.next('invite'), { campaign: 'team' })
    await Promise.all([op.close(), client.close()])
    await n.admin('DELETE', '/v1/sites/shop/campaigns/team')
  })

  t.test('audience, exit intent and once_per_visit across visits', async (t) => {
    await campaign(n, {
      id: 'exit',
      audience: 'visitors',
      frequency: 'once_per_visit',
      when: { field: 'exit.seconds', op: 'exists' },
    })
    const first = await n.visitor()
    first.client.send({ t: 'exit' })
    t.match(await first.client.next('invite'), { campaign: 'exit' })
    const closedAt = Date.now()
    await first.client.close()
    // Let the one-second visit gap pass with no tab: the next tab starts visit 2.
    await new Promise((resolve) => setTimeout(resolve, 1100 - (Date.now() - closedAt)))
    const again = await n.visitor({ token: first.welcome.token })
    t.equal(again.welcome.visit, 2)
    again.client.send({ t: 'exit' })
    t.match(await again.client.next('invite'), { campaign: 'exit' }, 'fires again in the new visit')
    await again.client.close()
    await n.admin('DELETE', '/v1/sites/shop/campaigns/exit')
  })

  t.test('admin API validation, listing and preview', async (t) => {
    let res = await n.admin('PUT', '/v1/sites/shop/campaigns/bad', {
      name: 'Bad',
      message: { text: 'x' },
      when: { all: [{ field: 'page.url', op: 'gt', value: 3 }] },
    })
    t.match(res, { status: 400, body: { error: { code: 'invalid_campaign', path: /^when\.all\.0/ } } })
    res = await n.admin('PUT', '/v1/sites/shop/campaigns/bad', {
      name: 'Bad',
      message: { text: 'x' },
      when: { field: 'nope.field', op: 'eq', value: 1 },
    })
    t.match(res, { status: 400, body: { error: { path: /^when/ } } })
    res = await n.admin('PUT', '/v1/sites/shop/campaigns/bad', { id: 'other', name: 'Bad', message: { text: 'x' } })
    t.match(res, { status: 400, body: { error: { path: 'id' } } })
    res = await n.admin('PUT', '/v1/sites/shop/campaigns/bad', '[')
    t.match(res, { status: 400, body: { error: { code: 'invalid_json' } } })
    res = await n.admin('PUT', '/v1/sites/nosuch/campaigns/x', { name: 'x', message: { text: 'x' } })
    t.equal(res.status, 404)

    await campaign(n, { id: 'de', enabled: false, when: { field: 'geo.country', op: 'eq', value: 'de' } })
    res = await n.admin('GET', '/v1/sites/shop/campaigns')
    t.match(res.body, { campaigns: [{ id: 'de', enabled: false, stats: { sent: 0, clicked: 0 } }] })
    const site = n.node.sites.get('shop')
    if (!site) throw new Error('no site')
    const opToken = await signOperatorToken(site, { id: 'ann' })
    const asOperator = await fetch(`${n.base}/v1/sites/shop/campaigns`, {
      headers: { authorization: `Bearer ${opToken}` },
    })
    t.equal(asOperator.status, 200, 'operators may read their site’s campaigns')
    const write = await fetch(`${n.base}/v1/sites/shop/campaigns/de`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${opToken}` },
    })
    t.match(
      { status: write.status, body: await write.json() },
      { status: 403, body: { error: { code: 'forbidden', message: 'operator token lacks manage_campaigns' } } },
      'but not change them without manage_campaigns',
    )

    const kb = await n.visitor({ page: { url: KB, title: 'KB' } })
    const home = await n.visitor()
    res = await n.admin('POST', '/v1/sites/shop/campaigns/preview', {
      id: 'draft',
      name: 'Draft',
      message: { text: 'x' },
      when: { field: 'page.url', op: 'contains', value: '/kb/' },
    })
    t.match(res, { status: 200, body: { count: 1, visitors: [{ visitor: kb.welcome.visitor, inviteNow: true }] } })
    t.notOk((res.body.visitors as Array<{ visitor: string }>).some((v) => v.visitor === home.welcome.visitor))
    await Promise.all([kb.client.close(), home.client.close()])
    t.equal((await n.admin('DELETE', '/v1/sites/shop/campaigns/de')).status, 204)
    t.equal((await n.admin('DELETE', '/v1/sites/shop/campaigns/de')).status, 404)
  })
})

t.test('campaign limits come from the configuration', async (t) => {
  const n = await startNode({ BECKON_MAX_CAMPAIGN_CONDITIONS: '2' })
  t.teardown(() => n.stop())
  await n.site()
  const leaf = { field: 'page.url', op: 'contains', value: '/a' }
  const res = await n.admin('PUT', '/v1/sites/shop/campaigns/many', {
    name: 'Many',
    message: { text: 'x' },
    when: { all: [leaf, leaf, leaf] },
  })
  t.match(res, { status: 400, body: { error: { code: 'invalid_campaign', message: /2/ } } })
  t.equal(
    (
      await n.admin('PUT', '/v1/sites/shop/campaigns/few', {
        name: 'Few',
        message: { text: 'x' },
        when: { all: [leaf, leaf] },
      })
    ).status,
    201,
  )
})
