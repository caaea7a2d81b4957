import { readFile } from 'node:fs/promises'

/**
 * The kernel's accept-queue counters (TcpExt ListenOverflows / ListenDrops in
 * /proc/net/netstat, what `nstat -az TcpExtListenOverflows TcpExtListenDrops` prints). They
 * count SYNs and handshakes dropped because a listen socket's accept queue was full: the
 * dials that then wait for a SYN retransmit (1 s, 3 s, 7 s, 15 s, 31 s). Machine-wide since
 * boot, so a delta over a run also counts other processes' listeners on the machine.
 */
export interface ListenCounters {
  overflows: number
  drops: number
}

export async function listenCounters(): Promise<ListenCounters | undefined> {
  const text = await readFile('/proc/net/netstat', 'utf8').catch(() => '')
  const lines = text.split('\n').filter((line) => line.startsWith('TcpExt:'))
  const names = lines[0]?.split(/\s+/) ?? []
  const values = lines[1]?.split(/\s+/) ?? []
  const field = (name: string) => Number(values[names.indexOf(name)])
  const overflows = field('ListenOverflows')
  const drops = field('ListenDrops')
  return Number.isFinite(overflows) && Number.isFinite(drops) ? { overflows, drops } : undefined
}

/**
 * The longest event-loop stall of a node while it runs: polls its /metrics every second
 * (prom-client resets `nodejs_eventloop_lag_max_seconds` at each scrape, so each poll reads
 * the worst stall since the previous one) and keeps the maximum, in ms.
 */
export class LoopLagProbe {
  private worst = 0
  private readonly timer: NodeJS.Timeout
  private polling = false

  constructor(private readonly base: string) {
    this.timer = setInterval(() => void this.poll(), 1000)
  }

  private async poll(): Promise<void> {
    if (this.polling) return // a stalled node answers late: one scrape at a time
    this.polling = true
    try {
      const text = await (await fetch(`${this.base}/metrics`, { signal: AbortSignal.timeout(30_000) })).text()
      const seconds = Number(/^nodejs_eventloop_lag_max_seconds(?:\{[^}]*\})? (\S+)$/m.exec(text)?.[1])
      if (Number.isFinite(seconds)) this.worst = Math.max(this.worst, seconds * 1000)
    } catch {
      // A scrape lost to a stall longer than its timeout: the next one reads that stall.
    } finally {
      this.polling = false
    }
  }

  /** Stops polling; the worst stall seen, in ms. */
  stop(): number {
    clearInterval(this.timer)
    return this.worst
  }
}
