import { type AddressInfo, createServer } from 'node:net'
import { join } from 'node:path'
import { Packr } from 'msgpackr'
import t from 'tap'
import * as msgpack from '../../loadtest/k6/msgpack.js'
import { crossedThresholds, findK6, K6_MISSING, k6Version, runK6 } from '../../loadtest/runner/k6_process.js'
import { k6Suite, prepareSuite, socketErrors, TEST_SCALE, trafficValue } from '../../loadtest/runner/k6_suite.js'
import { ADMIN_TOKEN, startNode } from './support/test_node.js'

// The k6 scripts' own msgpack codec (k6 has no npm modules) agrees with the server's msgpackr.
t.test('the k6 msgpack codec round-trips with msgpackr', async (t) => {
  const packr = new Packr({ useRecords: false, mapsAsObjects: true, moreTypes: false, structuredClone: false })
  const values: unknown[] = [
    0,
    127,
    128,
    255,
    256,
    65535,
    65536,
    2 ** 32 - 1,
    2 ** 32,
    2 ** 53 - 1,
    -1,
    -32,
    -33,
    -128,
    -129,
    -32768,
    -32769,
    -(2 ** 31),
    -(2 ** 31) - 1,
    -(2 ** 53) + 1,
    1.5,
    -2.25,
    1e300,
    null,
    true,
    false,
    '',
    'é€😀',
    'a'.repeat(31),
    'b'.repeat(300),
    'c'.repeat(70000),
    [1, [2, { a: 'x' }]],
    Array.from({ length: 20 }, (_, i) => i),
    Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, i])),
    { t: 'hello', page: { url: 'https://load.example/kb/1', title: 'Hilfe – Artikel' }, lang: 'de' },
  ]
  const plain = (v: unknown) => JSON.parse(JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? Number(x) : x)))
  for (const value of values) {
    const mine = new Uint8Array(msgpack.encode(value) as ArrayBuffer)
    t.same(plain(packr.unpack(mine)), value, `msgpackr reads ours: ${JSON.stringify(value).slice(0, 40)}`)
    t.same(msgpack.decode(packr.pack(value)), value, `we read msgpackr's: ${JSON.stringify(value).slice(0, 40)}`)
  }
  t.same(msgpack.decode(packr.pack(new Uint8Array([1, 2, 3]))), new Uint8Array([1, 2, 3]), 'bin')
  t.throws(() => msgpack.decode(new Uint8Array([0x92, 0x01])), /truncated/)
  t.throws(() => msgpack.decode(new Uint8Array([0x01, 0x02])), /trailing/)
  t.throws(() => msgpack.decode(new Uint8Array([0xa2, 0xc3, 0x28])), /UTF-8/)
  t.throws(() => msgpack.decode(new Uint8Array([0xd4, 0x01, 0x02])), /unsupported/)
})

t.test('k6 is looked up in K6, then PATH, then ../shared/bin/k6', async (t) => {
  const dir = t.testdir({ k6: '#!/bin/sh\n' })
  t.equal(findK6({ PATH: dir }), join(dir, 'k6'), 'k6 on PATH')
  t.equal(findK6({ K6: join(dir, 'k6'), PATH: '' }), join(dir, 'k6'), 'K6 wins')
  t.equal(findK6({ K6: join(dir, 'missing'), PATH: dir }), undefined, 'a K6 that is not there is not silently replaced')
  t.match(K6_MISSING, /K6=.*PATH.*shared\/bin\/k6.*https:\/\//, 'the failure says where to get one')
})

// Every script of loadtest/k6, for real, on the k6 the project ships with, against one node,
// all at once (each on its own site): every threshold holds and each did real traffic.
t.test('the k6 scripts pass their thresholds against a real node', async (t) => {
  const k6 = findK6()
  if (!k6) return t.fail(K6_MISSING)
  t.comment(`using ${k6}: ${k6Version(k6)}`)
  const node = await startNode({ BECKON_MAX_CONNECTIONS_PER_IP: '1000' })
  t.teardown(() => node.stop())
  const tokens = await prepareSuite(node.base, ADMIN_TOKEN)
  const suite = k6Suite(node.base, ADMIN_TOKEN, tokens, TEST_SCALE)
  const runs = suite.map((s) => runK6(k6, s.script, s.env, { timeoutMs: 90_000 }))
  // Failures must show, by reason: a refused upgrade, a close code, no TCP connection at all.
  const closedPort = await freePort()
  const short = { DURATION: '3s', RAMP: '1s', RAMP_DOWN: '1s', VUS: '2', SESSION_SECONDS: '2' }
  const failures: { reason: string; script: string; env: Record<string, string> }[] = [
    { reason: 'http_404', script: 'loadtest/k6/visitors.js', env: { BASE_URL: node.base, SITE: 'nope' } },
    {
      reason: 'close_4001',
      script: 'loadtest/k6/operators.js',
      env: { BASE_URL: node.base, SITE: 'load', OPERATOR_TOKEN: 'not-a-token' },
    },
    { reason: 'dial', script: 'loadtest/k6/visitors.js', env: { BASE_URL: `http://127.0.0.1:${closedPort}` } },
  ]
  const failureRuns = failures.map((f) => runK6(k6, f.script, { ...short, ...f.env }, { timeoutMs: 60_000 }))
  for (const [i, scenario] of suite.entries()) {
    t.test(scenario.name, async (t) => {
      const { code, summary, log } = await (runs[i] as (typeof runs)[number])
      if (!summary) return t.fail(`k6 wrote no summary (exit ${code})`, { log })
      t.same(crossedThresholds(summary), [], 'no threshold crossed', { log })
      t.same(socketErrors(summary), {}, 'no socket failed, no error frame')
      t.equal(code, 0, 'k6 exits 0')
      for (const traffic of scenario.traffic) t.ok(trafficValue(summary, traffic) > 0, `${traffic.label} happened`)
      t.equal(summary.metrics.checks?.fails ?? 0, 0, 'every check held')
    })
  }
  for (const [i, failure] of failures.entries()) {
    t.test(`a failed socket shows as ws_errors{reason:${failure.reason}}`, async (t) => {
      const { code, summary, log } = await (failureRuns[i] as (typeof failureRuns)[number])
      if (!summary) return t.fail(`k6 wrote no summary (exit ${code})`, { log })
      t.equal(code, 99, 'k6 exits 99: thresholds crossed')
      t.ok((socketErrors(summary)[failure.reason] ?? 0) > 0, 'counted under its reason', {
        errors: socketErrors(summary),
      })
      t.ok(crossedThresholds(summary).includes(`ws_errors{reason:${failure.reason}}: count<1`), 'its threshold crossed')
    })
  }
})

/** A loopback port nothing listens on (bound, then released). */
async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}
