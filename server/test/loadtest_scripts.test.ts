import { build, type Plugin } from 'esbuild'
import t from 'tap'
import { ChatLoad } from '../../loadtest/generator/chat_load.js'
import { EventLoad } from '../../loadtest/generator/event_load.js'
import { OperatorLoad } from '../../loadtest/generator/operator_load.js'
import { ReconnectStorm } from '../../loadtest/generator/reconnect_storm.js'
import { setupLoadSite } from '../../loadtest/generator/site_setup.js'
import { VisitorLoad } from '../../loadtest/generator/visitor_load.js'
import { ADMIN_TOKEN, startNode } from './support/test_node.js'

// ---------------------------------------------------------------- k6 scripts

/** k6's built-in metrics a threshold may name without declaring them. */
const BUILTIN_METRICS = new Set([
  'checks',
  'ws_connecting',
  'ws_session_duration',
  'ws_sessions',
  'ws_msgs_sent',
  'ws_msgs_received',
  'ws_ping',
  'iterations',
  'iteration_duration',
  'data_sent',
  'data_received',
  'vus',
])
const THRESHOLD = /^(p\(\d+(\.\d+)?\)|avg|min|max|med|rate|count)\s*(<|<=|>|>=|==|===|!=)\s*\d+(\.\d+)?$/

/**
 * Stands in for k6's modules while a script loads: records the custom metrics it declares.
 * Only module loading runs here (options and metric declarations); the VU code needs k6.
 */
const k6Stub: Plugin = {
  name: 'k6-stub',
  setup(b) {
    b.onResolve({ filter: /^k6(\/.*)?$/ }, (args) => ({ path: args.path, namespace: 'k6' }))
    b.onLoad({ filter: /.*/, namespace: 'k6' }, (args) => {
      const metric = 'class M { constructor(name) { (globalThis.__k6Metrics ??= []).push(name) } add() {} }'
      const contents: Record<string, string> = {
        k6: 'export const check = () => true; export const sleep = () => undefined; export const group = (_, f) => f()',
        'k6/ws': 'export default { connect() { throw new Error("k6/ws is not available here") } }',
        'k6/metrics': `${metric}; export class Trend extends M {}; export class Rate extends M {}; export class Counter extends M {}; export class Gauge extends M {}`,
      }
      const source = contents[args.path]
      return source === undefined
        ? { errors: [{ text: `unknown k6 module ${args.path}` }] }
        : { contents: source, loader: 'js' }
    })
  },
}

interface K6Module {
  options?: { scenarios?: Record<string, { executor?: string }>; thresholds?: Record<string, string[]> }
  default?: unknown
}

const loaded = new Map<string, Promise<{ mod: K6Module; metrics: string[] }>>()

/** Bundles a k6 script with the stubs and imports it (once per path: ESM caches the module). */
function loadK6Script(path: string): Promise<{ mod: K6Module; metrics: string[] }> {
  let load = loaded.get(path)
  if (!load) loaded.set(path, (load = bundleAndImport(path)))
  return load
}

async function bundleAndImport(path: string): Promise<{ mod: K6Module; metrics: string[] }> {
  const out = await build({
    entryPoints: [path],
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    write: false,
    plugins: [k6Stub],
    logLevel: 'silent',
  })
  const g = globalThis as { __ENV?: Record<string, string>; __VU?: number; __k6Metrics?: string[] }
  g.__ENV = {}
  g.__VU = 0
  g.__k6Metrics = []
  const code = out.outputFiles[0]?.text ?? ''
  const mod = (await import(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`)) as K6Module
  return { mod, metrics: g.__k6Metrics }
}

for (const script of ['visitors', 'operators', 'reconnect_storm']) {
  t.test(`k6 script ${script}.js`, async (t) => {
    const { mod, metrics } = await loadK6Script(`loadtest/k6/${script}.js`)
    t.type(mod.default, 'function', 'exports the VU function as default')
    const scenarios = Object.values(mod.options?.scenarios ?? {})
    t.ok(
      scenarios.length > 0 && scenarios.every((s) => typeof s.executor === 'string'),
      'options.scenarios with executors',
    )
    const thresholds = Object.entries(mod.options?.thresholds ?? {})
    t.ok(thresholds.length > 0, 'options.thresholds set')
    for (const [metric, rules] of thresholds) {
      t.ok(
        BUILTIN_METRICS.has(metric) || metrics.includes(metric),
        `threshold metric ${metric} is built in or declared`,
      )
      for (const rule of rules) t.match(rule, THRESHOLD, `${metric}: ${rule}`)
    }
  })
}

t.test('visitors.js measures invite_latency as a time Trend', async (t) => {
  const { mod, metrics } = await loadK6Script('loadtest/k6/visitors.js')
  t.ok(metrics.includes('invite_latency'))
  t.ok(
    mod.options?.thresholds?.invite_latency?.some((r) => r.startsWith('p(95)<')),
    'with a p(95) threshold',
  )
})

// ---------------------------------------------------------------- Node generator

t.test('the Node load generator against a real node', async (t) => {
  const node = await startNode({ BECKON_MAX_CONNECTIONS_PER_IP: '1000' })
  t.teardown(() => node.stop())
  const { operatorToken } = await setupLoadSite({
    base: node.base,
    adminToken: ADMIN_TOKEN,
    site: 'load',
    secret: 'load-test-secret-0123456789',
    inviteAfterSeconds: 1,
  })

  t.test('visitors browse and get one invitation per kb page view', async (t) => {
    const load = new VisitorLoad({
      url: node.ws,
      site: 'load',
      count: 5,
      pages: 2,
      kbShare: 1,
      dwellMs: [0, 0],
      inviteAfterSeconds: 1,
      spreadMs: 100,
    })
    t.equal((await load.connect()).connected, 5)
    const run = await load.run()
    await load.close()
    t.match(run, {
      pageViews: 10,
      invitesExpected: 10,
      invitesReceived: 10,
      invitesMissed: 0,
      invitesUnexpected: 0,
      closedByServer: 0,
    })
    t.equal(run.inviteLatencies.length, 10, 'a latency per invitation')
  })

  t.test('operators get a snapshot listing the connected visitors', async (t) => {
    // A site of its own: visitors of the other subtests linger on 'load'.
    const watch = await setupLoadSite({
      base: node.base,
      adminToken: ADMIN_TOKEN,
      site: 'watch',
      secret: 'watch-test-secret-0123456789',
      inviteAfterSeconds: 1,
    })
    const visitors = new VisitorLoad({ url: node.ws, site: 'watch', count: 3, pages: 0 })
    await visitors.connect()
    t.teardown(() => visitors.close())
    const ops = new OperatorLoad({
      url: node.ws,
      site: 'watch',
      token: watch.operatorToken,
      count: 2,
      durationMs: 500,
      concurrency: 2,
    })
    t.equal((await ops.connect()).connected, 2)
    const run = await ops.run()
    await ops.close()
    t.equal(run.snapshot?.count, 2)
    t.equal(run.listedAtEnd, 3, 'snapshot plus upserts list every visitor (the feed coalesces for 100 ms)')
  })

  t.test('a reconnect storm resumes every visitor with its token', async (t) => {
    const storm = new ReconnectStorm({
      url: node.ws,
      site: 'load',
      count: 10,
      rounds: 2,
      jitterMs: 50,
      pauseMs: 10,
      concurrency: 10,
    })
    t.equal((await storm.connect()).connected, 10)
    const run = await storm.run()
    await storm.close()
    t.match(run, { reconnects: 20, resumed: 20, failures: {} })
  })

  t.test('an operator chats with a visitor, every message arrives', async (t) => {
    const chat = new ChatLoad({
      operatorUrl: node.ws,
      visitorUrl: node.ws,
      site: 'load',
      token: operatorToken,
      messages: 5,
      intervalMs: 0,
    })
    await chat.connect()
    const run = await chat.run()
    await chat.close()
    t.equal(run.lost, 0)
    t.equal(run.operatorToVisitor?.count, 5)
    t.equal(run.visitorToOperator?.count, 5)
  })

  t.test('the event stream is acknowledged by beckon', async (t) => {
    const load = new EventLoad({
      url: `${node.ws}/v1/visitor?site=load`,
      site: 'load',
      count: 4,
      frames: 3,
      roundMs: 0,
      concurrency: 4,
    })
    t.equal((await load.connect()).connected, 4)
    const run = await load.run()
    await load.close()
    t.match(run, { events: 12, acknowledged: 4 })
  })

  t.test('counts refused sockets by reason instead of throwing', async (t) => {
    const load = new VisitorLoad({ url: node.ws, site: 'nope', count: 2, pages: 0 })
    const report = await load.connect()
    t.equal(report.connected, 0)
    t.same(report.failures, { 'http 404': 2 })
  })

  t.test('refuses targets off the loopback range', async (t) => {
    t.throws(() => new VisitorLoad({ url: 'ws://192.0.2.1:8080', site: 'load', count: 1 }), /loopback/)
  })
})
