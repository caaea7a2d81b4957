import t from 'tap'
import { startTwoNodes } from './support/test_cluster.js'
import { settled, type Frame, type TestClient } from './support/test_client.js'
import { startNode } from './support/test_node.js'
import { connectOperator } from './support/test_operator.js'

const typingOf = (client: TestClient): Frame[] => client.frames.filter((f) => f.t === 'typing')

t.test('typing indicators on one node', async (t) => {
  const n = await startNode()
  t.teardown(() => n.stop())
  await n.site()

  t.test('a queued chat: every operator who may see it learns the visitor types', async (t) => {
    const { client, welcome } = await n.visitor()
    t.teardown(() => client.close())
    client.send({ t: 'typing', on: true })
    client.send({ t: 'msg', text: 'anyone there?' })
    const chat = await client.next('chat')
    t.equal(chat.state, 'open', 'nobody online: the chat waits in the queue')
    const cid = chat.conversation as string
    const ann = await connectOperator(n, 'q-ann', { watch: false })
    t.teardown(() => ann.close())
    client.send({ t: 'typing', on: true })
    t.strictSame(await ann.next('typing'), { t: 'typing', conversation: cid, on: true, visitor: welcome.visitor })
    t.equal(typingOf(ann).length, 0, 'the typing sent before the chat existed went nowhere')
  })

  t.test('an assigned chat: relayed both ways, to the assignee and to every tab only', async (t) => {
    const ann = await connectOperator(n, 'a-ann', { watch: false })
    const bob = await connectOperator(n, 'b-bob', { watch: false })
    t.teardown(() => Promise.all([ann.close(), bob.close()]))
    const tab1 = await n.visitor()
    const tab2 = await n.visitor({ token: tab1.welcome.token })
    t.teardown(() => Promise.all([tab1.client.close(), tab2.client.close()]))
    tab1.client.send({ t: 'msg', text: 'hello' })
    const offered = await ann.next((f) => f.t === 'chat' && f.state === 'assigned' && f.operator === 'a-ann')
    const cid = offered.conversation as string
    await tab1.client.next((f) => f.t === 'chat' && f.state === 'assigned')

    tab2.client.send({ t: 'typing', on: true })
    t.match(await ann.next('typing'), { conversation: cid, on: true, visitor: tab1.welcome.visitor })
    tab2.client.send({ t: 'typing', on: false })
    t.match(await ann.next('typing'), { conversation: cid, on: false })
    t.same(typingOf(bob), [], 'an operator the chat is not assigned to is not told')
    t.same(typingOf(tab1.client), [], 'the visitor’s own typing does not come back to its tabs')

    ann.send({ t: 'typing', conversation: cid, on: true })
    for (const tab of [tab1.client, tab2.client])
      t.strictSame(await tab.next('typing'), { t: 'typing', conversation: cid, on: true, operator: 'a-ann' })
    t.same(typingOf(ann), [], 'the operator’s own typing does not come back')

    bob.send({ t: 'typing', conversation: 'c-nope', on: true })
    t.match(await bob.next('error'), { code: 'not_found', ref: 'typing' })
    tab1.client.send({ t: 'typing', on: 'yes' })
    t.match(await tab1.client.next('error'), { code: 'bad_frame', ref: 'typing' })
  })

  t.test('more than one typing frame a second per socket is dropped, without error or strike', async (t) => {
    const ann = await connectOperator(n, 'a-ann', { watch: false })
    t.teardown(() => ann.close())
    const { client, welcome } = await n.visitor()
    t.teardown(() => client.close())
    client.send({ t: 'msg', text: 'first' })
    await ann.next((f) => f.t === 'chat' && f.visitor === welcome.visitor && f.state === 'assigned')
    for (let i = 0; i < 6; i++) client.send({ t: 'typing', on: i % 2 === 0 })
    client.send({ t: 'msg', text: 'after the burst' })
    await ann.next((f) => f.t === 'msg' && f.text === 'after the burst')
    t.same(
      typingOf(ann).map((f) => f.on),
      [true, false],
      'the burst of 2 (an on and its off) passes, the rest is dropped',
    )
    await settled(client)
    t.same(
      client.frames.filter((f) => f.t === 'error'),
      [],
      'no error for the dropped frames',
    )
  })
})

t.test('typing indicators cross nodes (real nats-server)', async (t) => {
  const { a, b } = await startTwoNodes(t, 'typing')
  await a.site()
  await b.site()
  const op = await connectOperator(b, 'x-ann', { watch: false })
  t.teardown(() => op.close())
  // The visitor's owner is A; its second tab's socket is on B and relayed to A.
  const onA = await a.visitor()
  const onB = await b.visitor({ token: onA.welcome.token })
  t.teardown(() => Promise.all([onA.client.close(), onB.client.close()]))
  onA.client.send({ t: 'msg', text: 'from node A' })
  const chat = await op.next((f) => f.t === 'chat' && f.state === 'assigned' && f.visitor === onA.welcome.visitor)
  const cid = chat.conversation as string
  await onB.client.next((f) => f.t === 'chat' && f.state === 'assigned')

  onB.client.send({ t: 'typing', on: true })
  t.match(await op.next('typing'), { conversation: cid, on: true, visitor: onA.welcome.visitor }, 'B tab → A owner → B')
  op.send({ t: 'typing', conversation: cid, on: true })
  t.match(await onA.client.next('typing'), { conversation: cid, on: true, operator: 'x-ann' }, 'B operator → A tab')
  t.match(await onB.client.next('typing'), { conversation: cid, on: true, operator: 'x-ann' }, 'B → A → B tab')
})
