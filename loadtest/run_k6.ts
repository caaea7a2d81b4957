/**
 * `make loadtest`: every k6 script of loadtest/k6 at a scale, one after another, against a node
 * this starts (or the one at BASE_URL), then one table. Exits 1 when a threshold was crossed.
 *
 *   VISITORS=2000 DURATION=1m make loadtest
 *   BASE_URL=http://127.0.0.1:8080 BECKON_ADMIN_TOKEN=... make loadtest
 *
 * Env: BASE_URL (unset: start a node), BECKON_ADMIN_TOKEN (required with BASE_URL), DURATION
 * (1m), VISITORS (1000), MSGPACK_VISITORS (VISITORS/4), OPERATORS (10), STORM (VISITORS/2),
 * CHAT (100), CHURN (100), VUS_PER_K6 (10000: more VUs of visitors.js or reconnect_storm.js
 * are split over several k6 processes, each under its open-file limit), K6, SCENARIOS (all:
 * a comma list of scenario names or their first word, e.g. `visitors,storm`).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import {
  crossedThresholds,
  findK6,
  K6_MISSING,
  type K6Metric,
  type K6Result,
  type K6Summary,
  k6Version,
  REPO_ROOT,
  runK6,
} from './runner/k6_process.js'
import { LoopLagProbe, listenCounters } from './runner/accept_probe.js'
import { type K6Scenario, k6Suite, prepareSuite, socketErrors, trafficValue } from './runner/k6_suite.js'

const env = process.env
const int = (name: string, fallback: number): number => {
  const value = env[name] === undefined || env[name] === '' ? fallback : Number(env[name])
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name}: expected a whole number, got ${env[name]}`)
  return value
}

const k6 = findK6()
if (!k6) {
  process.stderr.write(`loadtest: ${K6_MISSING}\n`)
  process.exit(2)
}
const visitors = int('VISITORS', 1000)
const scale = {
  visitors,
  msgpack: int('MSGPACK_VISITORS', Math.ceil(visitors / 4)),
  operators: int('OPERATORS', 10),
  storm: int('STORM', Math.ceil(visitors / 2)),
  chat: int('CHAT', 100),
  churn: int('CHURN', 100),
  duration: env.DURATION || '1m',
  quick: false,
  arrivals: int('ARRIVALS_PER_SECOND', 100),
}
const vusPerK6 = int('VUS_PER_K6', 10000)
/** Scripts whose VUs are independent of each other, so they may be split over k6 processes. */
const SPLITTABLE = new Set(['loadtest/k6/visitors.js', 'loadtest/k6/reconnect_storm.js'])

/** A node of our own: a child process on a free port, with the open-file limit at its hard limit. */
async function startNode(adminToken: string): Promise<{ base: string; process: ChildProcess; stop(): Promise<void> }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'beckon-loadtest-'))
  // NODE_CPU_PROF=DIR: the node writes a V8 CPU profile there when it stops (open it in Chrome DevTools).
  const profile = env.NODE_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${env.NODE_CPU_PROF}`] : []
  const argv = [process.execPath, ...profile, '--import', 'tsx', 'server/src/main.ts']
  const child = spawn('bash', ['-c', 'ulimit -n "$(ulimit -Hn)" && exec "$0" "$@"', ...argv], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: {
      ...env,
      BECKON_HOST: '127.0.0.1',
      BECKON_PORT: '0',
      BECKON_DATA_DIR: dataDir,
      BECKON_ADMIN_TOKEN: adminToken,
      BECKON_MAX_CONNECTIONS_PER_IP: '100000',
      // All load comes from one IP: its visitors are stored like real ones, not made ephemeral.
      BECKON_NEW_VISITORS_PER_IP_PER_MINUTE: '1000000',
      BECKON_LOG_LEVEL: 'info',
    },
  })
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`node exited with ${code} before listening`)))
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream })
    lines.on('line', (line) => {
      const port = /"port":(\d+)/.exec(line)?.[1]
      if (port && line.includes('listening')) resolve(Number(port))
    })
  })
  child.stdout?.resume()
  return {
    base: `http://127.0.0.1:${port}`,
    process: child,
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      await exited
      await rm(dataDir, { recursive: true, force: true })
    },
  }
}

interface Measured<T> {
  value: T
  cpu?: number
  rssMb?: number
  /** Worst event-loop stall of the node (ms) and SYNs the kernel dropped for a full accept queue. */
  stallMs?: number
  listenDrops?: number
}

/**
 * While `work` runs: the node's CPU (percent of one core, averaged) and peak RSS from /proc,
 * its worst event-loop stall from /metrics, and the machine's accept-queue drops.
 */
async function measure<T>(pid: number | undefined, work: Promise<T>): Promise<Measured<T>> {
  const before = await listenCounters()
  const lag = new LoopLagProbe(base)
  const dropsSince = async () => {
    const after = await listenCounters()
    return before && after ? after.drops - before.drops : undefined
  }
  if (pid === undefined) {
    const value = await work
    return { value, stallMs: lag.stop(), listenDrops: await dropsSince() }
  }
  const ticks = async (): Promise<number> => {
    const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]?.split(' ') ?? []
    return Number(fields[11]) + Number(fields[12]) // utime + stime, in clock ticks (100 per second)
  }
  const rss = async (): Promise<number> =>
    Number(/VmRSS:\s+(\d+)/.exec(await readFile(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024
  const began = performance.now()
  const startTicks = await ticks()
  let peak = await rss()
  const sampler = setInterval(() => {
    rss().then(
      (mb) => {
        peak = Math.max(peak, mb)
      },
      () => undefined,
    )
  }, 1000)
  const value = await work
  clearInterval(sampler)
  const seconds = (performance.now() - began) / 1000
  const cpu = ((await ticks()) - startTicks) / seconds
  return { value, cpu, rssMb: peak, stallMs: lag.stop(), listenDrops: await dropsSince() }
}

/** Sums the summaries of one script split over k6 processes: counts add, latencies keep the worst. */
function merge(results: K6Result[]): K6Result {
  const summaries = results.map((r) => r.summary).filter((s): s is K6Summary => s !== undefined)
  const metrics: Record<string, K6Metric> = {}
  for (const summary of summaries) {
    for (const [name, m] of Object.entries(summary.metrics)) {
      const into = metrics[name]
      if (!into) {
        metrics[name] = { ...m, thresholds: { ...m.thresholds } }
        continue
      }
      for (const key of ['count', 'passes', 'fails'] as const)
        if (m[key] !== undefined) into[key] = (into[key] ?? 0) + m[key]
      for (const key of ['max', 'p(90)', 'p(95)', 'p(99)'] as const) {
        if (m[key] !== undefined) into[key] = Math.max(into[key] ?? 0, m[key])
      }
      for (const [rule, crossed] of Object.entries(m.thresholds ?? {})) {
        into.thresholds = { ...into.thresholds, [rule]: (into.thresholds?.[rule] ?? false) || crossed }
      }
    }
  }
  return {
    code: Math.max(...results.map((r) => r.code)),
    summary: summaries.length === results.length ? { metrics } : undefined,
    log: results.map((r) => r.log).join('\n'),
  }
}

const processesFor = (scenario: K6Scenario): number =>
  SPLITTABLE.has(scenario.script) ? Math.max(1, Math.ceil(scenario.vus / vusPerK6)) : 1

async function runScenario(scenario: K6Scenario): Promise<K6Result> {
  const processes = processesFor(scenario)
  const vus = Math.ceil(scenario.vus / processes)
  const runs = Array.from({ length: processes }, () =>
    runK6(
      k6 as string,
      scenario.script,
      { ...scenario.env, VUS: String(vus), TOTAL_VUS: String(scenario.vus) },
      {
        timeoutMs: 30 * 60_000,
        raiseFdLimit: true,
      },
    ),
  )
  return merge(await Promise.all(runs))
}

const fmt = (ms: number | undefined): string => (ms === undefined ? '-' : ms < 10 ? ms.toFixed(1) : ms.toFixed(0))

const adminToken = env.BECKON_ADMIN_TOKEN || (env.BASE_URL ? '' : `loadtest-${Date.now()}-0123456789`)
if (!adminToken) {
  process.stderr.write('loadtest: BECKON_ADMIN_TOKEN is required with BASE_URL (the node must run with the same)\n')
  process.exit(2)
}
const node = env.BASE_URL ? undefined : await startNode(adminToken)
const base = (env.BASE_URL ?? node?.base ?? '').replace(/\/$/, '')
process.stderr.write(`loadtest: ${k6Version(k6)} against ${base}${node ? ' (a node of its own)' : ''}\n`)
const tokens = await prepareSuite(base, adminToken)
const only = (env.SCENARIOS ?? '')
  .split(',')
  .map((name) => name.trim())
  .filter(Boolean)
const suite = k6Suite(base, adminToken, tokens, scale).filter(
  (s) => only.length === 0 || only.includes(s.name) || only.includes(s.name.split(' ')[0] as string),
)
if (suite.length === 0) {
  process.stderr.write(`loadtest: SCENARIOS=${env.SCENARIOS} names no scenario\n`)
  process.exit(2)
}
// operators.js watches the site visitors.js browses: those two run together, the rest alone.
const phases: K6Scenario[][] = []
for (const scenario of suite) {
  if (scenario.script === 'loadtest/k6/operators.js') phases[0]?.push(scenario)
  else phases.push([scenario])
}

const rows: string[][] = []
let failed = false
for (const phase of phases) {
  process.stderr.write(`loadtest: ${phase.map((s) => `${s.name} (${s.vus} VUs)`).join(' + ')}\n`)
  const measured = await measure(node?.process.pid, Promise.all(phase.map(runScenario)))
  const { value: results, cpu, rssMb } = measured
  for (const [i, scenario] of phase.entries()) {
    const result = results[i] as K6Result
    const summary = result.summary
    const crossed = summary ? crossedThresholds(summary) : ['no summary']
    if (crossed.length > 0 || result.code !== 0) {
      failed = true
      process.stderr.write(`loadtest: ${scenario.name}: exit ${result.code}\n${result.log.slice(-2000)}\n`)
    }
    const errors = summary ? socketErrors(summary) : {}
    rows.push([
      scenario.name,
      processesFor(scenario) > 1 ? `${scenario.vus} (${processesFor(scenario)} k6)` : String(scenario.vus),
      crossed.length === 0 && result.code === 0 ? 'pass' : `FAIL ${crossed.join('; ')}`,
      summary ? scenario.traffic.map((t) => `${t.label} ${trafficValue(summary, t)}`).join(', ') : '-',
      summary
        ? scenario.latency
            .map((m) => `${m} ${fmt(summary.metrics[m]?.['p(95)'])}/${fmt(summary.metrics[m]?.['p(99)'])}`)
            .join(', ')
        : '-',
      Object.entries(errors)
        .map(([reason, n]) => `${reason} ${n}`)
        .join(', ') || 'none',
      i === 0 && cpu !== undefined ? `${cpu.toFixed(0)}%` : i === 0 ? 'n/a' : '″',
      i === 0 && rssMb !== undefined ? `${rssMb.toFixed(0)} MB` : i === 0 ? 'n/a' : '″',
      i === 0 ? `${fmt(measured.stallMs)} ms` : '″',
      i === 0 ? String(measured.listenDrops ?? 'n/a') : '″',
    ])
  }
}
await node?.stop()

const header = [
  'scenario',
  'VUs',
  'thresholds',
  'traffic',
  'p95/p99 ms',
  'errors',
  'node CPU',
  'node RSS peak',
  'node stall max',
  'listen drops',
]
const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)))
const line = (cells: string[]) => `| ${cells.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join(' | ')} |`
console.log(line(header))
console.log(`| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`)
for (const row of rows) console.log(line(row))
console.log(
  `\n${k6Version(k6)}; DURATION ${scale.duration}; node CPU in % of one core, averaged over the phase` +
    (node ? '' : ' (n/a: the node at BASE_URL is not ours to measure)') +
    '; node stall max: longest event-loop stall (nodejs_eventloop_lag_max_seconds)' +
    '; listen drops: SYNs the kernel dropped for a full accept queue (TcpExtListenDrops, machine-wide)',
)
process.exit(failed ? 1 : 0)
