import type { Bus, Subscription } from '../bus/bus.js'
import type { Logger } from '../logger.js'
import type { Store } from '../store/store.js'

export const COUNTERS = ['sent', 'shown', 'opened', 'dismissed', 'replied'] as const
export type Counter = (typeof COUNTERS)[number]
export type Counts = Record<Counter, number>

/** A campaign's live numbers: durable counters plus visitors eligible right now. */
export interface CampaignStatsView extends Counts {
  eligibleNow: number
}

const ELIGIBLE = (site: string): string => `beckon.eligible.${site}`
/** Another node's `{campaign: count}` as a Map: campaign ids are outside input, never object members. */
function eligibleCounts(input: object): Map<string, number> {
  const counts = new Map<string, number>()
  for (const [id, n] of Object.entries(input)) if (typeof n === 'number' && Number.isFinite(n)) counts.set(id, n)
  return counts
}

const zero = (): Counts => ({ sent: 0, shown: 0, opened: 0, dismissed: 0, replied: 0 })

/**
 * Per-campaign counters, durable and cluster-wide (bucket `stats`, key `SITE.CAMPAIGN`).
 * Increments are batched in memory and added by compare-and-set every `flushMs`, so a
 * busy campaign costs one write per interval, not one per event. `eligibleNow` sums the
 * counts every node publishes each refresh period (so it may lag by that much).
 */
export class CampaignStats {
  private pending = new Map<string, Counts>()
  /** Batches taken by flush() and not yet durable: still counted by view(). */
  private readonly inflight = new Set<Map<string, Counts>>()
  private readonly eligible = new Map<string, Map<string, { counts: Map<string, number>; at: number }>>()
  private readonly flushTimer: NodeJS.Timeout
  private readonly publishTimer: NodeJS.Timeout
  private readonly subscription: Subscription
  private flushing: Promise<void> = Promise.resolve()

  constructor(
    private readonly nodeId: string,
    private readonly store: Store,
    private readonly bus: Bus,
    private readonly localEligible: () => Map<string, Map<string, number>>,
    flushMs: number,
    private readonly refreshMs: number,
    private readonly log: Logger,
  ) {
    this.flushTimer = setInterval(() => void this.flush(), flushMs)
    this.publishTimer = setInterval(() => this.publishEligible(), refreshMs)
    this.subscription = bus.subscribe('beckon.eligible.*', (msg, subject) => {
      const { node, counts } = (msg ?? {}) as { node?: unknown; counts?: unknown }
      if (typeof node !== 'string' || node === this.nodeId || typeof counts !== 'object' || counts === null) return
      const site = subject.slice('beckon.eligible.'.length)
      let nodes = this.eligible.get(site)
      if (!nodes) this.eligible.set(site, (nodes = new Map()))
      nodes.set(node, { counts: eligibleCounts(counts), at: Date.now() })
    })
  }

  count(site: string, campaign: string, counter: Counter): void {
    const key = `${site}.${campaign}`
    let counts = this.pending.get(key)
    if (!counts) this.pending.set(key, (counts = zero()))
    counts[counter] += 1
  }

  async view(site: string, campaign: string): Promise<CampaignStatsView> {
    const key = `${site}.${campaign}`
    const stored = (await this.store.get<Counts>('stats', key))?.value ?? zero()
    const unwritten = [this.pending, ...this.inflight].map((batch) => batch.get(key) ?? zero())
    const cutoff = Date.now() - 3 * this.refreshMs
    let eligibleNow = this.localEligible().get(site)?.get(campaign) ?? 0
    for (const entry of this.eligible.get(site)?.values() ?? [])
      if (entry.at >= cutoff) eligibleNow += entry.counts.get(campaign) ?? 0
    const view = { eligibleNow } as CampaignStatsView
    for (const c of COUNTERS) view[c] = unwritten.reduce((sum, counts) => sum + counts[c], stored[c] ?? 0)
    return view
  }

  private publishEligible(): void {
    for (const [site, counts] of this.localEligible())
      this.bus.publish(ELIGIBLE(site), { node: this.nodeId, counts: Object.fromEntries(counts) })
  }

  /** Adds the batched increments to the Store; resolves when they are durable. */
  flush(): Promise<void> {
    const batch = this.pending
    this.pending = new Map()
    this.inflight.add(batch)
    this.flushing = this.flushing
      .then(() => this.write(batch))
      .catch((error: unknown) => this.log.error({ err: error }, 'campaign stats flush failed'))
      .finally(() => this.inflight.delete(batch))
    return this.flushing
  }

  private async write(batch: Map<string, Counts>): Promise<void> {
    for (const [key, delta] of batch) {
      for (let attempt = 0; ; attempt++) {
        const entry = await this.store.get<Counts>('stats', key)
        const next = zero()
        for (const c of COUNTERS) next[c] = (entry?.value[c] ?? 0) + delta[c]
        const ok = entry
          ? await this.store.update('stats', key, next, entry.revision)
          : await this.store.create('stats', key, next)
        if (ok !== false) {
          batch.delete(key)
          break
        }
        if (attempt === 20) {
          this.log.error({ key }, 'campaign stats contended, increments dropped')
          break
        }
      }
    }
  }

  async close(): Promise<void> {
    clearInterval(this.flushTimer)
    clearInterval(this.publishTimer)
    this.subscription.unsubscribe()
    await this.flush()
  }
}
