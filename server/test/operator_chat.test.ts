import t from 'tap'
import { until } from './support/until.js'
import { SignJWT } from 'jose'
import { CLOSE_CODE } from '../../shared/src/protocol.js'
import { signOperatorToken } from '../src/operator/operator_token.js'
import { SITE_SECRET, startNode, type TestNode } from './support/test_node.js'
import { TestClient, type Frame } from './support/test_client.js'

async function operator(
  n: TestNode,
  claims: { id: string; site?: string; departments?: string[]; perms?: string[]; name?: string },
  watch = true,
): Promise<TestClient> {
  const site = n.node.sites.get(claims.site ?? 'shop')
  if (!site) throw new Error('no site')
  const client = await TestClient.connect(`${n.ws}/v1/operator`)
  client.send({ t: 'auth', token: await signOperatorToken(site, claims) })
  await client.next('ready')
  if (watch) {
    client.send({ t: 'watch', site: site.id })
    await client.next('visitors')
  }
  return client
}

const about = (visitor: string) => (f: Frame) => f.t === 'visitor' && f.id === visitor

t.test('operators', async (t) => {
  const n = await startNode({
    BECKON_FEED_INTERVAL_MS: '20',
    BECKON_ACCEPT_TIMEOUT_SECONDS: '1',
    BECKON_LINGER_SECONDS: '0',
  })
  t.teardown(() => n.stop())
  await n.site('shop')
  await n.site('other')

  t.test('auth failures close with 4001 or 4000', async (t) => {
    let c = await TestClient.connect(`${n.ws}/v1/operator`)
    c.send({ t: 'auth', token: 'not.a.jwt' })
    t.match(await c.closed, { code: CLOSE_CODE.unauthorized })

    c = await TestClient.connect(`${n.ws}/v1/operator`)
    const forged = await new SignJWT({ site: 'shop' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('eve')
      .sign(new TextEncoder().encode('another-secret-of-enough-length'))
    c.send({ t: 'auth', token: forged })
    t.match(await c.closed, { code: CLOSE_CODE.unauthorized, reason: /signature/ })

    c = await TestClient.connect(`${n.ws}/v1/operator`)
    const expired = await new SignJWT({ site: 'shop' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('old')
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .sign(new TextEncoder().encode(SITE_SECRET))
    c.send({ t: 'auth', token: expired })
    t.match(await c.closed, { code: CLOSE_CODE.unauthorized, reason: /expired/ })

    c = await TestClient.connect(`${n.ws}/v1/operator`)
    const shortLived = await new SignJWT({ site: 'shop' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('brief')
      // At least a second ahead: the token must still hold when the node verifies it.
      .setExpirationTime(Math.floor(Date.now() / 1000) + 2)
      .sign(new TextEncoder().encode(SITE_SECRET))
    c.send({ t: 'auth', token: shortLived })
    await c.next('ready')
    t.match(
      await c.closed,
      { code: CLOSE_CODE.unauthorized, reason: /expired/ },
      'a session ends when its token expires',
    )

    c = await TestClient.connect(`${n.ws}/v1/operator`)
    c.send({ t: 'watch', site: 'shop' })
    t.match(await c.closed, { code: CLOSE_CODE.protocolError, reason: /auth/ })
  })

  t.test('live visitor list: snapshot, deltas and gone', async (t) => {
    const op = await operator(n, { id: 'ann' })
    const { client, welcome } = await n.visitor({ page: { url: 'https://shop.example/start', title: 'Start' } })
    t.match(await op.next(about(welcome.visitor)), { page: { url: 'https://shop.example/start' }, tabs: 1, visits: 1 })
    client.send({ t: 'page', url: 'https://shop.example/kb/', title: 'KB' })
    t.match(await op.next((f) => about(welcome.visitor)(f) && (f.page as { url: string }).url.endsWith('/kb/')), {
      pageViews: 2,
    })

    const late = await operator(n, { id: 'bob' }, false)
    late.send({ t: 'watch', site: 'shop' })
    const snapshot = await late.next('visitors')
    t.ok(
      (snapshot.list as Frame[]).some((v) => v.id === welcome.visitor),
      'snapshot lists the visitor',
    )
    await client.close()
    await late.close()
    t.match(await op.next((f) => f.t === 'gone' && f.visitor === welcome.visitor), { t: 'gone' })
    await op.close()
  })

  t.test('isolation by site and department', async (t) => {
    const sales = await operator(n, { id: 'sam', departments: ['sales'] })
    const boss = await operator(n, { id: 'boss', departments: [], perms: ['sees_all_online_visitors'] })
    const stranger = await operator(n, { id: 'olga', site: 'other' })
    const support = await n.visitor({ context: { department: 'support' } })
    const salesVisitor = await n.visitor({ context: { department: 'sales' } })
    const anyone = await n.visitor()

    await boss.next(about(support.welcome.visitor))
    await boss.next(about(salesVisitor.welcome.visitor))
    await boss.next(about(anyone.welcome.visitor))
    await sales.next(about(salesVisitor.welcome.visitor))
    await sales.next(about(anyone.welcome.visitor))
    t.notOk(sales.frames.some(about(support.welcome.visitor)), 'sales never sees a support visitor')
    t.notOk(
      stranger.frames.some((f) => f.t === 'visitor'),
      'another site sees nothing',
    )

    stranger.send({ t: 'watch', site: 'shop' })
    t.match(await stranger.next('error'), { code: 'forbidden' })
    stranger.send({ t: 'invite', visitor: anyone.welcome.visitor, text: 'hi', startChat: true })
    t.match(await stranger.next('error'), { code: 'not_found' })
    sales.send({ t: 'invite', visitor: support.welcome.visitor, text: 'hi', startChat: true })
    t.match(await sales.next('error'), { code: 'not_found' })

    // The support visitor starts a chat: sales may not read or answer it; boss may.
    support.client.send({ t: 'msg', text: 'help me' })
    const bossMsg = await boss.next((f) => f.t === 'msg' && f.text === 'help me')
    sales.send({ t: 'msg', conversation: bossMsg.conversation, text: 'sneaky' })
    t.match(await sales.next('error'), { code: 'not_found' })
    t.notOk(
      sales.frames.some((f) => f.t === 'msg'),
      'sales got no message of that chat',
    )

    // Moving to another department makes the visitor vanish from the sales list.
    salesVisitor.client.send({ t: 'context', data: { department: 'support' } })
    await sales.next((f) => f.t === 'gone' && f.visitor === salesVisitor.welcome.visitor)
    await Promise.all([sales, boss, stranger, support.client, salesVisitor.client, anyone.client].map((c) => c.close()))
  })

  t.test('invite, reply, assign to me even when offline, replay and close', async (t) => {
    let ann = await operator(n, { id: 'ann', name: 'Ann' })
    const { client, welcome } = await n.visitor()
    await ann.next(about(welcome.visitor))
    ann.send({ t: 'invite', visitor: welcome.visitor, text: 'Can I help?', startChat: false, assignToMe: true })
    t.match(await client.next('invite'), { operator: 'Ann', text: 'Can I help?', startChat: false })
    await ann.close()

    client.send({ t: 'msg', text: 'yes please' })
    const chat = await client.next('chat')
    t.match(chat, { state: 'assigned', operator: 'ann' }, 'assigned to the inviter although it is offline')
    t.match(await client.next('msg'), { from: 'visitor', text: 'yes please' })

    ann = await operator(n, { id: 'ann', name: 'Ann' })
    t.match(await ann.next('msg'), { conversation: chat.conversation, text: 'yes please' }, 'replayed to the operator')
    ann.send({ t: 'msg', conversation: chat.conversation, text: 'sure' })
    t.match(await client.next('msg'), { from: 'operator', operator: 'ann', text: 'sure' })

    const second = await n.visitor({ token: welcome.token })
    t.match(await second.client.next('chat'), { conversation: chat.conversation, state: 'assigned' })
    t.match(await second.client.next('msg'), { text: 'yes please' })
    t.match(await second.client.next('msg'), { text: 'sure' }, 'a new tab replays the conversation')

    ann.send({ t: 'close', conversation: chat.conversation })
    t.match(await client.next((f) => f.t === 'chat' && f.state === 'closed'), { conversation: chat.conversation })
    t.equal(n.node.hub.get('shop', welcome.visitor)?.facts.get('chat.history'), 1)
    ann.send({ t: 'msg', conversation: chat.conversation, text: 'too late' })
    t.match(await ann.next('error'), { code: 'conflict' })
    await Promise.all([ann.close(), client.close(), second.client.close()])
  })

  t.test('a chat closed while the visitor is away still counts in chat.history', async (t) => {
    const ann = await operator(n, { id: 'ann' })
    const { client, welcome } = await n.visitor()
    await ann.next(about(welcome.visitor))
    ann.send({ t: 'invite', visitor: welcome.visitor, text: 'hi', startChat: true })
    const chat = await client.next('chat')
    await client.close()
    await until('the visitor to leave', () => n.node.hub.get('shop', welcome.visitor) === undefined)
    ann.send({ t: 'close', conversation: chat.conversation })
    await ann.next((f) => f.t === 'chat' && f.state === 'closed')
    // The count lands in the stored profile right after the close is announced.
    await until(
      'the stored count',
      async () =>
        ((await n.node.store.get<{ chatHistory: number }>('profiles', `shop.${welcome.visitor}`))?.value.chatHistory ??
          0) === 1,
    )
    const back = await n.visitor({ token: welcome.token })
    t.equal(n.node.hub.get('shop', back.welcome.visitor)?.facts.get('chat.history'), 1)
    await Promise.all([ann.close(), back.client.close()])
  })

  t.test('invite and start chat; auto-assignment moves on when not accepted', async (t) => {
    const ann = await operator(n, { id: 'ann' })
    const { client, welcome } = await n.visitor()
    await ann.next(about(welcome.visitor))
    ann.send({ t: 'invite', visitor: welcome.visitor, text: 'Hello!', startChat: true })
    t.match(await client.next('invite'), { startChat: true })
    t.match(await client.next('chat'), { state: 'assigned', operator: 'ann' })
    t.match(await client.next('msg'), { from: 'operator', text: 'Hello!' })
    await client.close()

    const amy = await operator(n, { id: 'amy' })
    const zed = await operator(n, { id: 'zed' })
    const v = await n.visitor()
    t.equal(n.node.hub.get('shop', v.welcome.visitor)?.facts.get('team.online'), true)
    v.client.send({ t: 'msg', text: 'anyone?' })
    const offered = await amy.next((f) => f.t === 'chat' && f.operator === 'amy')
    t.match(offered, { state: 'assigned', accepted: false }, 'offered to the first available operator')
    const moved = await zed.next(
      (f) => f.t === 'chat' && f.operator !== 'amy' && f.conversation === offered.conversation,
    )
    t.not(moved.operator, 'amy', 'not accepted in time: offered to the next operator')
    zed.send({ t: 'accept', conversation: offered.conversation })
    t.match(
      await v.client.next((f) => f.t === 'chat' && f.operator === 'zed' && f.accepted === true),
      { state: 'assigned' },
      'accepted',
    )
    amy.send({ t: 'accept', conversation: offered.conversation })
    t.match(await amy.next('error'), { code: 'conflict' })
    await Promise.all([ann, amy, zed].map((c) => c.close()))
    await until(
      'team offline again',
      () => n.node.hub.get('shop', v.welcome.visitor)?.facts.get('team.online') === false,
    )
    await v.client.close()
  })
})

t.test('a visitor that stops reading is closed with 4010, not buffered forever', async (t) => {
  const n = await startNode({
    BECKON_MAX_BACKPRESSURE_BYTES: '65536',
    BECKON_EVENTS_PER_SECOND: '100000',
    BECKON_EVENTS_BURST: '100000',
  })
  t.teardown(() => n.stop())
  await n.site()
  const op = await operator(n, { id: 'ann' })
  const { client, welcome } = await n.visitor()
  await op.next(about(welcome.visitor))
  op.send({ t: 'invite', visitor: welcome.visitor, text: 'hi', startChat: true })
  const chat = await client.next('chat')
  const socket = (client.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket
  socket.pause()
  const text = 'x'.repeat(3900)
  let sent = 0
  const closedCount = async () =>
    Number(
      /beckon_closes_total\{code="4010"[^}]*\} (\d+)/.exec(await (await fetch(`${n.base}/metrics`)).text())?.[1] ?? 0,
    )
  while ((await closedCount()) === 0) {
    for (let i = 0; i < 200; i++) op.send({ t: 'msg', conversation: chat.conversation, text })
    sent += 200
    await op.next((f) => f.t === 'msg' && f.from === 'operator' && f.id === `${chat.conversation}-${sent + 1}`, 30_000)
    if (sent > 20_000) throw new Error('never closed')
  }
  socket.resume()
  t.match(await client.closed, { code: CLOSE_CODE.backpressure })
  t.ok(op.ws.readyState === op.ws.OPEN, 'the operator is unaffected')
  await op.close()
})
