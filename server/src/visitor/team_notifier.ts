import type { TeamState } from '../../../shared/src/protocol.js'

const same = (a: TeamState, b: TeamState): boolean => a.online === b.online && a.available === b.available

/**
 * Tells a site's visitor tabs when its team's availability changes, at most once per
 * `intervalMs` per site: a change inside the interval is sent when it ends, and only if the
 * state still differs from what was sent last (a flapping operator costs one frame).
 */
export class TeamNotifier {
  /** `mixed`: a tab was welcomed with another state than `sent` inside the interval, so the next flush sends. */
  private readonly sites = new Map<string, { sent: TeamState; timer: NodeJS.Timeout; mixed?: boolean }>()

  constructor(
    private readonly intervalMs: number,
    private readonly state: (site: string) => TeamState,
    private readonly send: (site: string, state: TeamState) => void,
  ) {}

  /**
   * The state for a new tab's welcome. Inside an interval the tabs may have been sent an older
   * state than this one: then the pending flush sends the latest to all, even if it equals that older one.
   */
  welcome(site: string): TeamState {
    const current = this.state(site)
    const pending = this.sites.get(site)
    if (pending && !same(pending.sent, current)) pending.mixed = true
    return current
  }

  changed(site: string): void {
    if (this.sites.has(site)) return // the pending timer sends the latest state
    this.flush(site)
  }

  private flush(site: string): void {
    const current = this.state(site)
    const last = this.sites.get(site)
    if (last && !last.mixed && same(last.sent, current)) {
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
