import type { TeamState } from '../../../shared/src/protocol.js'

/**
 * Tells a site's visitor tabs when its team's availability changes, at most once per
 * `intervalMs` per site: a change inside the interval is sent when it ends, and only if the
 * state still differs from what was sent last (a flapping operator costs one frame).
 */
export class TeamNotifier {
  private readonly sites = new Map<string, { sent: TeamState; timer: NodeJS.Timeout }>()

  constructor(
    private readonly intervalMs: number,
    private readonly state: (site: string) => TeamState,
    private readonly send: (site: string, state: TeamState) => void,
  ) {}

  changed(site: string): void {
    if (this.sites.has(site)) return // the pending timer sends the latest state
    this.flush(site)
  }

  private flush(site: string): void {
    const current = this.state(site)
    const last = this.sites.get(site)?.sent
    if (last && last.online === current.online && last.available === current.available) {
      this.sites.delete(site)
      return
    }
    this.send(site, current)
    const timer = setTimeout(() => this.flush(site), this.intervalMs)
    timer.unref()
    this.sites.set(site, { sent: current, timer })
  }

  close(): void {
    for (const { timer } of this.sites.values()) clearTimeout(timer)
    this.sites.clear()
  }
}
