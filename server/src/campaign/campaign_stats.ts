import type { Bus, Subscription } from '../bus/bus.js'
import type { Logger } from '../logger.js'
import type { Store } from '../store/store.js'

export const COUNTERS = ['sent', 'shown', 'opened', 'dismissed', 'replied', 'clicked'] as const
export type Counter = (typeof COUNTERS)[number]
export type Counts = Record<Counter, number>

/** Counts per A/B variant id (a null-prototype object: ids come from campaign definitions). */
export type VariantCounts = Record<string, Counts>

/** A campaign's numbers for today (UTC) plus visitors eligible right now. */
export interface CampaignStatsView extends Counts {
  eligibleNow: number
  /** Only for campaigns whose invitations carried variants today. */
  variants?: VariantCounts
}

export type StatsStep = 'hour' | 'day'

export interface StatsSeries {
  /** One point per step from `from` (rounded down to the step) to `to`, empty ones as zeros. */
  series: Array<{ at: string } & Counts>
  variants: VariantCounts
}

/** One stored row: [epoch hour, variant id ('' when none), ...counts in COUNTERS order]. */
type Row = [number, string, ...number[]]
/** The stored value of one campaign's UTC day. */
interface DayRecord {
  rows: Row[]
}
/** Unwritten increments of one day key, by `${hour}|${variant}`. */
type Batch = Map<string, Map<string, Counts>>

const HOUR_MS = 3_600_000
const DAY_HOURS = 24
const ELIGIBLE = (site: string): string => `beckon.eligible.${site}`
/** Another node's `{campaign: count}` as a Map: campaign ids are outside input, never object members. */
function eligibleCounts(input: object): Map<string, number> {
  const counts = new Map<string, number>()
  for (const [id, n] of Object.entries(input)) if (typeof n === 'number' && Number.isFinite(n)) counts.set(id, n)
  return counts
}

export const zeroCounts = (): Counts => ({ sent: 0, shown: 0, opened: 0, dismissed: 0, replied: 0, clicked: 0 })
const add = (into: Counts, from: Counts): void => {
  for (const c of COUNTERS) into[c] += from[c]
}
const isoDay = (day: number): string => new Date(day * DAY_HOURS * HOUR_MS).toISOString().slice(0, 10)
const dayKey = (site: string, campaign: string, day: number): string => `${site}.${campaign}.d${isoDay(day)}`

function rowsOf(value: unknown): Array<{ hour: number; variant: string; counts: Counts }> {
  const rows = (value as Partial<DayRecord> | undefined)?.rows
  if (!Array.isArray(rows)) return []
  return rows.map(([hour, variant, ...numbers]) => {
    const counts = zeroCounts()
    COUNTERS.forEach((c, i) => {
      counts[c] = Number(numbers[i]) || 0
    })
    return { hour: Number(hour), variant: String(variant ?? ''), counts }
  })
}

/**
 * Per-campaign counters in hour buckets, durable and cluster-wide (bucket `stats`, one key per
 * campaign and UTC day: `SITE.CAMPAIGN.dYYYY-MM-DD`, rows per hour and A/B variant). Increments
 * are batched in memory and added by compare-and-set every `flushMs`, so a busy campaign costs
 * one write per interval, not one per event; reads include this node's unwritten increments, so
 * another node's may lag by one interval. `eligibleNow` sums the counts every node publishes each
 * refresh period (so it may lag by that much).
 */
export class CampaignStats {
  private pending: Batch = new Map()
  /** Batches taken by flush() and not yet durable: still counted by reads. */
  private readonly inflight = new Set<Batch>()
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

  /** Counts one event now, for the campaign and (if any) the variant the visitor got. */
  count(site: string, campaign: string, counter: Counter, variant = ''): void {
    const hour = Math.floor(Date.now() / HOUR_MS)
    const key = dayKey(site, campaign, Math.floor(hour / DAY_HOURS))
    let rows = this.pending.get(key)
    if (!rows) this.pending.set(key, (rows = new Map()))
    const row = `${hour}|${variant}`
    let counts = rows.get(row)
    if (!counts) rows.set(row, (counts = zeroCounts()))
    counts[counter] += 1
  }

  /** Today's (UTC) totals, per variant too, and the visitors eligible now. */
  async view(site: string, campaign: string): Promise<CampaignStatsView> {
    const now = Date.now()
    const from = Math.floor(now / (DAY_HOURS * HOUR_MS)) * DAY_HOURS * HOUR_MS
    const { series, variants } = await this.series(site, campaign, from, now + 1, 'day')
    const view: CampaignStatsView = { eligibleNow: this.eligibleNow(site, campaign), ...zeroCounts() }
    for (const point of series) for (const c of COUNTERS) view[c] += point[c]
    if (Object.keys(variants).length > 0) view.variants = variants
    return view
  }

  /** Counts in [from, to) per step (UTC hours or days), plus per-variant totals over the range. */
  async series(site: string, campaign: string, from: number, to: number, step: StatsStep): Promise<StatsSeries> {
    const stepHours = step === 'hour' ? 1 : DAY_HOURS
    const firstHour = Math.floor(from / HOUR_MS / stepHours) * stepHours
    const endHour = Math.ceil(to / HOUR_MS)
    const points = new Map<number, Counts>()
    for (let h = firstHour; h < endHour; h += stepHours) points.set(h, zeroCounts())
    const variants: VariantCounts = Object.create(null)
    const collect = (hour: number, variant: string, counts: Counts) => {
      if (hour < firstHour || hour >= endHour) return
      const point = points.get(firstHour + Math.floor((hour - firstHour) / stepHours) * stepHours)
      if (point) add(point, counts)
      if (variant !== '') add((variants[variant] ??= zeroCounts()), counts)
    }
    const lastDay = Math.floor((endHour - 1) / DAY_HOURS)
    for (let day = Math.floor(firstHour / DAY_HOURS); day <= lastDay; day++) {
      const key = dayKey(site, campaign, day)
      const stored = await this.store.get<DayRecord>('stats', key)
      for (const row of rowsOf(stored?.value)) collect(row.hour, row.variant, row.counts)
      for (const batch of [this.pending, ...this.inflight]) {
        for (const [row, counts] of batch.get(key) ?? []) {
          const [hour = '', variant = ''] = row.split('|')
          collect(Number(hour), variant, counts)
        }
      }
    }
    return {
      series: [...points].map(([hour, counts]) => ({ at: new Date(hour * HOUR_MS).toISOString(), ...counts })),
      variants,
    }
  }

  private eligibleNow(site: string, campaign: string): number {
    const cutoff = Date.now() - 3 * this.refreshMs
    let eligibleNow = this.localEligible().get(site)?.get(campaign) ?? 0
    for (const entry of this.eligible.get(site)?.values() ?? [])
      if (entry.at >= cutoff) eligibleNow += entry.counts.get(campaign) ?? 0
    return eligibleNow
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

  private async write(batch: Batch): Promise<void> {
    for (const [key, delta] of batch) {
      for (let attempt = 0; ; attempt++) {
        const entry = await this.store.get<DayRecord>('stats', key)
        const merged = new Map<string, Counts>()
        for (const row of rowsOf(entry?.value)) merged.set(`${row.hour}|${row.variant}`, row.counts)
        for (const [row, counts] of delta) {
          const into = merged.get(row)
          if (into) add(into, counts)
          else merged.set(row, { ...counts })
        }
        const next: DayRecord = {
          rows: [...merged].map(([row, counts]) => {
            const [hour = '', variant = ''] = row.split('|')
            return [Number(hour), variant, ...COUNTERS.map((c) => counts[c])]
          }),
        }
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
