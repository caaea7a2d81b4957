import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'

/**
 * The process's soft RLIMIT_NOFILE (Node has no API for it; Node raises the soft limit to the
 * hard one at startup, so this is what the process really has). Linux: /proc/self/limits.
 * Elsewhere: `ulimit -n` of a child shell, which inherits the limit. Undefined when unlimited
 * or unknown: then no socket cap is derived.
 */
export function openFileLimit(): number | undefined {
  let soft: string | undefined
  try {
    soft = /^Max open files\s+(\S+)/m.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1]
  } catch {
    try {
      soft = execFileSync('/bin/sh', ['-c', 'ulimit -n'], { encoding: 'utf8', timeout: 2000 }).trim()
    } catch {
      return undefined
    }
  }
  return soft !== undefined && /^\d+$/.test(soft) ? Number(soft) : undefined
}
