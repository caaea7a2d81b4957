import t from 'tap'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { signOperatorToken } from '../src/operator/operator_token.js'
import { operatorRequest } from './support/operator_request.js'
import { putCampaign, startNode, type TestNode } from './support/test_node.js'
import { startTwoNodes } from './support/test_cluster.js'
import { TestClient } from './support/test_client.js'

async function operator(n: TestNode, id: string, departments: string[] = [], perms: string[] = []) {
  const site = n.node.sites.get('shop')
  if (!site) throw new Error('no site')
  const client = await TestClient.connect(`${n.ws}/v1/operator`)
  client.send({ t: 'auth', token: await signOperatorToken(site, { id, departments, perms }) })
  await client.next('ready')
  return client
}

/** A visitor (in `department`, named `name`) chats with `op`, which closes it; resolves with the conversation id. */
async function closedChat(
  n: TestNode,
  op: TestClient,
  { name, email, department, lines }: { name: string; email: string; department?: string; lines: string[] },
) {
  const { client, welcome } = await n.visitor(department ? { context: { department } } : {})
  client.send({ t: 'contact', name, email })
  await client.next('contact')
  client.send({ t: 'msg', text: lines[0] })
  const offered = await op.next((f) => f.t === 'chat' && f.visitor === welcome.visitor)
  op.send({ t: 'msg', conversation: offered.conversation, text: lines[1] ?? 'hello' })
  await op.next((f) => f.t === 'msg' && f.conversation === offered.conversation && f.from === 'operator')
  op.send({ t: 'close', conversation: offered.conversation })
  await op.next((f) => f.t === 'chat' && f.conversation === offered.conversation && f.state === 'closed')
  return { id: offered.conversation as string, visitor: welcome.visitor as string, client }
}

const search = (n: TestNode, query: string, claims: { id: string; departments?: string[]; perms?: string[] }) =>
  operatorRequest(n, 'GET', `/v1/sites/shop/conversations${query}`, claims as { id: string })

t.test('history: search, scope, pages, transcript, rating, invitation context, restart', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'beckon-history-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  let n = await startNode({ BECKON_FEED_INTERVAL_MS: '20', BECKON_HISTORY_PAGE_SIZE: '2' }, dir)
  await n.site('shop')
  await putCampaign(n, {
    id: 'pricing',
    name: 'Pricing help',
    when: { all: [{ field: 'page.url', op: 'contains', value: '/pricing' }] },
    message: { text: 'Questions about our plans?', startChat: false },
  })
  const ann = await operator(n, 'ann', [], ['sees_all_online_visitors'])

  // A campaign invitation starts the first chat: its chat frames carry it, to both sides.
  const invited = await n.visitor({ page: { url: 'https://shop.example/pricing', title: 'Pricing' } })
  const invite = await invited.client.next('invite')
  invited.client.send({ t: 'contact', name: 'Zoë Lindqvist', email: 'zoe@fjord.example' })
  await invited.client.next('contact')
  invited.client.send({ t: 'msg', text: 'Is the Pro plan billed yearly?' })
  const visitorChat = await invited.client.next('chat')
  const expectedInvitation = { text: invite.text, campaign: 'pricing', campaignName: 'Pricing help', at: Number }
  t.match(visitorChat.invitation, expectedInvitation, 'the visitor gets the invitation with its chat')
  const offered = await ann.next((f) => f.t === 'chat' && f.visitor === invited.welcome.visitor)
  t.match(offered, { invitation: expectedInvitation, visitorName: 'Zoë Lindqvist', visitorEmail: 'zoe@fjord.example' })
  ann.send({ t: 'msg', conversation: offered.conversation, text: 'Yes, with two months free' })
  await ann.next((f) => f.t === 'msg' && f.from === 'operator')
  ann.send({ t: 'close', conversation: offered.conversation })
  await ann.next((f) => f.t === 'chat' && f.state === 'closed')

  // The rating comes after the close: stored on the conversation, shown to operators.
  invited.client.send({ t: 'rate', value: 'great' })
  t.match(await ann.next((f) => f.t === 'chat' && f.rating !== undefined), { rating: 'great', state: 'closed' })

  const bo = await operator(n, 'bo', ['support'])
  const support = await closedChat(n, bo, {
    name: 'Ravi Shankar',
    email: 'ravi@example.org',
    department: 'support',
    lines: ['My refund never arrived', 'Refunds take five days'],
  })
  const sales = await closedChat(n, ann, {
    name: 'Mia Wong',
    email: 'mia@wong.example',
    department: 'sales',
    lines: ['Do you ship to Canada?', 'We ship worldwide'],
  })

  t.test('search by message words (prefixes, any case and accents), visitor, operator and date', async (t) => {
    const ids = async (query: string) =>
      ((await search(n, query, { id: 'root', perms: ['sees_all_online_visitors'] })).body.conversations ?? []).map(
        (c: { id: string }) => c.id,
      )
    t.strictSame(await ids('?q=REFUND'), [support.id], 'a word in any case')
    t.strictSame(await ids('?q=refu%20arriv'), [support.id], 'prefixes of several words, all required')
    t.strictSame(await ids('?q=refund%20canada'), [], 'words are ANDed')
    t.strictSame(await ids('?q=plans'), [offered.conversation], 'the invitation text is searchable')
    t.strictSame(await ids('?visitor=zoe'), [offered.conversation], 'the name without its accent')
    t.strictSame(await ids('?visitor=wong.example'), [sales.id], 'an email')
    t.strictSame(await ids(`?visitor=${support.visitor}`), [support.id], 'a visitor id')
    t.strictSame(await ids('?operator=bo'), [support.id])
    const today = new Date().toISOString().slice(0, 10)
    t.strictSame(await ids(`?from=${today}&to=${today}&operator=ann&limit=10`), [sales.id, offered.conversation])
    t.strictSame(await ids('?to=2001-01-01'), [], 'nothing that old')
  })

  t.test('newest closed first, pages of BECKON_HISTORY_PAGE_SIZE with next', async (t) => {
    const root = { id: 'root', perms: ['sees_all_online_visitors'] }
    const first = await search(n, '', root)
    t.equal(first.status, 200)
    t.strictSame(
      first.body.conversations.map((c: { id: string }) => c.id),
      [sales.id, support.id],
    )
    t.type(first.body.next, 'string')
    const second = await search(n, `?next=${first.body.next}`, root)
    t.strictSame(
      second.body.conversations.map((c: { id: string }) => c.id),
      [offered.conversation],
    )
    t.notOk('next' in second.body, 'the last page has no next')
    t.match(second.body.conversations[0], {
      name: 'Zoë Lindqvist',
      email: 'zoe@fjord.example',
      operator: 'ann',
      rating: 'great',
      invitation: { campaignName: 'Pricing help' },
      preview: 'Is the Pro plan billed yearly?',
      messages: 2,
    })
    t.notOk('words' in second.body.conversations[0], 'index words stay inside')
  })

  t.test('department scope: an operator sees its departments and site-wide chats only', async (t) => {
    const seen = await search(n, '?limit=10', { id: 'bo', departments: ['support'] } as { id: string })
    t.strictSame(
      seen.body.conversations.map((c: { id: string }) => c.id),
      [support.id, offered.conversation],
    )
    const transcript = await operatorRequest(n, 'GET', `/v1/sites/shop/conversations/${sales.id}`, {
      id: 'bo',
      departments: ['support'],
    } as { id: string })
    t.equal(transcript.status, 404, "another department's transcript is not found")
    const admin = await n.admin('GET', '/v1/sites/shop/conversations?q=ship')
    t.strictSame(
      admin.body.conversations.map((c: { id: string }) => c.id),
      [sales.id],
      'the admin token sees all',
    )
  })

  t.test('bad parameters get 400 with the parameter and a reason', async (t) => {
    for (const [query, path] of [
      ['?q=a', 'q'],
      ['?from=yesterday', 'from'],
      ['?from=2026-02-01&to=2026-01-01', 'from'],
      ['?limit=0', 'limit'],
      ['?limit=5000', 'limit'],
      ['?state=open', 'state'],
      ['?next=!!', 'next'],
      ['?operator=bad%20sub', 'operator'],
      ['?sort=asc', 'sort'],
      ['?q=x&q=y', 'q'],
    ] as const) {
      const res = await n.admin('GET', `/v1/sites/shop/conversations${query}`)
      t.equal(res.status, 400, query)
      t.match(res.body, { error: { code: 'invalid_query', path, message: /\w/ } }, query)
    }
    t.equal((await n.admin('GET', '/v1/sites/nowhere/conversations')).status, 404)
    const other = await fetch(`${n.base}/v1/sites/shop/conversations`)
    t.equal(other.status, 401, 'no bearer')
  })

  t.test('transcript as JSON and as text and JSON downloads', async (t) => {
    const json = await operatorRequest(n, 'GET', `/v1/sites/shop/conversations/${support.id}`, { id: 'bo' })
    t.equal(json.status, 200)
    t.match(json.body, {
      conversation: { id: support.id, visitorName: 'Ravi Shankar', state: 'closed', operator: 'bo' },
      messages: [
        { from: 'visitor', text: 'My refund never arrived' },
        { from: 'operator', operator: 'bo', text: 'Refunds take five days' },
      ],
    })
    const text = await fetch(`${n.base}/v1/sites/shop/conversations/${offered.conversation}?format=text`, {
      headers: { authorization: `Bearer ${await signOperatorToken(n.node.sites.get('shop')!, { id: 'ann' })}` },
    })
    t.equal(text.status, 200)
    t.match(text.headers.get('content-type'), /^text\/plain/)
    t.match(text.headers.get('content-disposition'), /attachment; filename="conversation-c[a-z0-9]+\.txt"/)
    const body = await text.text()
    t.match(body, /Visitor: Zoë Lindqvist <zoe@fjord\.example>/)
    t.match(body, /Rating: great/)
    t.match(body, /Invitation \(campaign Pricing help\).*Questions about our plans\?/)
    t.match(body, /\] Zoë Lindqvist <zoe@fjord\.example>: Is the Pro plan billed yearly\?\n/)
    t.match(body, /\] ann: Yes, with two months free\n/)
    const download = await fetch(`${n.base}/v1/sites/shop/conversations/${support.id}?format=json`, {
      headers: { authorization: `Bearer ${await signOperatorToken(n.node.sites.get('shop')!, { id: 'bo' })}` },
    })
    t.match(download.headers.get('content-disposition'), /filename="conversation-c[a-z0-9]+\.json"/)
    t.match(await download.json(), { conversation: { id: support.id }, messages: [{}, {}] })
    t.equal((await n.admin('GET', '/v1/sites/shop/conversations/c0?format=pdf')).status, 400)
    t.equal((await n.admin('GET', '/v1/sites/shop/conversations/nope')).status, 400)
    t.equal((await n.admin('GET', '/v1/sites/shop/conversations/c0')).status, 404)
  })

  t.test('a manual invitation becomes the first entry of the chat it starts', async (t) => {
    const { client, welcome } = await n.visitor()
    ann.send({ t: 'invite', visitor: welcome.visitor, text: 'Can I help you find a size?', startChat: false })
    await client.next('invite')
    client.send({ t: 'msg', text: 'Yes please' })
    t.match(await client.next('chat'), { invitation: { text: 'Can I help you find a size?', operator: 'ann' } })
    const started = await ann.next((f) => f.t === 'chat' && f.visitor === welcome.visitor)
    t.match(started.invitation, { text: 'Can I help you find a size?', operator: 'ann', at: Number })
    t.notOk('campaign' in (started.invitation as object))
    await client.close()
  })

  t.test('erasing a visitor removes its conversations from history', async (t) => {
    t.equal((await n.admin('DELETE', `/v1/sites/shop/visitors/${sales.visitor}`)).status, 200)
    const res = await n.admin('GET', '/v1/sites/shop/conversations?q=canada')
    t.strictSame(res.body.conversations, [])
  })

  t.test('the index comes back from the store after a restart', async (t) => {
    await Promise.all([ann.close(), bo.close(), invited.client.close(), support.client.close(), sales.client.close()])
    await n.node.stop()
    n = await startNode({ BECKON_FEED_INTERVAL_MS: '20' }, dir)
    const res = await n.admin('GET', '/v1/sites/shop/conversations?q=refund')
    t.strictSame(
      res.body.conversations.map((c: { id: string }) => c.id),
      [support.id],
    )
    t.strictSame((await n.admin('GET', '/v1/sites/shop/conversations?q=canada')).body.conversations, [])
  })
  t.teardown(() => n.node.stop())
})

t.test('history in cluster mode: a chat closed on one node is found on the other at once', async (t) => {
  const { a, b } = await startTwoNodes(t, 'hist')
  await a.site('shop')
  const op = await operator(a, 'cy')
  const chat = await closedChat(a, op, {
    name: 'Ines Duarte',
    email: 'ines@example.pt',
    lines: ['Where is my parcel 4471?', 'It left the depot'],
  })
  const found = await b.admin('GET', '/v1/sites/shop/conversations?q=parcel%204471')
  t.strictSame(
    found.body.conversations.map((c: { id: string }) => c.id),
    [chat.id],
  )
  const transcript = await b.admin('GET', `/v1/sites/shop/conversations/${chat.id}`)
  t.match(transcript.body.messages, [{ text: 'Where is my parcel 4471?' }, { text: 'It left the depot' }])
  await Promise.all([op.close(), chat.client.close()])
})
