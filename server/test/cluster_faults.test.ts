import t from 'tap'
import { SignJWT } from 'jose'
import { adminRequest as admin, startProcessPair, visitorTab } from './support/node_process.js'
import { SITE_SECRET } from './support/test_node.js'
import { TestClient } from './support/test_client.js'

t.test('kill -9 a node while visitors and operators chat', async (t) => {
  const { x, y } = await startProcessPair(t, { BECKON_FEED_INTERVAL_MS: '20' })
  const created = await admin(x, 'PUT', '/v1/sites/shop/campaigns/offer', {
    name: 'Offer',
    frequency: 'once_per_visitor',
    when: { field: 'page.url', op: 'contains', value: '/offer' },
    message: { text: 'A deal for you', startChat: false },
  })
  t.equal(created.status, 201)
  while ((await admin(y, 'GET', '/v1/sites/shop/campaigns/offer')).status !== 200)
    await new Promise((r) => setTimeout(r, 20))

  const token = await new SignJWT({ site: 'shop', departments: [], perms: [] })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('ann')
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(SITE_SECRET))
  const op = await TestClient.connect(`${y.ws}/v1/operator`)
  op.send({ t: 'auth', token })
  await op.next('ready')
  op.send({ t: 'watch', site: 'shop' })
  await op.next('visitors')

  const first = await visitorTab(x, {})
  t.match(await first.client.next('invite'), { campaign: 'offer' })
  await op.next((f) => f.t === 'visitor' && f.id === first.welcome.visitor)
  op.send({ t: 'invite', visitor: first.welcome.visitor, text: 'o1', startChat: true })
  const chat = await first.client.next('chat')
  await first.client.next((f) => f.t === 'msg' && f.text === 'o1')
  first.client.send({ t: 'msg', text: 'v1' })
  await op.next((f) => f.t === 'msg' && f.text === 'v1')

  await x.kill('SIGKILL')
  t.not((await first.client.closed).code, 1000, 'the socket died with its node')
  op.send({ t: 'msg', conversation: chat.conversation, text: 'o2' })
  await op.next((f) => f.t === 'msg' && f.text === 'o2')

  const again = await visitorTab(y, { token: first.welcome.token, reconnect: true })
  t.equal(again.welcome.visitor, first.welcome.visitor, 'resumed as the same visitor on the other node')
  t.equal(again.welcome.resumed, true)
  t.match(await again.client.next('chat'), { conversation: chat.conversation })
  const replayed: string[] = []
  for (let i = 0; i < 3; i++) replayed.push((await again.client.next('msg')).text as string)
  t.same(replayed, ['o1', 'v1', 'o2'], 'no chat message lost, the one sent during the outage included')
  again.client.send({ t: 'page', url: 'https://shop.example/offer?again=1', title: 'Offer' })
  again.client.send({ t: 'nope' })
  await again.client.next('error')
  t.notOk(
    again.client.frames.some((f) => f.t === 'invite'),
    'the once-per-visitor invitation is not repeated',
  )
  again.client.send({ t: 'msg', text: 'v2' })
  t.match(await op.next((f) => f.t === 'msg' && f.text === 'v2'), { conversation: chat.conversation })
  await Promise.all([again.client.close(), op.close()])
})
