/**
 * Load generator CLI: one scenario per process (each process stays under its fd limit; run
 * several with distinct --local-address for more sockets). Loopback targets only; every run
 * is bounded by --max-seconds and exits by itself.
 *
 *   node --import tsx loadtest/generator/cli.ts visitors --url ws://127.0.0.1:8080 --site demo --count 1000
 *   ... operators --url ws://127.0.0.1:8080 --site demo --token JWT --count 20 --duration 30 [--window 1]
 *   ... storm     --url ws://127.0.0.1:8080 --site demo --count 2000 --rounds 3 --jitter 2000
 *   ... chat      --url ws://127.0.0.1:8080 --visitor-url ws://127.0.0.1:8081 --site demo --token JWT --messages 200
 *   ... events    --url 'ws://127.0.0.1:8080/v1/visitor?site=demo' --site demo --count 1000 --frames 100 [--round-ms 1100]
 *
 * Prints `{"connect":{...},"run":{...}}` on stdout. Started with an IPC channel (by the bench)
 * it instead reports each phase as a message and waits for `run` or `close` between phases.
 */
import { parseArgs } from 'node:util'
import { ChatLoad } from './chat_load.js'
import { EventLoad } from './event_load.js'
import { formatLatency } from './latency.js'
import { OperatorLoad } from './operator_load.js'
import { ReconnectStorm } from './reconnect_storm.js'
import type { Scenario } from './scenario.js'
import { VISITOR_DEFAULTS, VisitorLoad } from './visitor_load.js'

/** Messages from a driving process. */
export type GeneratorCommand = 'run' | 'close'
/** Messages to a driving process, one per finished phase. */
export type GeneratorReport =
  | { phase: 'connected'; report: object }
  | { phase: 'ran'; report: object }
  | { phase: 'closed' }
  | { phase: 'failed'; error: string }

const USAGE =
  'usage: cli.ts visitors|operators|storm|chat|events --url URL [--site demo] [--count N] [options]; see loadtest/README.md'

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    url: { type: 'string' },
    'visitor-url': { type: 'string' },
    site: { type: 'string', default: 'demo' },
    token: { type: 'string', default: process.env.OPERATOR_TOKEN ?? '' },
    count: { type: 'string', default: '100' },
    pages: { type: 'string', default: String(VISITOR_DEFAULTS.pages) },
    'dwell-min': { type: 'string', default: String(VISITOR_DEFAULTS.dwellMs[0]) },
    'dwell-max': { type: 'string', default: String(VISITOR_DEFAULTS.dwellMs[1]) },
    'kb-share': { type: 'string', default: String(VISITOR_DEFAULTS.kbShare) },
    'invite-after': { type: 'string', default: String(VISITOR_DEFAULTS.inviteAfterSeconds) },
    spread: { type: 'string', default: String(VISITOR_DEFAULTS.spreadMs) },
    'connect-wait': { type: 'string', default: String(VISITOR_DEFAULTS.connectWaitMs) },
    duration: { type: 'string', default: '30' },
    rounds: { type: 'string', default: '3' },
    jitter: { type: 'string', default: '2000' },
    pause: { type: 'string', default: '3000' },
    messages: { type: 'string', default: '200' },
    interval: { type: 'string', default: '30' },
    frames: { type: 'string', default: '100' },
    'round-ms': { type: 'string', default: '0' },
    concurrency: { type: 'string', default: '200' },
    window: { type: 'string', default: '0' },
    'local-address': { type: 'string' },
    'max-seconds': { type: 'string', default: '600' },
  },
})

function num(name: keyof typeof values, min = 0): number {
  const value = Number(values[name])
  if (!Number.isFinite(value) || value < min)
    throw new Error(`--${name}: expected a number >= ${min}, got ${String(values[name])}`)
  return value
}

function scenario(): Scenario {
  const url = values.url
  if (!url) throw new Error(USAGE)
  const site = values.site ?? 'demo'
  const count = num('count', 1)
  const concurrency = num('concurrency', 1)
  const local = values['local-address'] ? { localAddress: values['local-address'] } : {}
  const token = (): string => {
    if (!values.token) throw new Error('--token (or env OPERATOR_TOKEN) is required: see loadtest/setup.ts')
    return values.token
  }
  switch (positionals[0]) {
    case 'visitors':
      return new VisitorLoad({
        url,
        site,
        count,
        concurrency,
        ...local,
        pages: num('pages'),
        dwellMs: [num('dwell-min'), Math.max(num('dwell-min'), num('dwell-max'))],
        kbShare: num('kb-share'),
        inviteAfterSeconds: num('invite-after'),
        spreadMs: num('spread'),
        connectWaitMs: num('connect-wait', 1),
      })
    case 'operators':
      return new OperatorLoad({
        url,
        site,
        token: token(),
        count,
        concurrency,
        durationMs: num('duration') * 1000,
        window: values.window === '1',
        ...local,
      })
    case 'storm':
      return new ReconnectStorm({
        url,
        site,
        count,
        concurrency,
        rounds: num('rounds', 1),
        jitterMs: num('jitter'),
        pauseMs: num('pause'),
        ...local,
      })
    case 'chat':
      return new ChatLoad({
        operatorUrl: url,
        visitorUrl: values['visitor-url'] ?? url,
        site,
        token: token(),
        messages: num('messages', 1),
        intervalMs: num('interval'),
      })
    case 'events':
      return new EventLoad({ url, site, count, concurrency, frames: num('frames'), roundMs: num('round-ms'), ...local })
    default:
      throw new Error(USAGE)
  }
}

/** Human summary of a report on stderr: every latency summary on its own line. */
function describe(label: string, report: object): void {
  const lines = Object.entries(report).map(([key, value]) => {
    if (value && typeof value === 'object' && 'p50' in value) return `  ${key}: ${formatLatency(value as never)}`
    if (Array.isArray(value)) return `  ${key}: [${value.length} values]`
    return `  ${key}: ${JSON.stringify(value)}`
  })
  process.stderr.write(`${label}\n${lines.join('\n')}\n`)
}

/** Raw series stay out of the printed JSON; drivers get them over IPC. */
const printable = (report: object): object =>
  Object.fromEntries(Object.entries(report).filter(([, v]) => !Array.isArray(v)))

async function driven(s: Scenario, send: (m: GeneratorReport) => Promise<void>): Promise<void> {
  const commands: GeneratorCommand[] = []
  let wake: (() => void) | undefined
  process.on('message', (m: GeneratorCommand) => {
    commands.push(m)
    wake?.()
  })
  const command = async (): Promise<GeneratorCommand> => {
    while (commands.length === 0) await new Promise<void>((resolve) => (wake = resolve))
    return commands.shift() as GeneratorCommand
  }
  await send({ phase: 'connected', report: await s.connect() })
  if ((await command()) === 'run') {
    await send({ phase: 'ran', report: await s.run() })
    await command()
  }
  await s.close()
  await send({ phase: 'closed' })
}

async function main(): Promise<void> {
  const maxSeconds = num('max-seconds', 1)
  // The hard bound: whatever happens, this process ends.
  setTimeout(() => {
    process.stderr.write(`load generator: --max-seconds ${maxSeconds} reached, exiting\n`)
    process.exit(3)
  }, maxSeconds * 1000).unref()
  const s = scenario()
  if (process.send) {
    const send = (m: GeneratorReport): Promise<void> =>
      new Promise((resolve) => process.send?.(m, undefined, {}, () => resolve()))
    // The driver went away: nobody will say `close`.
    const orphaned = (): never => process.exit(4)
    process.once('disconnect', orphaned)
    try {
      await driven(s, send)
    } catch (error) {
      await send({ phase: 'failed', error: error instanceof Error ? error.message : String(error) })
    }
    process.off('disconnect', orphaned)
    process.disconnect()
    return
  }
  const connect = await s.connect()
  describe(`${positionals[0]}: connected`, connect)
  const run = await s.run()
  describe(`${positionals[0]}: ran`, run)
  await s.close()
  process.stdout.write(`${JSON.stringify({ connect, run: printable(run) })}\n`)
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`load generator: ${error instanceof Error ? error.message : String(error)}\n`)
    process.exit(1)
  },
)
