import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import type { OutboxRecord } from '../src/webhook/webhook_outbox.js'
import { retryDelay } from '../src/webhook/webhook_dispatcher.js'
import { verifyWebhook } from '../src/webhook/webhook_signature.js'
import { startNatsServer } from './support/nats_server.js'
import { startNode, type TestNode } from './support/test_node.js'
import { connectOperator } from './support/test_operator.js'
import { until } from './support/until.js'
import { signatureValid, WebhookReceiver } from './support/webhook_receiver.js'

const HOOK_SECRET = 'hook-secret-0123456789'
const FAST = { BECKON_WEBHOOK_BASE_DELAY_MS: '40', BECKON_WEBHOOK_POLL_MS: '20' }

const outbox = (n: TestNode) => n.node.store.list<OutboxRecord>('outbox', '')

t.test('retry delays double from the base up to the cap', async (t) => {
  const config = { baseDelayMs: 1000, maxDelayMs: 5000 }
  t.strictSame(
    [1, 2, 3, 4, 5].map((n) => retryDelay(config, n)),
    [1000, 2000, 4000, 5000, 5000],
  )
})

t.test('a receiver that fails first gets the same signed event again until it answers 2xx', async (t) => {
  const receiver = await new WebhookReceiver((n) => (n < 2 ? 500 : 200)).listen()
  t.teardown(() => receiver.close())
  const n = await startNode(FAST)
  t.teardown(() => n.stop())
  await n.site('shop', { webhook: { url: receiver.url, secret: HOOK_SECRET } })

  const { client, welcome } = await n.visitor()
  t.teardown(() => client.close())
  client.send({ t: 'msg', text: 'hello?' })
  const chat = await client.next('chat')

  const [done] = await until(
    'chat.started accepted',
    () => receiver.accepted('chat.started').length === 1 && receiver.accepted('chat.started'),
  )
  const tries = receiver.deliveries.filter((d) => d.event.id === done?.event.id)
  t.strictSame(
    tries.map((d) => [d.status, d.headers['beckon-delivery-attempt']]),
    [
      [500, '1'],
      [500, '2'],
      [200, '3'],
    ],
    'two failures, then delivered on the third attempt',
  )
  for (const d of tries) {
    t.ok(signatureValid(HOOK_SECRET, d), 'HMAC-SHA256 over "<t>.<body>" matches')
    t.ok(verifyWebhook(HOOK_SECRET, d.body, String(d.headers['beckon-signature'])), 'verifyWebhook agrees')
    t.notOk(verifyWebhook('another-secret-123456', d.body, String(d.headers['beckon-signature'])), 'wrong secret fails')
    t.equal(d.headers['beckon-event'], 'chat.started')
    t.equal(d.headers['beckon-event-id'], d.event.id)
    t.equal(d.headers['content-type'], 'application/json')
  }
  t.match(done?.event, {
    id: /^evt_/,
    type: 'chat.started',
    site: 'shop',
    data: { conversation: { id: chat.conversation, visitor: welcome.visitor, state: 'open' } },
  })
  await until('outbox emptied', async () => (await outbox(n)).length === 0)
  t.notOk(verifyWebhook(HOOK_SECRET, `${done?.body} `, String(done?.headers['beckon-signature'])), 'changed body fails')
})

t.test('invitation and chat events carry what happened, chat.closed the transcript', async (t) => {
  const receiver = await new WebhookReceiver().listen()
  t.teardown(() => receiver.close())
  const n = await startNode(FAST)
  t.teardown(() => n.stop())
  await n.site('shop', { webhook: { url: receiver.url, secret: HOOK_SECRET } })
  const ann = await connectOperator(n, 'ann')
  t.teardown(() => ann.close())
  const { client, welcome } = await n.visitor()
  t.teardown(() => client.close())

  ann.send({ t: 'invite', visitor: welcome.visitor, text: 'Need help?', startChat: false })
  const invite = await client.next('invite')
  client.send({ t: 'inv', id: invite.id, action: 'shown' })
  client.send({ t: 'inv', id: invite.id, action: 'opened' })
  client.send({ t: 'inv', id: invite.id, action: 'opened' })
  client.send({ t: 'msg', text: 'yes please' })
  const chat = await ann.next((f) => f.t === 'chat' && f.state !== 'closed')
  const conversation = chat.conversation as string
  ann.send({ t: 'msg', conversation, text: 'Sure, what is it?' })
  await client.next((f) => f.t === 'msg' && f.from === 'operator')
  ann.send({ t: 'close', conversation })
  await client.next((f) => f.t === 'chat' && f.state === 'closed')

  await until('chat.closed delivered', () => receiver.accepted('chat.closed').length === 1)
  await until('outbox emptied', async () => (await outbox(n)).length === 0)
  t.match(receiver.accepted('invitation.sent'), [
    {
      event: {
        data: { invitation: { id: invite.id, operator: 'ann', text: 'Need help?' }, visitor: { id: welcome.visitor } },
      },
    },
  ])
  t.equal(receiver.accepted('invitation.opened').length, 1, 'opened once, though reported twice')
  t.match(receiver.accepted('invitation.opened')[0]?.event.data, { invitation: { id: invite.id } })
  t.match(receiver.accepted('chat.started')[0]?.event.data, { conversation: { id: conversation } })
  const closed = receiver.accepted('chat.closed')[0]?.event.data
  t.match(closed, { conversation: { id: conversation, state: 'closed', operator: 'ann' }, closedBy: 'ann' })
  t.match(closed.transcript, [
    { from: 'visitor', text: 'yes please' },
    { from: 'operator', operator: 'ann', text: 'Sure, what is it?' },
  ])
  t.equal(closed.transcript.length, 2)

  // A dismissed invitation is an event too.
  ann.send({ t: 'invite', visitor: welcome.visitor, text: 'Anything else?', startChat: false })
  const second = await client.next('invite')
  client.send({ t: 'inv', id: second.id, action: 'dismissed' })
  const [dismissed] = await until(
    'dismissed delivered',
    () => receiver.accepted('invitation.dismissed').length === 1 && receiver.accepted('invitation.dismissed'),
  )
  t.match(dismissed?.event.data, { invitation: { id: second.id }, visitor: { id: welcome.visitor } })
})

t.test('campaign invitations are reported with their campaign', async (t) => {
  const receiver = await new WebhookReceiver().listen()
  t.teardown(() => receiver.close())
  const n = await startNode(FAST)
  t.teardown(() => n.stop())
  await n.site('shop', { webhook: { url: receiver.url, secret: HOOK_SECRET } })
  const put = await n.admin('PUT', '/v1/sites/shop/campaigns/hello', { id: 'hello', message: { text: 'Hi there' } })
  t.equal(put.status, 201)
  const { client, welcome } = await n.visitor()
  t.teardown(() => client.close())
  const invite = await client.next('invite')
  client.send({ t: 'inv', id: invite.id, action: 'opened' })
  const [opened] = await until('opened delivered', () => {
    const got = receiver.accepted('invitation.opened')
    return got.length > 0 && got
  })
  t.match(opened?.event.data, { invitation: { id: invite.id, campaign: 'hello' }, visitor: { id: welcome.visitor } })
  await until('sent delivered', () => receiver.accepted('invitation.sent').length === 1)
  t.match(receiver.accepted('invitation.sent')[0]?.event.data, {
    invitation: { id: invite.id, campaign: 'hello', text: 'Hi there', startChat: false },
    visitor: { id: welcome.visitor },
  })
})

t.test('an event survives a node restart while the receiver is down', async (t) => {
  const receiver = await new WebhookReceiver().listen()
  const port = receiver.port
  await receiver.close() // down: connections are refused
  t.teardown(() => receiver.close())
  const dir = await mkdtemp(join(tmpdir(), 'beckon-hook-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  let n = await startNode(FAST, dir)
  await n.site('shop', { webhook: { url: `http://127.0.0.1:${port}/hook`, secret: HOOK_SECRET } })
  const { client } = await n.visitor()
  client.send({ t: 'msg', text: 'anyone?' })
  await client.next('chat')
  const [pending] = await until('a failed attempt recorded', async () => {
    const entries = await outbox(n)
    return entries.some((e) => e.value.attempts >= 1) && entries
  })
  await client.close()
  await n.stop()

  await receiver.listen(port)
  n = await startNode(FAST, dir)
  t.teardown(() => n.stop())
  const [delivered] = await until(
    'delivered after the restart',
    () => receiver.accepted().length === 1 && receiver.accepted(),
  )
  t.equal(delivered?.event.id, pending?.value.event.id, 'the stored event, same id')
  t.ok(Number(delivered?.headers['beckon-delivery-attempt']) >= 2, 'counts the attempts before the restart')
  await until('outbox emptied', async () => (await outbox(n)).length === 0)
})

t.test('two nodes on one nats-server: each event is delivered by one node, once', async (t) => {
  const nats = await startNatsServer()
  t.teardown(() => nats.close())
  const receiver = await new WebhookReceiver().listen()
  t.teardown(() => receiver.close())
  const env = { ...FAST, BECKON_NATS_URL: nats.url, BECKON_REFRESH_SECONDS: '1' }
  const a = await startNode({ ...env, BECKON_NODE_ID: 'node-a' })
  const b = await startNode({ ...env, BECKON_NODE_ID: 'node-b' })
  t.teardown(async () => {
    await a.stop()
    await b.stop()
  })
  await a.site('shop', { webhook: { url: receiver.url, secret: HOOK_SECRET } })
  await until('site on node b', () => b.node.sites.get('shop')?.webhook !== undefined)

  const chats: string[] = []
  for (const [i, n] of [a, b, a, b, a, b].entries()) {
    const { client } = await n.visitor()
    t.teardown(() => client.close())
    client.send({ t: 'msg', text: `visitor ${i}` })
    chats.push((await client.next('chat')).conversation as string)
  }
  await until('all delivered', () => receiver.accepted('chat.started').length >= chats.length)
  await until('outbox emptied', async () => (await outbox(a)).length === 0)
  const ids = receiver.deliveries.map((d) => d.event.id)
  t.equal(ids.length, chats.length, 'one delivery per event')
  t.equal(new Set(ids).size, chats.length, 'no event id twice')
  t.strictSame(
    receiver.deliveries.map((d) => d.event.data.conversation.id).sort(),
    [...chats].sort(),
    'one chat.started per conversation',
  )
})
