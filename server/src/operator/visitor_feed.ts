import type { VisitorSummary } from '../../../shared/src/protocol.js'
import type { Bus, Subscription } from '../bus/bus.js'
import type { SiteRegistry } from '../site/site_registry.js'
import type { LiveVisitor } from '../visitor/live_visitor.js'
import type { VisitorHub, VisitorObserver } from '../visitor/visitor_hub.js'

/** A batch of visitor changes of one site from its owner (subject `beckon.visitors.<site>`). */
export interface VisitorBatch {
  node: string
  upserts: VisitorSummary[]
  gone: string[]
}

/** The sites a node's operators watch, in full (subject `beckon.directory.interest`). */
export interface InterestMessage {
  node: string
  sites: string[]
}

/** "Send me your visitors of this site" (subject `beckon.directory.snapshot`). */
export interface SnapshotRequest {
  id: string
  from: string
  site: string
}

/** One part of a node's answer (subject `beckon.node.<from>.directory`); `last` ends it. */
export interface SnapshotAnswer {
  id: string
  node: string
  part: number
  last: boolean
  list: VisitorSummary[]
}

export const visitorsSubject = (site: string): string => `beckon.visitors.${site}`
export const INTEREST_SUBJECT = 'beckon.directory.interest'
export const SNAPSHOT_SUBJECT = 'beckon.directory.snapshot'
export const snapshotAnswers = (node: string): string => `beckon.node.${node}.directory`

/**
 * Summaries per bus message: under NATS's 1 MB payload cap even when every string of every
 * summary is at its limit (about 11 KB each); typical messages are some 20 KB.
 */
const SUMMARIES_PER_MESSAGE = 50

/** The departments a `context.department` value (string or list) names that its site knows. */
export function contextDepartments(raw: unknown, siteDepartments: readonly string[]): string[] {
  const named = Array.isArray(raw) ? raw.map(String) : typeof raw === 'string' ? [raw] : []
  return named.filter((d) => siteDepartments.includes(d))
}

/** The departments a visitor belongs to: `context.department` (string or list) known to its site. */
export function visitorDepartments(visitor: LiveVisitor, siteDepartments: string[]): string[] {
  return contextDepartments(visitor.facts.get('context.department'), siteDepartments)
}

/** This node's own operators' watched sites, fed directly rather than over the bus. */
export interface LocalWatchers {
  watches(site: string): boolean
  applyLocal(site: string, upserts: VisitorSummary[], gone: string[]): void
}

/**
 * Publishes this node's live visitors to the nodes that watch their site, and nowhere else:
 * a site no operator watches costs no summary and no message. Changes are coalesced: a
 * visitor changed many times within one interval is sent once. A node asking for a
 * snapshot is answered with all its site's visitors and counts as interested from then on;
 * interest lapses when a node stops announcing it for three refresh periods. Every
 * `refreshMs` all watched visitors are sent again, which lets directories expire the
 * visitors of nodes that died.
 */
export class VisitorFeed implements VisitorObserver {
  private readonly dirty = new Set<LiveVisitor>()
  private readonly goneIds = new Map<string, Set<string>>()
  /** Other nodes' interest: node → sites and when it was last announced. */
  private readonly interest = new Map<string, { sites: Set<string>; seenAt: number }>()
  /** How many other nodes watch each site (derived from `interest`). */
  private readonly watchedRemotely = new Map<string, number>()
  private flushTimer: NodeJS.Timeout | undefined
  private readonly refreshTimer: NodeJS.Timeout
  private readonly subscriptions: Subscription[]

  constructor(
    private readonly nodeId: string,
    private readonly hub: VisitorHub,
    private readonly sites: SiteRegistry,
    private readonly bus: Bus,
    private readonly intervalMs: number,
    private readonly refreshMs: number,
    private readonly local: LocalWatchers,
  ) {
    hub.observe(this)
    this.refreshTimer = setInterval(() => this.refresh(), refreshMs)
    this.subscriptions = [
      bus.subscribe(INTEREST_SUBJECT, (msg) => this.interested(msg as InterestMessage)),
      bus.subscribe(SNAPSHOT_SUBJECT, (msg) => this.answer(msg as SnapshotRequest)),
    ]
  }

  /** Whether an operator anywhere (this node included) watches the site. */
  watched(site: string): boolean {
    return this.local.watches(site) || this.watchedRemotely.has(site)
  }

  changed(visitor: LiveVisitor): void {
    if (!this.watched(visitor.site)) return
    this.goneIds.get(visitor.site)?.delete(visitor.id)
    this.dirty.add(visitor)
    this.schedule()
  }

  gone(visitor: LiveVisitor): void {
    this.dirty.delete(visitor)
    if (!this.watched(visitor.site)) return
    let ids = this.goneIds.get(visitor.site)
    if (!ids) this.goneIds.set(visitor.site, (ids = new Set()))
    ids.add(visitor.id)
    this.schedule()
  }

  private schedule(): void {
    this.flushTimer ??= setTimeout(() => this.flush(), this.intervalMs)
  }

  summary(visitor: LiveVisitor): VisitorSummary {
    return visitor.summary(visitorDepartments(visitor, this.sites.get(visitor.site)?.departments ?? []))
  }

  /** Delivers what changed since the last flush: to this node's watchers, and published if others watch. */
  flush(): void {
    clearTimeout(this.flushTimer)
    this.flushTimer = undefined
    const bySite = new Map<string, VisitorSummary[]>()
    for (const visitor of this.dirty) {
      let list = bySite.get(visitor.site)
      if (!list) bySite.set(visitor.site, (list = []))
      list.push(this.summary(visitor))
    }
    this.dirty.clear()
    for (const site of new Set([...bySite.keys(), ...this.goneIds.keys()])) {
      const upserts = bySite.get(site) ?? []
      const gone = [...(this.goneIds.get(site) ?? [])]
      if (upserts.length === 0 && gone.length === 0) continue
      if (this.local.watches(site)) this.local.applyLocal(site, upserts, gone)
      if (!this.watchedRemotely.has(site)) continue
      for (let i = 0; i < Math.max(upserts.length, 1); i += SUMMARIES_PER_MESSAGE) {
        const batch: VisitorBatch = {
          node: this.nodeId,
          upserts: upserts.slice(i, i + SUMMARIES_PER_MESSAGE),
          gone: i === 0 ? gone : [],
        }
        this.bus.publish(visitorsSubject(site), batch)
      }
    }
    this.goneIds.clear()
  }

  /** Re-sends every remotely watched visitor and lets silent nodes' interest lapse. */
  private refresh(): void {
    const cutoff = Date.now() - 3 * this.refreshMs
    for (const [node, entry] of this.interest) if (entry.seenAt < cutoff) this.setInterest(node, [])
    for (const visitor of this.hub.visitors()) if (this.watchedRemotely.has(visitor.site)) this.dirty.add(visitor)
    this.flush()
  }

  private interested(msg: InterestMessage): void {
    if (!msg || typeof msg.node !== 'string' || !Array.isArray(msg.sites) || msg.node === this.nodeId) return
    this.setInterest(msg.node, msg.sites.map(String))
  }

  private setInterest(node: string, sites: string[]): void {
    const before = this.interest.get(node)?.sites ?? new Set<string>()
    const after = new Set(sites)
    for (const site of before) {
      if (after.has(site)) continue
      const count = (this.watchedRemotely.get(site) ?? 1) - 1
      if (count > 0) this.watchedRemotely.set(site, count)
      else this.watchedRemotely.delete(site)
    }
    for (const site of after)
      if (!before.has(site)) this.watchedRemotely.set(site, (this.watchedRemotely.get(site) ?? 0) + 1)
    if (after.size > 0) this.interest.set(node, { sites: after, seenAt: Date.now() })
    else this.interest.delete(node)
  }

  /** Answers a snapshot request with this node's visitors of the site, in parts. */
  private answer(request: SnapshotRequest): void {
    if (!request || typeof request.id !== 'string' || typeof request.from !== 'string') return
    if (typeof request.site !== 'string' || request.from === this.nodeId) return
    // Interested from now on: every change after this answer is published.
    const known = this.interest.get(request.from)?.sites ?? new Set<string>()
    if (!known.has(request.site)) this.setInterest(request.from, [...known, request.site])
    const list = [...this.hub.visitors(request.site)].map((v) => this.summary(v))
    const to = snapshotAnswers(request.from)
    let part = 0
    for (let i = 0; i === 0 || i < list.length; i += SUMMARIES_PER_MESSAGE) {
      const last = i + SUMMARIES_PER_MESSAGE >= list.length
      const answer: SnapshotAnswer = {
        id: request.id,
        node: this.nodeId,
        part: part++,
        last,
        list: list.slice(i, i + SUMMARIES_PER_MESSAGE),
      }
      this.bus.publish(to, answer)
    }
  }

  close(): void {
    this.flush()
    clearInterval(this.refreshTimer)
    for (const s of this.subscriptions) s.unsubscribe()
  }
}
