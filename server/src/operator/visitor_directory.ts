import type { VisitorSummary } from '../../../shared/src/protocol.js'
import type { Bus, Subscription } from '../bus/bus.js'
import { SYNC_SUBJECT, type VisitorBatch } from './visitor_feed.js'

interface Listing {
  summary: VisitorSummary
  node: string
  seenAt: number
}

/** Told about directory changes of a site (already coalesced by the publishing feeds). */
export interface DirectoryListener {
  upserted(site: string, summaries: VisitorSummary[]): void
  removed(site: string, summaries: VisitorSummary[]): void
}

/**
 * Every live visitor of the cluster, per site, as the nodes' VisitorFeeds publish them.
 * A visitor belongs to the node that published it last: a `gone` from an older node is
 * ignored, and a node silent for three refresh periods loses its visitors.
 */
export class VisitorDirectory {
  private readonly sites = new Map<string, Map<string, Listing>>()
  private readonly listeners = new Set<DirectoryListener>()
  private readonly subscription: Subscription
  private readonly sweepTimer: NodeJS.Timeout

  constructor(
    bus: Bus,
    private readonly refreshMs: number,
  ) {
    this.subscription = bus.subscribe('beckon.visitors.*', (msg, subject) => this.apply(subject.slice('beckon.visitors.'.length), msg as VisitorBatch))
    this.sweepTimer = setInterval(() => this.sweep(), refreshMs)
    bus.publish(SYNC_SUBJECT, {})
  }

  listen(listener: DirectoryListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  list(site: string): VisitorSummary[] {
    return [...(this.sites.get(site)?.values() ?? [])].map((l) => l.summary)
  }

  get(site: string, visitor: string): VisitorSummary | undefined {
    return this.sites.get(site)?.get(visitor)?.summary
  }

  private apply(site: string, batch: VisitorBatch): void {
    if (!batch || typeof batch.node !== 'string' || !Array.isArray(batch.upserts) || !Array.isArray(batch.gone)) return
    let listings = this.sites.get(site)
    if (!listings) this.sites.set(site, (listings = new Map()))
    const now = Date.now()
    for (const summary of batch.upserts) listings.set(summary.id, { summary, node: batch.node, seenAt: now })
    const removed: VisitorSummary[] = []
    for (const id of batch.gone) {
      const listing = listings.get(id)
      if (listing?.node !== batch.node) continue
      listings.delete(id)
      removed.push(listing.summary)
    }
    for (const listener of this.listeners) {
      if (batch.upserts.length > 0) listener.upserted(site, batch.upserts)
      if (removed.length > 0) listener.removed(site, removed)
    }
  }

  private sweep(): void {
    const cutoff = Date.now() - 3 * this.refreshMs
    for (const [site, listings] of this.sites) {
      const expired = [...listings.values()].filter((l) => l.seenAt < cutoff).map((l) => l.summary)
      for (const summary of expired) listings.delete(summary.id)
      if (expired.length > 0) for (const listener of this.listeners) listener.removed(site, expired)
    }
  }

  close(): void {
    clearInterval(this.sweepTimer)
    this.subscription.unsubscribe()
  }
}
