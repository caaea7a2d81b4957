import t, { type Test } from 'tap'
import { signOperatorToken } from '../src/operator/operator_token.js'
import { startTwoNodes } from './support/test_cluster.js'
import { startNode, type TestNode } from './support/test_node.js'
import { TestClient, type Frame } from './support/test_client.js'
import { until } from './support/until.js'

async function operator(n: TestNode, id: string, opts: { perms?: string[]; departments?: string[] } = {}) {
  const site = n.node.sites.get('shop')
  if (!site) throw new Error('no site')
  const client = await TestClient.connect(`${n.ws}/v1/operator`)
  client.send({ t: 'auth', token: await signOperatorToken(site, { id, name: id, ...opts }) })
  await client.next('ready')
  client.send({ t: 'watch', site: 'shop' })
  await client.next('visitors')
  return client
}

const chatOf =
  (conversation: string, match: Record<string, unknown> = {}) =>
  (f: Frame) =>
    f.t === 'chat' && f.conversation === conversation && Object.entries(match).every(([k, v]) => f[k] === v)

/**
 * Ownership rules, run on one node and across two (the operators on different nodes):
 * `a` hosts the visitor and ann; `b` hosts bob, cat (takeover_chats) and dan (sales only).
 */
function ownership(t: Test, nodes: () => { a: TestNode; b: TestNode }) {
  t.test('only the assignee may reply, close or start an invitation into an accepted chat', async (t) => {
    const { a, b } = nodes()
    const ann = await operator(a, 'ann')
    const bob = await operator(b, 'bob')
    const cat = await operator(b, 'cat', { perms: ['takeover_chats'] })
    t.teardown(() => Promise.all([ann.close(), bob.close(), cat.close()]))
    await until('team online on a', () => a.node.presence.online('shop').length === 3)
    const { client, welcome } = await a.visitor()
    t.teardown(() => client.close())
    await until('visitor listed on b', () => b.node.directory.get('shop', welcome.visitor))

    ann.send({ t: 'invite', visitor: welcome.visitor, text: 'Hi, Ann here', startChat: true })
    const started = await ann.next((f) => f.t === 'chat' && f.operator === 'ann' && f.accepted === true)
    const conversation = started.conversation as string
    await bob.next(chatOf(conversation, { operator: 'ann' }))

    bob.send({ t: 'msg', conversation, text: 'me too', ref: 'bob-1' })
    t.match(await bob.next('error'), { code: 'forbidden', ref: 'bob-1', message: /takeover_chats/ })
    bob.send({ t: 'close', conversation })
    t.match(await bob.next('error'), { code: 'forbidden', ref: 'close' })
    bob.send({ t: 'invite', visitor: welcome.visitor, text: 'psst', startChat: true })
    t.match(await bob.next('error'), { code: 'forbidden', ref: 'invite' })
    bob.send({ t: 'transfer', conversation, to: { operator: 'bob' } })
    t.match(await bob.next('error'), { code: 'forbidden', ref: 'transfer' })

    // Nothing of bob's reached the visitor; ann's chat is untouched.
    ann.send({ t: 'msg', conversation, text: 'still me', ref: 'ann-1' })
    t.match(await client.next((f) => f.t === 'msg' && f.text === 'still me'), { operator: 'ann', ref: 'ann-1' })
    t.notOk(
      client.frames.some((f) => f.t === 'msg' && (f.text === 'me too' || f.text === 'psst')),
      'refused frames sent nothing',
    )

    // takeover_chats: replying takes the chat over, and ann is told.
    cat.send({ t: 'msg', conversation, text: 'Cat takes it from here' })
    await client.next((f) => f.t === 'msg' && f.text === 'Cat takes it from here')
    await ann.next(chatOf(conversation, { operator: 'cat', accepted: true }))
    ann.send({ t: 'close', conversation })
    t.match(await ann.next('error'), { code: 'forbidden', ref: 'close' }, 'the former assignee is now refused')
    cat.send({ t: 'close', conversation })
    await client.next(chatOf(conversation, { state: 'closed' }))
  })

  t.test('transfer to an operator: offered to the target with the thread, errors named', async (t) => {
    const { a, b } = nodes()
    const ann = await operator(a, 'ann', { departments: ['support'] })
    const bob = await operator(b, 'bob', { departments: ['support'] })
    const dan = await operator(b, 'dan', { departments: ['sales'] })
    t.teardown(() => Promise.all([ann.close(), bob.close(), dan.close()]))
    await until('team online on a', () => a.node.presence.online('shop').length === 3)
    const { client, welcome } = await a.visitor({ context: { department: 'support' } })
    t.teardown(() => client.close())
    await until('visitor listed on b', () => b.node.directory.get('shop', welcome.visitor))

    ann.send({ t: 'invite', visitor: welcome.visitor, text: 'Support here', startChat: true })
    const conversation = (await ann.next((f) => f.t === 'chat' && f.accepted === true)).conversation as string
    client.send({ t: 'msg', text: 'my printer is on fire' })
    await ann.next((f) => f.t === 'msg' && f.text === 'my printer is on fire')

    ann.send({ t: 'transfer', conversation, to: { operator: 'ann' } })
    t.match(await ann.next('error'), { code: 'conflict', ref: 'transfer' })
    ann.send({ t: 'transfer', conversation, to: { operator: 'nobody' } })
    t.match(await ann.next('error'), { code: 'not_found', ref: 'transfer', message: /not online/ })
    ann.send({ t: 'transfer', conversation, to: { operator: 'dan' } })
    t.match(await ann.next('error'), { code: 'forbidden', ref: 'transfer' }, 'dan may not see support chats')
    ann.send({ t: 'transfer', conversation, to: { department: 'legal' } })
    t.match(await ann.next('error'), { code: 'not_found', ref: 'transfer' })
    ann.send({ t: 'transfer', conversation, to: { somebody: 'x' } })
    t.match(await ann.next('error'), { code: 'bad_frame', ref: 'transfer' })

    ann.send({ t: 'transfer', conversation, to: { operator: 'bob' } })
    t.match(await bob.next(chatOf(conversation, { operator: 'bob' })), {
      state: 'assigned',
      accepted: false,
      transferredBy: 'ann',
    })
    t.match(
      await bob.next((f) => f.t === 'msg' && f.conversation === conversation && f.text === 'Support here'),
      { from: 'operator', operator: 'ann' },
      'the target gets the thread so far',
    )
    await bob.next((f) => f.t === 'msg' && f.text === 'my printer is on fire')
    await ann.next(chatOf(conversation, { operator: 'bob' }))
    ann.send({ t: 'msg', conversation, text: 'one more thing' })
    await client.next((f) => f.t === 'msg' && f.text === 'one more thing')
    await bob.next(chatOf(conversation, { operator: 'ann', accepted: true }))
    t.pass('until bob accepts, the chat is an offer: ann may still pick it back up')

    ann.send({ t: 'transfer', conversation, to: { operator: 'bob' } })
    await bob.next(chatOf(conversation, { operator: 'bob', transferredBy: 'ann' }))
    bob.send({ t: 'accept', conversation })
    const accepted = await client.next(chatOf(conversation, { operator: 'bob', accepted: true }))
    t.notOk('transferredBy' in accepted, 'accepted: no longer a pending transfer')
    ann.send({ t: 'msg', conversation, text: 'me again' })
    t.match(await ann.next('error'), { code: 'forbidden', ref: 'msg' }, 'after the transfer ann is refused')
    bob.send({ t: 'close', conversation })
    await client.next(chatOf(conversation, { state: 'closed' }))
  })

  t.test('transfer to a department: offered to its online operators, never back to the sender', async (t) => {
    const { a, b } = nodes()
    const ann = await operator(a, 'ann', { departments: ['support'] })
    const dan = await operator(b, 'dan', { departments: ['sales'] })
    t.teardown(() => Promise.all([ann.close(), dan.close()]))
    await until('team online on a', () => a.node.presence.online('shop').length === 2)
    const { client, welcome } = await a.visitor({ context: { department: 'support' } })
    t.teardown(() => client.close())
    await until('visitor listed on b', () => b.node.directory.get('shop', welcome.visitor))
    ann.send({ t: 'invite', visitor: welcome.visitor, text: 'Support here', startChat: true })
    const conversation = (await ann.next((f) => f.t === 'chat' && f.accepted === true)).conversation as string

    ann.send({ t: 'transfer', conversation, to: { department: 'sales' } })
    const offered = await dan.next(chatOf(conversation, { operator: 'dan' }))
    t.match(offered, { state: 'assigned', accepted: false, transferredBy: 'ann' })
    await dan.next((f) => f.t === 'msg' && f.text === 'Support here')
    await ann.next(chatOf(conversation, { state: 'open' }))
    t.pass('the sender is told the chat left it, though it cannot see sales chats')
    t.match(await client.next(chatOf(conversation, { operator: 'dan' })), { state: 'assigned' })
    dan.send({ t: 'msg', conversation, text: 'Sales here' })
    await client.next((f) => f.t === 'msg' && f.text === 'Sales here')
    dan.send({ t: 'close', conversation })
    await client.next(chatOf(conversation, { state: 'closed' }))
  })
}

t.test('chat ownership on one node', async (t) => {
  const n = await startNode({ BECKON_FEED_INTERVAL_MS: '20', BECKON_LINGER_SECONDS: '0' })
  t.teardown(() => n.stop())
  await n.site()
  ownership(t, () => ({ a: n, b: n }))
})

t.test('chat ownership across two nodes on one nats-server', async (t) => {
  const { a, b } = await startTwoNodes(t, 'own')
  await a.site()
  await until('site on b', () => b.node.sites.get('shop'))
  ownership(t, () => ({ a, b }))
})
