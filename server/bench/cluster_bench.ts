/**
 * `make bench`, cluster part: 3 clustered nats-servers (JetStream, replicas 3) and 3 beckon
 * nodes on this machine, visitors browsing at a visitor's pace from generator processes
 * (each under its own fd limit), operators watching one site from every node. Then the same
 * per-node load on one node without NATS, for the cluster/single ratios. Prints a table.
 * Scale knobs (env): BENCH_CLUSTER_SCALE (1: a fraction scales the visitor counts below and
 * the operators, e.g. 0.1 while iterating), or each on its own: BENCH_CLUSTER_VISITORS
 * (45000), BENCH_WATCHED_VISITORS (5000), BENCH_OPERATORS (20), BENCH_LISTED (50000);
 * BENCH_SECONDS (45) of browsing. Exits 1 (after the table) when fewer than 99% of the
 * visitors connected or the killed node's visitors were not all back within 60 s.
 * Run: node --import tsx server/bench/cluster_bench.ts
 */
import { connect, type NatsConnection } from '@nats-io/transport-node'
import type { VisitorSummary } from '../../shared/src/protocol.js'
import type { ChatRunReport } from '../../loadtest/generator/chat_load.js'
import type { ConnectReport } from '../../loadtest/generator/connect_all.js'
import { LatencyRecorder, type LatencySummary } from '../../loadtest/generator/latency.js'
import { LoadSocket, type Frame } from '../../loadtest/generator/load_socket.js'
import { setupLoadSite } from '../../loadtest/generator/site_setup.js'
import type { VisitorRunReport } from '../../loadtest/generator/visitor_load.js'
import { encodeValue } from '../src/store/value_codec.js'
import { freePorts, startNatsCluster } from '../test/support/nats_server.js'
import { startNodeProcess, type NodeProcess } from '../test/support/node_process.js'
import { ADMIN_TOKEN } from '../test/support/test_node.js'
import { GeneratorProcess } from './generator_process.js'
import { cpuSeconds, rssKb } from './proc_stats.js'

const env = (name: string, fallback: number): number => {
  const value = Number(process.env[name] || fallback)
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`${name}: expected a positive number, got ${process.env[name]}`)
  return value
}
const FRACTION = env('BENCH_CLUSTER_SCALE', 1)
const scaled = (name: string, full: number): number => Math.round(env(name, Math.max(1, Math.round(full * FRACTION))))
const SCALE = {
  visitors: scaled('BENCH_CLUSTER_VISITORS', 45_000),
  watched: scaled('BENCH_WATCHED_VISITORS', 5000),
  operators: scaled('BENCH_OPERATORS', 20),
  listed: scaled('BENCH_LISTED', 50_000),
  seconds: env('BENCH_SECONDS', 45),
}
const NODES = 3
const SECRET = 'bench-site-secret-0123456789'
const PER_GENERATOR = 9950
const NODE_ENV = {
  BECKON_MAX_CONNECTIONS_PER_IP: '1000000',
  BECKON_NEW_VISITORS_PER_IP_PER_MINUTE: '1000000',
  BECKON_LINGER_SECONDS: '1',
  BECKON_DRAIN_SECONDS: '1',
}

const stops: Array<() => unknown> = []
const progress = (msg: string): void =>
  void process.stderr.write(`[cluster ${new Date().toISOString().slice(11, 19)}] ${msg}\n`)
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
const fmt = (n: number, digits = 1): string =>
  Number.isFinite(n)
    ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : 'n/a'
const ms = (s: LatencySummary | undefined, key: 'p50' | 'p99'): string => (s ? `${fmt(s[key])} ms` : 'n/a')
let nextHost = 100
const pidOf = (n: NodeProcess): number => n.child.pid as number

function generator(scenario: string, args: Record<string, string | number>): GeneratorProcess {
  const g = GeneratorProcess.start(scenario, {
    'local-address': `127.0.0.${nextHost++}`,
    // Connecting is the slow part on a busy machine (a profile and a lease are written per visitor).
    'max-seconds': SCALE.seconds + 240 + Math.round(SCALE.visitors / 50),
    ...args,
  })
  stops.push(() => g.kill())
  return g
}

async function beckon(extra: Record<string, string>): Promise<NodeProcess> {
  const node = await startNodeProcess({ ...NODE_ENV, ...extra })
  stops.push(() => node.kill('SIGKILL'))
  return node
}

/** Visitors browsing: a page view every 10–30 s each, clocks running; 10% on kb pages (invitations). */
function browsers(node: NodeProcess, site: string, count: number): GeneratorProcess[] {
  const gens: GeneratorProcess[] = []
  for (let left = count; left > 0; left -= PER_GENERATOR) {
    gens.push(
      generator('visitors', {
        url: node.ws,
        site,
        count: Math.min(left, PER_GENERATOR),
        pages: Math.max(1, Math.round(SCALE.seconds / 20)),
        'dwell-min': 10_000,
        'dwell-max': 30_000,
        'kb-share': 0.1,
        'invite-after': 2,
        spread: 10_000,
        // Each hello writes a profile and a lease to JetStream (replicas 3) before `welcome`: on a
        // busy machine that takes seconds, so few upgrades are in flight and each may wait long.
        // The connect report keeps every failure and the handshake percentiles.
        concurrency: 50,
        'connect-wait': 60_000,
      }),
    )
  }
  return gens
}

interface Varz {
  in_msgs: number
  out_msgs: number
  in_bytes: number
  out_bytes: number
}
const varz = async (port: number): Promise<Varz> => (await fetch(`http://127.0.0.1:${port}/varz`)).json() as never

/** A console: auth, then `watch` with a view; resolves with the time to the snapshot. */
class Watcher {
  total = 0
  private waiting: ((f: Frame) => void) | undefined
  private constructor(readonly socket: LoadSocket) {
    socket.onFrame = (f) => {
      if (f.t === 'visitors' || f.t === 'window') this.total = f.total as number
      this.waiting?.(f)
    }
  }
  static async open(node: NodeProcess, token: string): Promise<Watcher> {
    const w = new Watcher(await LoadSocket.open(`${node.ws}/v1/operator`))
    await w.until('ready', () => w.socket.send({ t: 'auth', token }))
    return w
  }
  private until(type: string, send: () => void): Promise<Frame> {
    return new Promise((resolve) => {
      this.waiting = (f) => {
        if (f.t !== type) return
        this.waiting = undefined
        resolve(f)
      }
      send()
    })
  }
  async watch(site: string, view: object): Promise<number> {
    const began = performance.now()
    await this.until('visitors', () => this.socket.send({ t: 'watch', site, view }))
    return performance.now() - began
  }
}

function summary(site: string, i: number, now: number): VisitorSummary {
  return {
    id: `sim${i}`,
    site,
    departments: [],
    authenticated: false,
    page: { url: `https://load.example/sim/${i % 97}`, title: 'Simulated' },
    pageSince: now - (i % 300) * 1000,
    visitSince: now - (i % 900) * 1000,
    visits: 1 + (i % 3),
    pageViews: 1 + (i % 20),
    utm: {},
    geo: { country: 'DE' },
    device: { platform: 'desktop' },
    widgetOpen: false,
    tabs: 1,
    activeAt: now - (i % 300) * 1000,
    invitations: 0,
  }
}

/** A simulated node publishing `count` summaries of the site (as an owner would once watched). */
async function simulateListed(nc: NatsConnection, site: string, count: number): Promise<void> {
  const now = Date.now()
  for (let i = 0; i < count; i += 500) {
    const upserts = Array.from({ length: Math.min(500, count - i) }, (_, k) => summary(site, i + k, now))
    nc.publish(`beckon.visitors.${site}`, encodeValue({ node: 'bench-sim', upserts, gone: [] }))
  }
  await nc.flush()
}

interface LoadResult {
  connect: ConnectReport
  events: number
  cpuPerEventUs: number[]
  rssKb: number[]
  perNodeVisitors: number
  invite: LatencySummary | undefined
  invitesMissed: number
  seconds: number
}

/** Runs the browsers on each node, reading CPU around the run and RSS at its end. */
async function browse(nodes: NodeProcess[], sites: { id: string; count: number }[]): Promise<LoadResult> {
  const gens = nodes.flatMap((node, i) =>
    sites.flatMap((s) =>
      browsers(node, s.id, Math.floor(s.count / nodes.length) + (i < s.count % nodes.length ? 1 : 0)),
    ),
  )
  const connects = await Promise.all(gens.map((g) => g.connected<ConnectReport>()))
  const connect = mergeConnects(connects)
  progress(`${describeConnect(connect)}; browsing for ~${SCALE.seconds} s`)
  const cpu0 = nodes.map((n) => cpuSeconds(pidOf(n)))
  const began = performance.now()
  const runs = await Promise.all(gens.map((g) => g.run<VisitorRunReport>()))
  const seconds = (performance.now() - began) / 1000
  const cpu = nodes.map((n, i) => cpuSeconds(pidOf(n)) - (cpu0[i] as number))
  const rss = nodes.map((n) => rssKb(pidOf(n)))
  const latency = new LatencyRecorder()
  for (const r of runs) latency.merge(r.inviteLatencies)
  const events = runs.reduce((n, r) => n + r.pageViews, 0)
  await Promise.all(gens.map((g) => g.close()))
  return {
    connect,
    events,
    // Events spread evenly over the nodes (same count of visitors each).
    cpuPerEventUs: cpu.map((c) => (c / (events / nodes.length)) * 1e6),
    rssKb: rss,
    perNodeVisitors: connects.reduce((n, r) => n + r.connected, 0) / nodes.length,
    invite: latency.summary(),
    invitesMissed: runs.reduce((n, r) => n + r.invitesMissed, 0),
    seconds,
  }
}

/** The generators' connect reports as one: counts and failures add, the slowest p50/p99 stays. */
function mergeConnects(reports: ConnectReport[]): ConnectReport {
  const failures: Record<string, number> = {}
  for (const r of reports)
    for (const [reason, n] of Object.entries(r.failures)) failures[reason] = (failures[reason] ?? 0) + n
  const handshakes = reports.flatMap((r) => (r.handshake ? [r.handshake] : []))
  const worst = (key: 'p50' | 'p99'): number => Math.max(...handshakes.map((h) => h[key]))
  return {
    attempted: reports.reduce((n, r) => n + r.attempted, 0),
    connected: reports.reduce((n, r) => n + r.connected, 0),
    failures,
    handshake:
      handshakes.length > 0
        ? { ...(handshakes[0] as LatencySummary), p50: worst('p50'), p99: worst('p99') }
        : undefined,
    seconds: Math.max(...reports.map((r) => r.seconds)),
  }
}

const describeConnect = (c: ConnectReport): string => {
  const failed = Object.entries(c.failures).map(([reason, n]) => `${reason} ${n}`)
  return (
    `${fmt(c.connected, 0)} of ${fmt(c.attempted, 0)} connected in ${fmt(c.seconds)} s ` +
    `(handshake p50 ${ms(c.handshake, 'p50')}, p99 ${ms(c.handshake, 'p99')}; failed: ${failed.join(', ') || 'none'})`
  )
}

/** Fewer than this share connected: the run did not reach its scale and says so (exit 1). */
const CONNECTED_ENOUGH = 0.99
const shortOf = (c: ConnectReport): boolean => c.connected < c.attempted * CONNECTED_ENOUGH

async function waitForSite(node: NodeProcess, site: string): Promise<void> {
  for (let i = 0; i < 150; i++) {
    const probe = await LoadSocket.open(`${node.ws}/v1/visitor?site=${site}`).catch(() => undefined)
    if (probe) return probe.terminate()
    await sleep(100)
  }
  throw new Error(`site ${site} did not reach ${node.base}`)
}

async function main(): Promise<void> {
  const busy = (await import('node:os')).loadavg()[0] ?? 0
  progress(`scale ${JSON.stringify(SCALE)}; load average before start ${fmt(busy, 2)}`)
  const monitor = await freePorts(NODES)
  const nats = await startNatsCluster(NODES, monitor)
  stops.push(() => nats.close())
  const nodes: NodeProcess[] = []
  for (let i = 0; i < NODES; i++)
    nodes.push(
      await beckon({
        BECKON_NATS_URL: nats.urls[i] as string,
        BECKON_NATS_REPLICAS: '3',
        BECKON_NODE_ID: `bench-c${i + 1}`,
      }),
    )
  const [a, b, c] = nodes as [NodeProcess, NodeProcess, NodeProcess]
  const setup = { base: a.base, adminToken: ADMIN_TOKEN, secret: SECRET, inviteAfterSeconds: 2 }
  const { operatorToken } = await setupLoadSite({ ...setup, site: 'watched' })
  const { operatorToken: loadToken } = await setupLoadSite({ ...setup, site: 'load' })
  for (const n of nodes) for (const s of ['watched', 'load']) await waitForSite(n, s)

  const watchers = await Promise.all(
    Array.from({ length: SCALE.operators }, (_, i) => Watcher.open(nodes[i % NODES] as NodeProcess, operatorToken)),
  )
  await Promise.all(watchers.map((w) => w.watch('watched', { limit: 200 })))
  // Background traffic (heartbeats, presence, JetStream housekeeping) with nobody browsing.
  const idle0 = await Promise.all(monitor.map(varz))
  await sleep(5000)
  const idle1 = await Promise.all(monitor.map(varz))
  const idleRate = (k: keyof Varz): number => idle1.reduce((n, v, i) => n + v[k] - (idle0[i] as Varz)[k], 0) / 5
  const v0 = await Promise.all(monitor.map(varz))
  const sites = [
    { id: 'watched', count: SCALE.watched },
    { id: 'load', count: SCALE.visitors - SCALE.watched },
  ]
  const cluster = await browse(nodes, sites)
  const v1 = await Promise.all(monitor.map(varz))
  const delta = (k: keyof Varz): number => v1.reduce((n, v, i) => n + v[k] - (v0[i] as Varz)[k], 0)
  const perEvent = (k: keyof Varz): number => (delta(k) - idleRate(k) * cluster.seconds) / cluster.events
  const natsMsgsPerEvent = perEvent('in_msgs')
  const natsBytesPerEvent = perEvent('in_bytes')

  // Windowed snapshot latency: 5,000 listed (the browsers are gone: reconnect a watched site's worth).
  const hold = nodes.flatMap((n) => [
    generator('visitors', { url: n.ws, site: 'watched', count: Math.ceil(SCALE.watched / NODES), pages: 0 }),
  ])
  await Promise.all(hold.map((g) => g.connected()))
  const probe = await Watcher.open(a, operatorToken)
  const snapshots = new LatencyRecorder()
  for (let i = 0; i < 20; i++) snapshots.record(await probe.watch('watched', { sort: { by: 'pages' }, offset: i * 10 }))
  const listedSmall = probe.total
  const nc = await connect({ servers: nats.urls[0] as string })
  stops.push(() => nc.close())
  await simulateListed(nc, 'watched', SCALE.listed - listedSmall)
  await sleep(1000)
  const large = new LatencyRecorder()
  for (let i = 0; i < 20; i++) large.record(await probe.watch('watched', { sort: { by: 'pages' }, offset: i * 10 }))
  const listedLarge = probe.total

  // Cross-node operator → visitor.
  const chat = generator('chat', { url: a.ws, 'visitor-url': b.ws, site: 'load', token: loadToken, messages: 200 })
  await chat.connected()
  const chatReport = await chat.run<ChatRunReport>()
  await chat.close()

  // Kill node C: its visitors reconnect to A and B (as fresh sockets); time until all are live there.
  const before = probe.total
  const live = async (): Promise<number> => {
    let sum = 0
    for (const n of [a, b]) {
      const text = await (await fetch(`${n.base}/metrics`)).text()
      sum += Number(/^beckon_live_visitors\{[^}]*\} (\d+)/m.exec(text)?.[1] ?? 0)
    }
    return sum
  }
  const perNode = Math.ceil(SCALE.watched / NODES)
  const target = 2 * perNode + 2 * Math.ceil(perNode / 2)
  const killedAt = performance.now()
  await c.kill('SIGKILL')
  const back = [a, b].map((n) =>
    generator('visitors', { url: n.ws, site: 'watched', count: Math.ceil(perNode / 2), pages: 0 }),
  )
  while ((await live()) < target && performance.now() - killedAt < 60_000) await sleep(50)
  const recoverySeconds = (performance.now() - killedAt) / 1000
  const recovered = (await live()) >= target
  progress(
    `after the kill: ${await live()} live on A+B (wanted ${target}); operator total ${probe.total} (was ${before})`,
  )
  await Promise.all([...hold, ...back].map((g) => g.close()))
  for (const w of [...watchers, probe]) w.socket.terminate()
  await Promise.all([a, b].map((n) => n.kill('SIGTERM')))
  await nats.close()

  // Single node, same per-node load, no NATS.
  progress('single node, same per-node load')
  const single = await beckon({ BECKON_NODE_ID: 'bench-single' })
  await setupLoadSite({ ...setup, base: single.base, site: 'watched' })
  await setupLoadSite({ ...setup, base: single.base, site: 'load' })
  const singleWatchers = await Promise.all(
    Array.from({ length: Math.ceil(SCALE.operators / NODES) }, () => Watcher.open(single, operatorToken)),
  )
  await Promise.all(singleWatchers.map((w) => w.watch('watched', { limit: 200 })))
  const alone = await browse(
    [single],
    sites.map((s) => ({ id: s.id, count: Math.round(s.count / NODES) })),
  )
  for (const w of singleWatchers) w.socket.terminate()

  const avg = (xs: number[]): number => xs.reduce((n, x) => n + x, 0) / xs.length
  const rows = [
    ['visitors connecting, cluster', describeConnect(cluster.connect)],
    ['visitors connecting, single node', describeConnect(alone.connect)],
    ['visitors held', `${fmt(cluster.perNodeVisitors * NODES, 0)} (${fmt(cluster.perNodeVisitors, 0)} per node)`],
    ['visitor events (page views) / s', fmt(cluster.events / cluster.seconds)],
    ['per-node RSS, cluster', cluster.rssKb.map((k) => `${fmt(k / 1024)} MiB`).join(' / ')],
    ['RSS, single node same load', `${fmt((alone.rssKb[0] ?? 0) / 1024)} MiB`],
    ['RSS ratio cluster / single', fmt(avg(cluster.rssKb) / (alone.rssKb[0] ?? 1), 2)],
    ['per-node CPU per event, cluster', cluster.cpuPerEventUs.map((u) => `${fmt(u)} µs`).join(' / ')],
    ['CPU per event, single node', `${fmt(alone.cpuPerEventUs[0] ?? 0)} µs`],
    ['CPU ratio cluster / single', fmt(avg(cluster.cpuPerEventUs) / (alone.cpuPerEventUs[0] ?? 1), 2)],
    ['NATS msgs in per visitor event (beyond idle)', fmt(natsMsgsPerEvent, 2)],
    ['NATS bytes in per visitor event (beyond idle)', fmt(natsBytesPerEvent, 0)],
    [
      'NATS idle traffic (3 servers)',
      `${fmt(idleRate('in_msgs'), 0)} msgs/s, ${fmt(idleRate('in_bytes') / 1024)} KiB/s in`,
    ],
    [
      'NATS traffic (all 3 servers)',
      `${fmt(delta('in_msgs') / cluster.seconds, 0)} msgs/s, ${fmt(delta('in_bytes') / cluster.seconds / 1024)} KiB/s in`,
    ],
    [
      `invitation latency at ${fmt(cluster.perNodeVisitors * NODES, 0)}`,
      `p50 ${ms(cluster.invite, 'p50')}, p99 ${ms(cluster.invite, 'p99')} (missed ${cluster.invitesMissed})`,
    ],
    ['invitation latency, single node', `p50 ${ms(alone.invite, 'p50')}, p99 ${ms(alone.invite, 'p99')}`],
    [
      'cross-node operator → visitor',
      `p50 ${ms(chatReport.operatorToVisitor, 'p50')}, p99 ${ms(chatReport.operatorToVisitor, 'p99')}`,
    ],
    [
      `windowed snapshot, ${fmt(listedSmall, 0)} listed`,
      `p50 ${ms(snapshots.summary(), 'p50')}, p99 ${ms(snapshots.summary(), 'p99')}`,
    ],
    [
      `windowed snapshot, ${fmt(listedLarge, 0)} listed`,
      `p50 ${ms(large.summary(), 'p50')}, p99 ${ms(large.summary(), 'p99')}`,
    ],
    [
      `killed node's ${perNode} visitors live again on the others (new sockets; generator start-up included)`,
      recovered ? `${fmt(recoverySeconds)} s` : `NOT all back within ${fmt(recoverySeconds)} s`,
    ],
    ['machine load average at start / end', `${fmt(busy, 2)} / ${fmt((await import('node:os')).loadavg()[0] ?? 0, 2)}`],
  ]
  process.stdout.write(
    `\n| cluster metric | measured |\n| --- | --- |\n${rows.map(([m, v]) => `| ${m} | ${v} |`).join('\n')}\n`,
  )
  const shortfalls = [
    shortOf(cluster.connect) && 'the cluster did not hold its visitors',
    shortOf(alone.connect) && 'the single node did not hold its visitors',
    !recovered && "the killed node's visitors were not all back",
  ].filter(Boolean)
  if (shortfalls.length > 0) {
    progress(`FAILED: ${shortfalls.join('; ')} (see the table)`)
    process.exitCode = 1
  }
}

main()
  .catch((error: unknown) => {
    process.stderr.write(`cluster bench failed: ${error instanceof Error ? error.stack : String(error)}\n`)
    process.exitCode = 1
  })
  .finally(async () => {
    for (const stop of stops.reverse()) await Promise.resolve(stop()).catch(() => undefined)
    process.exit()
  })
