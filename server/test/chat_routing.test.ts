import t from 'tap'
import { startTwoNodes } from './support/test_cluster.js'
import { startNode, type TestNode } from './support/test_node.js'
import { connectOperator } from './support/test_operator.js'
import { operatorRequest } from './support/operator_request.js'
import type { Frame, TestClient } from './support/test_client.js'
import { until } from './support/until.js'

const SETTINGS = '/v1/sites/shop/operators/me/settings'

/** Saves `id`'s own settings with its token; throws when refused. */
async function settle(n: TestNode, id: string, patch: Record<string, unknown>): Promise<void> {
  const res = await operatorRequest(n, 'PATCH', SETTINGS, { id }, patch)
  if (res.status !== 200) throw new Error(`settings refused: ${JSON.stringify(res.body)}`)
}

/** A visitor who writes: its conversation id, once the chat frame arrives. */
async function chatter(n: TestNode, text: string): Promise<{ client: TestClient; conversation: string; chat: Frame }> {
  const { client } = await n.visitor()
  client.send({ t: 'msg', text })
  const chat = await client.next('chat')
  return { client, conversation: chat.conversation as string, chat }
}

const stateOf = (conversation: string) => (f: Frame) => f.t === 'chat' && f.conversation === conversation
/** The chat frame that assigns (offers or gives) `conversation` to somebody. */
const assigned = (conversation: string) => (f: Frame) => stateOf(conversation)(f) && f.state === 'assigned'

t.test('operator settings: own route, validated, durable across a restart', async (t) => {
  const n = await startNode()
  await n.site()
  const get = await operatorRequest(n, 'GET', SETTINGS, { id: 'ann' })
  t.strictSame(get, {
    status: 200,
    body: { operator: 'ann', maxChats: 5, autoAccept: false, maxChatsLimit: 20 },
  })
  const refused: Array<[Record<string, unknown>, string]> = [
    [{ avatar: 'javascript:alert(1)' }, 'avatar'],
    [{ avatar: 'http://cdn.example/ann.png' }, 'avatar'],
    [{ maxChats: 0 }, 'maxChats'],
    [{ maxChats: 21 }, 'maxChats'],
    [{ maxChats: 2.5 }, 'maxChats'],
    [{ displayName: '   ' }, 'displayName'],
    [{ displayName: 'x'.repeat(65) }, 'displayName'],
    [{ autoAccept: 'yes' }, 'autoAccept'],
    [{ colour: 'red' }, ''],
  ]
  for (const [body, path] of refused) {
    const res = await operatorRequest(n, 'PATCH', SETTINGS, { id: 'ann' }, body)
    t.match(res, { status: 400, body: { error: { code: 'invalid_operator_settings', path } } }, JSON.stringify(body))
  }
  t.match(await n.admin('GET', SETTINGS), { status: 400, body: { error: { code: 'not_an_operator' } } })

  const saved = await operatorRequest(
    n,
    'PATCH',
    SETTINGS,
    { id: 'ann@shop.example' },
    { displayName: '  Anna Berg ', avatar: '/img/anna.png', maxChats: 3, autoAccept: true },
  )
  t.strictSame(saved.body, {
    operator: 'ann@shop.example',
    maxChats: 3,
    autoAccept: true,
    displayName: 'Anna Berg',
    avatar: '/img/anna.png',
    maxChatsLimit: 20,
  })
  t.match(
    (await operatorRequest(n, 'PATCH', SETTINGS, { id: 'ann@shop.example' }, { avatar: null })).body,
    { displayName: 'Anna Berg', maxChats: 3 },
    'null clears one field, the others stay',
  )
  await n.node.stop()
  const again = await startNode({}, n.dataDir)
  t.teardown(() => again.stop())
  const after = await operatorRequest(again, 'GET', SETTINGS, { id: 'ann@shop.example' })
  t.strictSame(after.body, {
    operator: 'ann@shop.example',
    maxChats: 3,
    autoAccept: true,
    displayName: 'Anna Berg',
    maxChatsLimit: 20,
  })
})

t.test('routing on one node', async (t) => {
  const n = await startNode()
  t.teardown(() => n.stop())
  await n.site()

  t.test('only free slots, fewest chats first; a full team queues the chat until a slot frees', async (t) => {
    await settle(n, 'ann', { maxChats: 1 })
    await settle(n, 'bob', { maxChats: 2 })
    const ann = await connectOperator(n, 'ann', { watch: false })
    const bob = await connectOperator(n, 'bob', { watch: false })
    const watcher = await n.visitor()
    t.teardown(() => Promise.all([ann.close(), bob.close(), watcher.client.close()]))
    await until('team online', () => n.node.presence.online('shop').length === 2)
    await until(
      'widget told: available',
      () => watcher.welcome.team.available || watcher.client.frames.some((f) => f.t === 'team' && f.available),
    )

    const v1 = await chatter(n, 'one')
    t.match(await ann.next(assigned(v1.conversation)), { operator: 'ann', accepted: false }, 'ties go by id')
    const v2 = await chatter(n, 'two')
    t.match(await bob.next(assigned(v2.conversation)), { operator: 'bob' }, 'ann is full (1 of 1)')
    const v3 = await chatter(n, 'three')
    t.match(await bob.next(assigned(v3.conversation)), { operator: 'bob' }, 'bob has a slot left (1 of 2)')
    t.match(
      await watcher.client.next((f) => f.t === 'team' && f.available === false),
      { online: true },
      'the widget hears that nobody has a free slot',
    )
    const v4 = await chatter(n, 'four')
    const waiting = await n.visitor()
    t.teardown(() => Promise.all([v1, v2, v3, v4].map((v) => v.client.close())).then(() => waiting.client.close()))
    t.strictSame(waiting.welcome.team, { online: true, available: false }, 'a new tab is told too')
    t.equal(n.node.hub.get('shop', waiting.welcome.visitor)?.facts.get('team.available'), false, 'campaign field')
    t.match(v4.chat, { state: 'open' }, 'nobody has a slot: it waits')
    t.notOk(
      [...ann.frames, ...bob.frames].some((f) => f.t === 'chat' && f.conversation === v4.conversation && f.operator),
      'offered to nobody',
    )

    ann.send({ t: 'accept', conversation: v1.conversation })
    await ann.next((f) => stateOf(v1.conversation)(f) && f.accepted === true)
    ann.send({ t: 'close', conversation: v1.conversation })
    t.match(
      await ann.next((f) => stateOf(v4.conversation)(f) && f.operator === 'ann'),
      { state: 'assigned', accepted: false },
      'the freed slot takes the waiting chat',
    )
    for (const [op, v] of [
      [bob, v2],
      [bob, v3],
      [ann, v4],
    ] as const) {
      op.send({ t: 'accept', conversation: v.conversation })
      await op.next((f) => stateOf(v.conversation)(f) && f.accepted === true)
      op.send({ t: 'close', conversation: v.conversation })
      await op.next((f) => stateOf(v.conversation)(f) && f.state === 'closed')
    }
  })

  t.test('equal load: the operator waiting longest since its last chat goes first', async (t) => {
    await settle(n, 'cat', { maxChats: 5 })
    await settle(n, 'dan', { maxChats: 5 })
    const cat = await connectOperator(n, 'cat', { watch: false })
    const dan = await connectOperator(n, 'dan', { watch: false })
    t.teardown(() => Promise.all([cat.close(), dan.close()]))
    await until('team online', () => n.node.presence.online('shop').length === 2)
    const v1 = await chatter(n, 'first')
    await cat.next((f) => stateOf(v1.conversation)(f) && f.operator === 'cat')
    const v2 = await chatter(n, 'second')
    await dan.next((f) => stateOf(v2.conversation)(f) && f.operator === 'dan')
    // Both hold one; cat got its chat earlier.
    const v3 = await chatter(n, 'third')
    t.match(await cat.next(assigned(v3.conversation)), { operator: 'cat' })
    const v4 = await chatter(n, 'fourth')
    t.match(await dan.next(assigned(v4.conversation)), { operator: 'dan' })
    await Promise.all([v1, v2, v3, v4].map((v) => v.client.close()))
  })

  t.test('auto-accept takes the chat at once; visitors see the display name and avatar', async (t) => {
    await settle(n, 'eve', { autoAccept: true, displayName: 'Eve Adams', avatar: 'https://cdn.example/eve.png' })
    const eve = await connectOperator(n, 'eve', { watch: false })
    t.teardown(() => eve.close())
    await until('eve online', () => n.node.presence.online('shop').length === 1)
    const { client } = await n.visitor()
    t.teardown(() => client.close())
    client.send({ t: 'msg', text: 'hello?' })
    const chat = await client.next((f) => f.t === 'chat' && f.operator === 'eve')
    t.match(chat, { state: 'assigned', accepted: true, operatorName: 'Eve Adams' })
    t.equal(chat.operatorAvatar, 'https://cdn.example/eve.png')
    const onConsole = await eve.next(assigned(chat.conversation as string))
    t.equal(onConsole.accepted, true, 'accepted without an accept frame')
    t.notOk('operatorName' in onConsole, 'consoles name operators from the operators frame')
    eve.send({ t: 'msg', conversation: chat.conversation, text: 'Eve here' })
    t.match(await client.next((f) => f.t === 'msg' && f.from === 'operator'), {
      operator: 'eve',
      operatorName: 'Eve Adams',
      text: 'Eve here',
    })
    const roster = await eve.next(
      (f) =>
        f.t === 'operators' && (f.list as Array<{ id: string; chats: number }>).some((m) => m.id === 'eve' && m.chats),
    )
    t.match(
      (roster.list as Array<{ id: string }>).find((m) => m.id === 'eve'),
      { displayName: 'Eve Adams', maxChats: 5, chats: 1 },
      'colleagues see the name and the load',
    )
    eve.send({ t: 'close', conversation: chat.conversation })
    await eve.next((f) => f.t === 'chat' && f.state === 'closed')
  })

  t.test('team frames never read a half-updated team (capacity and presence agree)', async (t) => {
    await until('nobody online', () => n.node.presence.online('shop').length === 0)
    const { client, welcome } = await n.visitor()
    t.teardown(() => client.close())
    t.strictSame(welcome.team, { online: false, available: false })
    const before = client.frames.length
    const fay = await connectOperator(n, 'fay', { watch: false })
    t.teardown(() => fay.close())
    t.strictSame(await client.next('team'), { t: 'team', online: true, available: true })
    await fay.close()
    t.strictSame(await client.next('team'), { t: 'team', online: false, available: false })
    const teams = client.frames.slice(before).filter((f) => f.t === 'team')
    t.notOk(
      teams.some((f) => f.available && !f.online),
      'no frame claims a free slot with nobody online',
    )
  })

  t.test('a chat that waited goes, with its thread, to an operator who comes online', async (t) => {
    await until('nobody online', () => n.node.presence.online('shop').length === 0)
    const v = await chatter(n, 'is anybody there?')
    t.teardown(() => v.client.close())
    t.match(v.chat, { state: 'open' })
    const gus = await connectOperator(n, 'gus', { watch: false })
    t.teardown(() => gus.close())
    t.match(await gus.next(assigned(v.conversation)), { operator: 'gus', accepted: false })
    t.match(
      await gus.next((f) => f.t === 'msg' && f.conversation === v.conversation),
      { from: 'visitor', text: 'is anybody there?' },
      'the thread so far',
    )
  })
})

t.test('a tab welcomed inside a team-notify interval hears the state that interval ends with', async (t) => {
  // The flapping operator inside one long interval: the first tab was sent "available", the
  // second was welcomed "offline"; the interval ends "available" again, news to the second tab.
  const n = await startNode({ BECKON_TEAM_NOTIFY_MS: '5000' })
  t.teardown(() => n.stop())
  await n.site()
  const first = await n.visitor()
  t.teardown(() => first.client.close())
  const hal = await connectOperator(n, 'hal', { watch: false })
  t.match(await first.client.next('team'), { online: true, available: true })
  await hal.close()
  await until('hal gone', () => n.node.presence.online('shop').length === 0)
  const second = await n.visitor()
  t.teardown(() => second.client.close())
  t.strictSame(second.welcome.team, { online: false, available: false })
  const back = await connectOperator(n, 'hal', { watch: false })
  t.teardown(() => back.close())
  t.strictSame(await second.client.next('team'), { t: 'team', online: true, available: true })
})

t.test('across two nodes on a real nats-server', async (t) => {
  const { a, b } = await startTwoNodes(t, 'route', { BECKON_TEAM_NOTIFY_MS: '50' })
  await a.site()
  await until('site on b', () => b.node.sites.get('shop'))
  await settle(a, 'ann', { maxChats: 1, displayName: 'Ann on A' })
  await settle(b, 'bob', { maxChats: 1 })
  const ann = await connectOperator(a, 'ann', { watch: false })
  const bob = await connectOperator(b, 'bob', { watch: false })
  t.teardown(() => Promise.all([ann.close(), bob.close()]))
  await until('team on a', () => a.node.presence.online('shop').length === 2)
  await until('team on b', () => b.node.presence.online('shop').length === 2)
  await bob.next((f) => f.t === 'operators' && JSON.stringify(f.list).includes('Ann on A'))

  const v1 = await chatter(a, 'one')
  const v2 = await chatter(b, 'two')
  const holders = new Set<unknown>()
  for (const v of [v1, v2]) {
    const offered = await v.client.next((f) => f.t === 'chat' && f.operator !== undefined)
    holders.add(offered.operator)
  }
  t.strictSame([...holders].sort(), ['ann', 'bob'], 'one chat each: both were full after one')
  const watcher = await b.visitor()
  t.strictSame(watcher.welcome.team, { online: true, available: false }, 'b counts a’s chats too')
  const v3 = await chatter(b, 'three')
  t.teardown(() => Promise.all([v1, v2, v3, watcher].map((v) => v.client.close())))
  t.match(v3.chat, { state: 'open' })

  // ann, on a, raises its limit through b: the waiting chat goes to ann.
  await settle(b, 'ann', { maxChats: 2 })
  t.match(
    await ann.next((f) => stateOf(v3.conversation)(f) && f.operator === 'ann'),
    { state: 'assigned' },
    'the waiting chat is offered once a slot opens elsewhere',
  )
  t.match(await v3.client.next((f) => f.t === 'chat' && f.operator === 'ann'), { operatorName: 'Ann on A' })
  t.match(await bob.next((f) => f.t === 'operators' && JSON.stringify(f.list).includes('"chats":2')), {
    list: [
      { id: 'ann', chats: 2, maxChats: 2 },
      { id: 'bob', chats: 1, maxChats: 1 },
    ],
  })
})
