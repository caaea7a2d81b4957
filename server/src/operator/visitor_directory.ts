import type { VisitorSummary } from '../../../shared/src/protocol.js'
import type { Bus, Subscription } from '../bus/bus.js'
import { SYNC_SUBJECT, type VisitorBatch } from './visitor_feed.js'

interface Listing {
  summary: VisitorSummary
  node: string
  seenAt: number
}

/** This node's live visitors, as summaries made when asked. */
export interface LocalVisitors {
  list(site: string): VisitorSummary[]
  get(site: string, visitor: string): VisitorSummary | undefined
}

/** Told about directory changes of a site (already coalesced by the publishing feeds). */
export interface DirectoryListener {
  upserted(site: string, summaries: VisitorSummary[]): void
  removed(site: string, ids: string[]): void
}

/**
 * Every live visitor of the cluster, per site: this node's straight from its hub, other
 * nodes' as their VisitorFeeds publish them.
 * A visitor belongs to the node that published it last: a `gone` from an older node is
 * ignored, and a node silent for three refresh periods loses its visitors.
 */
export class VisitorDirectory {
  private readonly sites = new Map<string, Map<string, Listing>>()
  private readonly listeners = new Set<DirectoryListener>()
  private readonly subscription: Subscription
  private readonly sweepTimer: NodeJS.Timeout

  constructor(
    private readonly nodeId: string,
    bus: Bus,
    private readonly refreshMs: number,
    /** This node's own visitors, summarised on demand rather than copied. */
    private readonly local: LocalVisitors,
  ) {
    this.subscription = bus.subscribe('beckon.visitors.*', (msg, subject) =>
      this.apply(subject.slice('beckon.visitors.'.length), msg as VisitorBatch),
    )
    this.sweepTimer = setInterval(() => this.sweep(), refreshMs)
    bus.publish(SYNC_SUBJECT, {})
  }

  listen(listener: DirectoryListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  list(site: string): VisitorSummary[] {
    return [...this.local.list(site), ...[...(this.sites.get(site)?.values() ?? [])].map((l) => l.summary)]
  }

  get(site: string, visitor: string): VisitorSummary | undefined {
    return this.local.get(site, visitor) ?? this.sites.get(site)?.get(visitor)?.summary
  }

  private apply(site: string, batch: VisitorBatch): void {
    if (!batch || typeof batch.node !== 'string' || !Array.isArray(batch.upserts) || !Array.isArray(batch.gone)) return
    let listings = this.sites.get(site)
    if (!listings) this.sites.set(site, (listings = new Map()))
    const now = Date.now()
    const own = batch.node === this.nodeId
    for (const summary of batch.upserts) {
      // This node's visitors are read live from its hub; one that moved here is no longer another node's.
      if (own) listings.delete(summary.id)
      else listings.set(summary.id, { summary, node: batch.node, seenAt: now })
    }
    const removed = batch.gone.filter((id) => {
      if (own) return true
      if (listings.get(id)?.node !== batch.node) return false
      return listings.delete(id)
    })
    for (const listener of this.listeners) {
      if (batch.upserts.length > 0) listener.upserted(site, batch.upserts)
      if (removed.length > 0) listener.removed(site, removed)
    }
  }

  private sweep(): void {
    const cutoff = Date.now() - 3 * this.refreshMs
    for (const [site, listings] of this.sites) {
      const expired = [...listings.values()].filter((l) => l.seenAt < cutoff).map((l) => l.summary.id)
      for (const id of expired) listings.delete(id)
      if (expired.length > 0) for (const listener of this.listeners) listener.removed(site, expired)
    }
  }

  close(): void {
    clearInterval(this.sweepTimer)
    this.subscription.unsubscribe()
  }
}
