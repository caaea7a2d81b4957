import t from 'tap'
import { randomBytes } from 'node:crypto'
import { pack } from 'msgpackr'
import { CLOSE_CODE, SUBPROTOCOL } from '../../shared/src/protocol.js'
import { ORIGIN, startNode } from './support/test_node.js'
import { TestClient } from './support/test_client.js'

t.test('upgrade admission', async (t) => {
  const n = await startNode({ BECKON_MAX_CONNECTIONS_PER_IP: '3' })
  t.teardown(() => n.stop())
  await n.site()
  const url = `${n.ws}/v1/visitor?site=shop`

  t.match(await TestClient.refusal(`${n.ws}/v1/visitor?site=nope`, { origin: ORIGIN }), {
    status: 404,
    body: /site_unknown/,
  })
  t.match(await TestClient.refusal(url, { origin: 'https://evil.example' }), { status: 403, body: /origin_forbidden/ })
  t.match(await TestClient.refusal(url, {}), { status: 403 }, 'no Origin is refused unless the site allows *')
  t.match(await TestClient.refusal(url, { origin: ORIGIN, subprotocol: 'beckon.v9' as never }), {
    status: 400,
    body: /subprotocol/,
  })

  const held = await Promise.all([1, 2, 3].map(() => TestClient.connect(url, { origin: ORIGIN })))
  t.match(await TestClient.refusal(url, { origin: ORIGIN }), { status: 429, body: /too_many_connections/ })
  await held[0]?.close()
  const again = await TestClient.connect(url, { origin: ORIGIN })
  t.pass('a slot frees when a socket closes')
  await Promise.all([again, ...held.slice(1)].map((c) => c?.close()))
})

t.test('protocol violations close with documented codes', async (t) => {
  const n = await startNode({ BECKON_MAX_FRAME_BYTES: '1024', BECKON_HELLO_TIMEOUT_MS: '300' })
  t.teardown(() => n.stop())
  await n.site()
  const open = (subprotocol: (typeof SUBPROTOCOL)[keyof typeof SUBPROTOCOL] = SUBPROTOCOL.json) =>
    TestClient.connect(`${n.ws}/v1/visitor?site=shop`, { origin: ORIGIN, subprotocol })

  let c = await open()
  c.sendRaw('{not json', false)
  t.match(await c.closed, { code: CLOSE_CODE.protocolError, reason: /JSON/ })

  c = await open()
  c.send({ t: 'page', url: 'https://shop.example/', title: '' })
  t.match(await c.closed, { code: CLOSE_CODE.protocolError, reason: /hello/ })

  c = await open()
  c.send({ t: 'hello', page: { title: 'no url' } })
  t.match(await c.closed, { code: CLOSE_CODE.protocolError, reason: /page\.url/ })

  c = await open()
  c.sendRaw(Buffer.from(JSON.stringify({ t: 'hello', page: { url: 'x', title: '' } })), true)
  t.match(await c.closed, { code: CLOSE_CODE.protocolError, reason: /text frames/ })

  c = await open(SUBPROTOCOL.msgpack)
  c.sendRaw(Buffer.from([0x92, 0x01]), true)
  t.match(await c.closed, { code: CLOSE_CODE.protocolError, reason: /msgpack/ }, 'truncated msgpack')

  c = await open(SUBPROTOCOL.msgpack)
  c.sendRaw(Buffer.concat([pack({ t: 'exit' }), pack({ t: 'exit' })]), true)
  t.match(await c.closed, { code: CLOSE_CODE.protocolError, reason: /one value/ }, 'two values in one frame')

  c = await open()
  c.sendRaw('x'.repeat(2000), false)
  t.equal((await c.closed).code, CLOSE_CODE.tooLarge)

  c = await open()
  t.match(await c.closed, { code: CLOSE_CODE.helloTimeout })
})

t.test('bad requests get error frames and the socket stays', async (t) => {
  const n = await startNode()
  t.teardown(() => n.stop())
  await n.site()
  const { client } = await n.visitor()
  const cases: Array<[unknown, string, RegExp]> = [
    [{ t: 'dance' }, 'unknown_type', /dance/],
    [{ t: 'page', url: 42, title: '' }, 'bad_frame', /url/],
    [{ t: 'widget', open: 'yes' }, 'bad_frame', /open/],
    [{ t: 'inv', id: 'x', action: 'eaten' }, 'bad_frame', /action/],
    [{ t: 'rate', value: 'meh' }, 'bad_frame', /value/],
    [[1, 2], 'bad_frame', /object/],
    ['hello', 'bad_frame', /object/],
    [{ t: 'hello', page: { url: 'https://shop.example/', title: '' } }, 'bad_frame', /already/],
    [{ t: 'page', url: 'x'.repeat(5000), title: '' }, 'bad_frame', /url/],
  ]
  for (const [frame, code, message] of cases) {
    client.send(frame as object)
    t.match(await client.next('error'), { code, message }, JSON.stringify(frame).slice(0, 60))
  }
  client.send({ t: 'page', url: 'https://shop.example/ok', title: 'ok' })
  client.send({ t: 'nope' })
  await client.next('error')
  t.equal(client.ws.readyState, client.ws.OPEN)
  await client.close()
})

t.test('flooding is rate limited, then closed', async (t) => {
  const n = await startNode({ BECKON_EVENTS_PER_SECOND: '5', BECKON_EVENTS_BURST: '5', BECKON_MAX_VIOLATIONS: '10' })
  t.teardown(() => n.stop())
  await n.site()
  const { client } = await n.visitor()
  for (let i = 0; i < 40; i++) client.send({ t: 'exit' })
  t.match(await client.next('error'), { code: 'rate_limited' })
  t.match(await client.closed, { code: CLOSE_CODE.policyViolation })
})

t.test('fuzz: thousands of malformed frames never hurt other sessions', async (t) => {
  const n = await startNode({
    BECKON_EVENTS_PER_SECOND: '100000',
    BECKON_EVENTS_BURST: '100000',
    BECKON_MAX_VIOLATIONS: '100000',
  })
  t.teardown(() => n.stop())
  await n.site()
  const good = await n.visitor({ context: { plan: 'gold' } })

  const types = [
    'hello',
    'page',
    'exit',
    'widget',
    'context',
    'inv',
    'msg',
    'rate',
    'identify',
    'contact',
    'x',
    '',
    '__proto__',
  ]
  const values = [
    null,
    true,
    0,
    -1,
    1e308,
    '',
    'x'.repeat(300),
    [],
    {},
    { __proto__: { polluted: 1 } },
    [{}],
    'https://a/b',
  ]
  const pick = <T>(xs: T[]): T => xs[Math.floor(Math.random() * xs.length)] as T
  const randomFrame = (): object => {
    const frame: Record<string, unknown> = { t: pick(types) }
    for (let i = 0; i < 4; i++)
      frame[pick(['url', 'title', 'open', 'data', 'id', 'action', 'text', 'value', 'user', 'page', 'constructor'])] =
        pick(values)
    return frame
  }
  let sent = 0
  const fuzzers = await Promise.all(
    [SUBPROTOCOL.json, SUBPROTOCOL.msgpack, SUBPROTOCOL.json, SUBPROTOCOL.msgpack].map((subprotocol) =>
      n.visitor({}, { subprotocol }).then((v) => v.client),
    ),
  )
  const closers: Promise<unknown>[] = []
  for (let round = 0; round < 40; round++) {
    for (const fuzzer of fuzzers) {
      if (fuzzer.ws.readyState !== fuzzer.ws.OPEN) continue
      for (let i = 0; i < 50; i++) {
        fuzzer.send(randomFrame())
        sent++
      }
    }
    // Raw garbage on fresh sockets: undecodable bytes must close only that socket.
    const raw = await TestClient.connect(`${n.ws}/v1/visitor?site=shop`, {
      origin: ORIGIN,
      subprotocol: round % 2 ? SUBPROTOCOL.msgpack : SUBPROTOCOL.json,
    })
    raw.sendRaw(round % 2 ? randomBytes(64) : Buffer.from(randomBytes(64).toString('latin1')), round % 2 === 1)
    closers.push(raw.closed)
    sent++
  }
  const closes = (await Promise.all(closers)) as Array<{ code: number }>
  t.ok(
    closes.every(
      (c) =>
        c.code === CLOSE_CODE.protocolError ||
        c.code === CLOSE_CODE.helloTimeout ||
        c.code === 1006 ||
        c.code === CLOSE_CODE.normal,
    ),
    'garbage closes only its own socket',
  )
  t.ok(sent >= 8000, `sent ${sent} malformed frames`)
  t.equal(({} as Record<string, unknown>).polluted, undefined, 'no prototype pollution')

  good.client.send({ t: 'page', url: 'https://shop.example/still', title: 'still' })
  good.client.send({ t: 'nope' })
  t.match(await good.client.next('error'), { code: 'unknown_type' })
  const live = n.node.hub.get('shop', good.welcome.visitor)
  t.equal(live?.facts.get('page.url'), 'https://shop.example/still')
  t.equal(live?.facts.get('context.plan'), 'gold', 'other sessions keep their data')
  const health = await fetch(`${n.base}/healthz`)
  t.equal(health.status, 200)
  await Promise.all([good.client, ...fuzzers].map((c) => c.close()))
})

t.test('msgpack frames with class-like extensions are plain data', async (t) => {
  const n = await startNode()
  t.teardown(() => n.stop())
  await n.site()
  const { client } = await n.visitor({}, { subprotocol: SUBPROTOCOL.msgpack })
  client.sendRaw(pack({ t: 'context', data: { when: new Date(0) } }), true)
  client.send({ t: 'nope' })
  await client.next((f) => f.t === 'error' && f.code === 'unknown_type')
  t.pass('node survived')
  await client.close()
})
