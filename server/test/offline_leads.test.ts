import t from 'tap'
import { startNode } from './support/test_node.js'
import { connectOperator } from './support/test_operator.js'
import { until } from './support/until.js'
import { WebhookReceiver } from './support/webhook_receiver.js'

const HOOK = { secret: 'hook-secret-0123456789' }

t.test('offline messages, leads and team availability', async (t) => {
  const receiver = await new WebhookReceiver().listen()
  t.teardown(() => receiver.close())
  const n = await startNode({ BECKON_WEBHOOK_POLL_MS: '20', BECKON_TEAM_NOTIFY_MS: '50', BECKON_REFRESH_SECONDS: '1' })
  t.teardown(() => n.stop())
  await n.site('shop', { webhook: { url: receiver.url, ...HOOK } })

  t.test('welcome tells whether the team is available; team frames follow changes', async (t) => {
    const { client, welcome } = await n.visitor()
    t.teardown(() => client.close())
    t.strictSame(welcome.team, { online: false, available: false })
    const ann = await connectOperator(n, 'ann', { watch: false })
    t.match(await client.next('team'), { online: true, available: true })
    const late = await n.visitor()
    t.teardown(() => late.client.close())
    t.strictSame(late.welcome.team, { online: true, available: true })
    await ann.close()
    t.match(await client.next('team'), { online: false, available: false })
  })

  t.test('an offline message becomes an offline conversation in the operators’ queue', async (t) => {
    const { client, welcome } = await n.visitor()
    t.teardown(() => client.close())
    client.send({ t: 'offline', text: 'no email' })
    t.match(await client.next('error'), { code: 'bad_frame' })
    client.send({ t: 'offline', name: 'Ann Lee', email: 'ann@example.com', text: 'Please call me back' })
    const ack = await client.next('offline')
    t.match(ack, { ok: true, conversation: /^c/ })

    const bob = await connectOperator(n, 'bob', { watch: false })
    t.teardown(() => bob.close())
    const queued = await bob.next((f) => f.t === 'chat' && f.conversation === ack.conversation)
    t.match(queued, {
      state: 'offline',
      visitor: welcome.visitor,
      contact: { name: 'Ann Lee', email: 'ann@example.com' },
    })
    t.match(await bob.next((f) => f.t === 'msg' && f.conversation === ack.conversation), {
      from: 'visitor',
      text: 'Please call me back',
    })
    bob.send({ t: 'accept', conversation: ack.conversation })
    t.match(await bob.next('error'), { code: 'conflict', message: /email/ })

    const [hook] = await until('offline_message delivered', () => {
      const got = receiver.accepted('offline_message')
      return got.length > 0 && got
    })
    t.match(hook?.event.data, {
      conversation: { id: ack.conversation, state: 'offline' },
      visitor: { id: welcome.visitor, name: 'Ann Lee', email: 'ann@example.com' },
      text: 'Please call me back',
    })
    const exported = await n.admin('GET', `/v1/sites/shop/visitors/${welcome.visitor}`)
    t.match(exported.body.profile, { name: 'Ann Lee', email: 'ann@example.com' }, 'name and email on the visitor')

    bob.send({ t: 'close', conversation: ack.conversation })
    await bob.next((f) => f.t === 'chat' && f.conversation === ack.conversation && f.state === 'closed')
    const cat = await connectOperator(n, 'cat', { watch: false })
    t.teardown(() => cat.close())
    client.send({ t: 'offline', email: 'second@example.com', text: 'another one' })
    const second = await client.next('offline')
    await cat.next((f) => f.t === 'chat' && f.conversation === second.conversation)
    t.notOk(
      cat.frames.some((f) => f.conversation === ack.conversation),
      'a closed offline message is not replayed',
    )
    t.notOk(
      client.frames.some((f) => f.t === 'chat' || f.t === 'msg'),
      'the visitor got no chat frames for its offline messages',
    )
  })

  t.test('contact from a collect form is a lead, confirmed and reported', async (t) => {
    const { client, welcome } = await n.visitor()
    t.teardown(() => client.close())
    client.send({ t: 'contact', name: 'Bo', email: 'bo@example.com' })
    t.strictSame(await client.next('contact'), { t: 'contact', ok: true })
    const [hook] = await until('lead.captured delivered', () => {
      const got = receiver.accepted('lead.captured')
      return got.length > 0 && got
    })
    t.match(hook?.event.data, {
      visitor: { id: welcome.visitor, name: 'Bo', email: 'bo@example.com' },
      lead: { name: 'Bo', email: 'bo@example.com' },
    })
    const exported = await until('lead stored', async () => {
      const res = await n.admin('GET', `/v1/sites/shop/visitors/${welcome.visitor}`)
      return res.status === 200 && res.body.profile?.lead && res.body
    })
    t.match(exported.profile, {
      email: 'bo@example.com',
      lead: { name: 'Bo', email: 'bo@example.com', capturedAt: Number },
    })
  })
})
