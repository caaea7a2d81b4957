import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'

/** Kernel clock ticks per second, the unit of utime/stime in /proc/PID/stat. */
const TICKS = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100

/** User + system CPU time a process has used so far, in seconds (Linux /proc; tick resolution). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / TICKS
}

/** Resident set size of a process, in KiB. */
export function rssKb(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  if (!match) throw new Error(`no VmRSS for pid ${pid}`)
  return Number(match[1])
}

/** Open file descriptors of a process. */
export function openFds(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length
}

/** The soft limit on open files of a process. */
export function fdLimit(pid: number): number {
  const match = /^Max open files\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'))
  return Number(match?.[1] ?? NaN)
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Waits until a process's CPU time stops growing faster than `idleRate` (CPU seconds per second,
 * its background timers) over `windowMs`, or `maxMs` passed: the work it was given is done.
 */
export async function settle(
  pid: number,
  opts: { idleRate: number; windowMs?: number; minMs?: number; maxMs?: number },
): Promise<void> {
  const windowMs = opts.windowMs ?? 500
  const began = Date.now()
  await sleep(opts.minMs ?? 0)
  let last = cpuSeconds(pid)
  while (Date.now() - began < (opts.maxMs ?? 10_000)) {
    await sleep(windowMs)
    const now = cpuSeconds(pid)
    if ((now - last) / (windowMs / 1000) <= opts.idleRate * 1.5 + 0.02) return
    last = now
  }
}
