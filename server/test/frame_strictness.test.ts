import t from 'tap'
import { Writable } from 'node:stream'
import { Packr } from 'msgpackr'
import { pino } from 'pino'
import { CLOSE_CODE, SUBPROTOCOL } from '../../shared/src/protocol.js'
import { startNode } from './support/test_node.js'

// An encoder that uses every msgpackr extension: what a hostile or careless client can send.
const rich = new Packr({ useRecords: false, moreTypes: true, structuredClone: true })

t.test('msgpack values JSON cannot carry are bad_frame; plain ones still apply', async (t) => {
  const n = await startNode()
  t.teardown(() => n.stop())
  await n.site()
  const { client, welcome } = await n.visitor({}, { subprotocol: SUBPROTOCOL.msgpack })
  const foreign: Record<string, unknown> = {
    BigInt: 2n ** 60n,
    Set: new Set([1]),
    Date: new Date(0),
    RegExp: /x/g,
    Uint8Array: new Uint8Array([1, 2]),
    Float32Array: new Float32Array([1]),
    undefined: undefined,
    NaN: Number.NaN,
    Error: new Error('x'),
  }
  for (const [type, value] of Object.entries(foreign)) {
    client.sendRaw(rich.pack({ t: 'context', data: { plan: value } }), true)
    const error = await client.next('error')
    t.match(error, { code: 'bad_frame', message: /maps, arrays/ }, `${type} is bad_frame`)
  }
  // An int64 in the safe range is an ordinary number (some encoders use int64 for small ints).
  client.sendRaw(rich.pack({ t: 'context', data: { plan: 'gold', seats: 5n } }), true)
  client.send({ t: 'nope' })
  await client.next((f) => f.t === 'error' && f.code === 'unknown_type')
  const live = n.node.hub.get('shop', welcome.visitor)
  t.equal(live?.facts.get('context.plan'), 'gold')
  t.equal(live?.facts.get('context.seats'), 5)
  const internal = (await n.node.metrics.errors.get()).values.find((v) => v.labels.code === 'internal')
  t.equal(internal, undefined, 'no internal errors')
  await client.close()
})

t.test('a handler error is a strike and is logged once per socket per minute', async (t) => {
  const lines: Array<{ msg?: string }> = []
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line))
      done()
    },
  })
  const n = await startNode({ BECKON_MAX_VIOLATIONS: '5' }, undefined, pino({ level: 'error' }, sink))
  t.teardown(() => n.stop())
  await n.site()
  n.node.runner.lifecycle = () => {
    throw new Error('injected handler bug')
  }
  const { client } = await n.visitor()
  for (let i = 0; i < 8; i++) client.send({ t: 'inv', id: 'c1', action: 'shown' })
  t.match(await client.closed, { code: CLOSE_CODE.policyViolation })
  const internals = client.frames.filter((f) => f.t === 'error' && f.code === 'internal')
  t.equal(internals.length, 6, 'each failing frame is answered until the sixth strike closes the socket')
  t.equal(lines.filter((l) => l.msg === 'socket callback failed').length, 1, 'logged once')
})
