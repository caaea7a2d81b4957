import { spawn, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { delimiter, dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The repository root (this file is loadtest/runner/k6_process.ts). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')

export const K6_MISSING =
  'k6 not found: set K6=/path/to/k6, put k6 on PATH, or place it at ../shared/bin/k6 beside the clone. ' +
  'Get it from https://grafana.com/docs/k6/latest/set-up/install-k6/ (the scripts are tested on k6 v1.3.0).'

/** k6 to run: `K6` env, else `k6` on PATH, else `../shared/bin/k6` relative to the repository root. */
export function findK6(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.K6) return existsSync(env.K6) ? resolve(env.K6) : undefined
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, 'k6'))) return join(dir, 'k6')
  }
  const shared = resolve(REPO_ROOT, '../shared/bin/k6')
  return existsSync(shared) ? shared : undefined
}

/** `k6 version`'s first line, e.g. `k6 v1.3.0 (commit/…)`. */
export function k6Version(k6: string): string {
  const out = spawnSync(k6, ['version'], { encoding: 'utf8' })
  return (out.stdout ?? '').split('\n')[0]?.trim() ?? ''
}

/** One metric of k6's `--summary-export` JSON: counters have count, rates passes/fails, trends percentiles. */
export interface K6Metric {
  count?: number
  rate?: number
  passes?: number
  fails?: number
  value?: number
  avg?: number
  min?: number
  med?: number
  max?: number
  'p(90)'?: number
  'p(95)'?: number
  'p(99)'?: number
  /** Threshold expression → crossed (true means it failed). */
  thresholds?: Record<string, boolean>
}

export interface K6Summary {
  metrics: Record<string, K6Metric>
}

export interface K6Result {
  /** k6's exit code: 0 all thresholds passed, 99 some crossed, else the run broke. */
  code: number
  summary: K6Summary | undefined
  /** The tail of k6's stderr (its log, the scripts' console.warn), for diagnostics. */
  log: string
}

/** Thresholds the run crossed, as `metric: expression`. */
export function crossedThresholds(summary: K6Summary): string[] {
  const crossed: string[] = []
  for (const [name, metric] of Object.entries(summary.metrics)) {
    for (const [rule, failed] of Object.entries(metric.thresholds ?? {})) if (failed) crossed.push(`${name}: ${rule}`)
  }
  return crossed
}

/**
 * Runs one k6 script with `-e` env and returns its summary. The run is bounded by `timeoutMs`
 * (k6 is killed past it). `raiseFdLimit` lifts the k6 process's soft open-file limit to the
 * hard one (k6 holds one socket per VU, plus its own descriptors).
 */
export async function runK6(
  k6: string,
  script: string,
  env: Record<string, string>,
  opts: { timeoutMs: number; raiseFdLimit?: boolean },
): Promise<K6Result> {
  const dir = await mkdtemp(join(tmpdir(), 'beckon-k6-'))
  const summaryPath = join(dir, 'summary.json')
  // --address '': no REST API server (it would take the fixed port 6565).
  const args = [
    'run',
    '--quiet',
    '--no-color',
    '--address',
    '',
    '--summary-trend-stats',
    'avg,min,med,max,p(90),p(95),p(99)',
  ]
  args.push('--summary-export', summaryPath)
  for (const [name, value] of Object.entries(env)) args.push('-e', `${name}=${value}`)
  args.push(resolve(REPO_ROOT, script))
  const [command, argv] =
    opts.raiseFdLimit === true
      ? ['bash', ['-c', 'ulimit -n "$(ulimit -Hn)" && exec "$0" "$@"', k6, ...args]]
      : [k6, args]
  const child = spawn(command, argv, { stdio: ['ignore', 'ignore', 'pipe'] })
  let log = ''
  child.stderr.setEncoding('utf8')
  child.stderr.on('data', (chunk: string) => {
    log = (log + chunk).slice(-8000)
  })
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs)
  const code = await new Promise<number>((done) => child.on('close', (c, signal) => done(c ?? (signal ? 128 : 1))))
  clearTimeout(timer)
  let summary: K6Summary | undefined
  try {
    summary = JSON.parse(await readFile(summaryPath, 'utf8')) as K6Summary
  } catch {
    summary = undefined
  }
  await rm(dir, { recursive: true, force: true })
  return { code, summary, log }
}
