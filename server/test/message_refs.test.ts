import t from 'tap'
import { signOperatorToken } from '../src/operator/operator_token.js'
import { startNode } from './support/test_node.js'
import { TestClient, type Frame } from './support/test_client.js'

t.test('every refused chat message names its ref; accepted ones are stored once, in order', async (t) => {
  const n = await startNode({ BECKON_EVENTS_BURST: '40', BECKON_EVENTS_PER_SECOND: '20', BECKON_MAX_VIOLATIONS: '100' })
  t.teardown(() => n.stop())
  await n.site()

  t.test('visitor: a burst past the rate limit', async (t) => {
    const { client, welcome } = await n.visitor()
    t.teardown(() => client.close())
    t.same(welcome.limits, { eventsPerSecond: 20, eventsBurst: 40 }, 'the welcome tells the client its budget')
    const refs = Array.from({ length: 50 }, (_, i) => `m${i}`)
    for (const ref of refs) client.send({ t: 'msg', text: `message ${ref}`, ref })
    const stored: string[] = []
    const refused: string[] = []
    while (stored.length + refused.length < refs.length) {
      const f = await client.next((f: Frame) => f.t === 'msg' || f.t === 'error')
      if (f.t === 'error') {
        t.equal(f.code, 'rate_limited')
        refused.push(f.ref as string)
      } else {
        t.equal(f.text, `message ${f.ref}`)
        stored.push(f.ref as string)
      }
    }
    t.ok(refused.length > 0, 'the burst was cut')
    t.same([...stored, ...refused].sort(), [...refs].sort(), 'each message either stored or refused by its ref')
    // The bucket refills as frames arrive, so refusals need not be a suffix; what is stored keeps send order.
    const accepted = new Set(stored)
    t.same(
      stored,
      refs.filter((r) => accepted.has(r)),
      'stored in the order sent (one conversation, no race)',
    )
    t.notOk(
      client.frames.some((f) => f.t === 'error'),
      'no other errors (no "conversation is being opened")',
    )

    // A frame without ref is refused naming its type; a malformed ref is a bad frame.
    client.send({ t: 'msg', text: 'x', ref: 'not a valid ref!' })
    t.match(await client.next('error'), { code: 'bad_frame', ref: 'msg' })
  })

  t.test('operator: a refused msg names its ref', async (t) => {
    const site = n.node.sites.get('shop')
    if (!site) throw new Error('no site')
    const op = await TestClient.connect(`${n.ws}/v1/operator`)
    t.teardown(() => op.close())
    op.send({ t: 'auth', token: await signOperatorToken(site, { id: 'ann' }) })
    await op.next('ready')
    op.send({ t: 'msg', conversation: 'c-unknown', text: 'hello?', ref: 'op-1' })
    t.match(await op.next('error'), { code: 'not_found', ref: 'op-1' })
    op.send({ t: 'msg', conversation: 'c-unknown', text: 'hello?' })
    t.match(await op.next('error'), { code: 'not_found', ref: 'msg' })
  })
})
