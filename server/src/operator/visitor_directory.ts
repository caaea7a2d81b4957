import { randomBytes } from 'node:crypto'
import type { VisitorSummary } from '../../../shared/src/protocol.js'
import type { Bus, Subscription } from '../bus/bus.js'
import {
  INTEREST_SUBJECT,
  SNAPSHOT_SUBJECT,
  snapshotAnswers,
  visitorsSubject,
  type InterestMessage,
  type SnapshotAnswer,
  type SnapshotRequest,
  type VisitorBatch,
} from './visitor_feed.js'

interface Listing {
  summary: VisitorSummary
  node: string
  seenAt: number
}

/** A site some operator of this node watches: every live visitor of it, cluster-wide. */
interface SiteCopy {
  listings: Map<string, Listing>
  watchers: number
  subscription: Subscription
  /** Resolves once every live node answered the snapshot request (or the timeout passed). */
  ready: Promise<void>
}

/** This node's live visitors, as summaries made when asked. */
export interface LocalVisitors {
  list(site: string): VisitorSummary[]
  get(site: string, visitor: string): VisitorSummary | undefined
}

/** Told about directory changes of a watched site (already coalesced by the publishing feeds). */
export interface DirectoryListener {
  upserted(site: string, summaries: VisitorSummary[]): void
  removed(site: string, ids: string[]): void
}

export interface DirectoryOptions {
  refreshMs: number
  /** How long a first watch waits for the other nodes' snapshots. */
  snapshotTimeoutMs: number
  /** Every node alive now (this one included): the snapshot waits for each. */
  aliveNodes: () => Promise<string[]>
  /** Told the number of other nodes' visitors held (gauge `beckon_directory_remote_visitors`). */
  remoteCount: (count: number) => void
}

/**
 * The live visitors of the sites this node's operators watch, and only those (fan-out by
 * interest). The first watch of a site subscribes to `beckon.visitors.<site>`, tells the
 * owners (`beckon.directory.interest`) and asks every live node for its visitors of the site
 * (`beckon.directory.snapshot`): `watch()` resolves once all answered, so the first
 * snapshot is complete. Answers and deltas of one node arrive in publish order, so a delta
 * published after a node's answer is applied after it. The last unwatch drops the copies.
 * A visitor belongs to the node that published it last: a `gone` from an older node is
 * ignored, and a node silent for three refresh periods loses its visitors.
 */
export class VisitorDirectory {
  private readonly sites = new Map<string, SiteCopy>()
  private readonly listeners = new Set<DirectoryListener>()
  private readonly pending = new Map<string, { site: string; answered: Set<string>; progress: () => void }>()
  private readonly subscriptions: Subscription[]
  private readonly timers: NodeJS.Timeout[]
  private remote = 0

  constructor(
    private readonly nodeId: string,
    private readonly bus: Bus,
    private readonly local: LocalVisitors,
    private readonly opts: DirectoryOptions,
  ) {
    this.subscriptions = [bus.subscribe(snapshotAnswers(nodeId), (msg) => this.answered(msg as SnapshotAnswer))]
    this.timers = [setInterval(() => this.sweep(), opts.refreshMs), setInterval(() => this.announce(), opts.refreshMs)]
  }

  listen(listener: DirectoryListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** Whether an operator of this node watches the site. */
  watches(site: string): boolean {
    return this.sites.has(site)
  }

  /** One more watcher of the site; resolves once the site's list is complete. */
  watch(site: string): Promise<void> {
    const copy = this.sites.get(site)
    if (copy) {
      copy.watchers += 1
      return copy.ready
    }
    const listings = new Map<string, Listing>()
    const now = Date.now()
    for (const summary of this.local.list(site)) listings.set(summary.id, { summary, node: this.nodeId, seenAt: now })
    const subscription = this.bus.subscribe(visitorsSubject(site), (msg) => this.received(site, msg as VisitorBatch))
    const created: SiteCopy = { listings, watchers: 1, subscription, ready: Promise.resolve() }
    this.sites.set(site, created)
    this.announce()
    created.ready = this.gather(site)
    return created.ready
  }

  /** The site's list is complete (the pending first snapshot, if any, has been gathered). */
  ready(site: string): Promise<void> {
    return this.sites.get(site)?.ready ?? Promise.resolve()
  }

  /** One watcher less; the last one drops the site's copies and subscription. */
  unwatch(site: string): void {
    const copy = this.sites.get(site)
    if (!copy) return
    copy.watchers -= 1
    if (copy.watchers > 0) return
    copy.subscription.unsubscribe()
    this.sites.delete(site)
    for (const listing of copy.listings.values()) if (listing.node !== this.nodeId) this.remote -= 1
    this.opts.remoteCount(this.remote)
    this.announce()
  }

  /** Every live visitor of a watched site (none for a site not watched here). */
  *list(site: string): Iterable<VisitorSummary> {
    for (const listing of this.sites.get(site)?.listings.values() ?? []) yield listing.summary
  }

  get(site: string, visitor: string): VisitorSummary | undefined {
    return this.local.get(site, visitor) ?? this.sites.get(site)?.listings.get(visitor)?.summary
  }

  /** Finds a live visitor anywhere in the cluster; a site not watched here is gathered once for it. */
  async find(site: string, visitor: string): Promise<VisitorSummary | undefined> {
    const here = this.get(site, visitor)
    if (here) return here
    if (this.sites.has(site)) {
      await this.ready(site)
      return this.get(site, visitor)
    }
    try {
      await this.watch(site)
      return this.get(site, visitor)
    } finally {
      this.unwatch(site)
    }
  }

  /** Changes of this node's own visitors, straight from its VisitorFeed. */
  applyLocal(site: string, upserts: VisitorSummary[], gone: string[]): void {
    this.apply(site, this.nodeId, upserts, gone)
  }

  private received(site: string, batch: VisitorBatch): void {
    if (!batch || typeof batch.node !== 'string' || !Array.isArray(batch.upserts) || !Array.isArray(batch.gone)) return
    if (batch.node === this.nodeId) return
    this.apply(site, batch.node, batch.upserts, batch.gone)
  }

  private apply(site: string, node: string, upserts: VisitorSummary[], gone: string[]): void {
    const copy = this.sites.get(site)
    if (!copy) return
    const now = Date.now()
    for (const summary of upserts) {
      const before = copy.listings.get(summary.id)
      if (before && before.node !== this.nodeId) this.remote -= 1
      if (node !== this.nodeId) this.remote += 1
      copy.listings.set(summary.id, { summary, node, seenAt: now })
    }
    const removed = gone.filter((id) => {
      const listing = copy.listings.get(id)
      // A visitor that moved keeps the listing of its new node.
      if (listing?.node !== node) return false
      if (node !== this.nodeId) this.remote -= 1
      return copy.listings.delete(id)
    })
    this.opts.remoteCount(this.remote)
    for (const listener of this.listeners) {
      if (upserts.length > 0) listener.upserted(site, upserts)
      if (removed.length > 0) listener.removed(site, removed)
    }
  }

  /** Asks every node for its visitors of the site; resolves when all live nodes answered or on timeout. */
  private async gather(site: string): Promise<void> {
    const id = randomBytes(8).toString('hex')
    let progress = (): void => undefined
    const answered = new Set<string>([this.nodeId])
    this.pending.set(id, { site, answered, progress: () => progress() })
    this.bus.publish(SNAPSHOT_SUBJECT, { id, from: this.nodeId, site } satisfies SnapshotRequest)
    try {
      // Without the liveness table (store down) the snapshot takes what arrives within the timeout.
      const expected = await this.opts.aliveNodes().catch(() => undefined)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.opts.snapshotTimeoutMs)
        progress = () => {
          if (!expected?.every((node) => answered.has(node))) return
          clearTimeout(timer)
          resolve()
        }
        progress()
      })
    } finally {
      this.pending.delete(id)
    }
  }

  /** One part of a node's snapshot: the first part replaces what that node listed before. */
  private answered(answer: SnapshotAnswer): void {
    if (!answer || typeof answer.id !== 'string' || typeof answer.node !== 'string' || !Array.isArray(answer.list))
      return
    const waiting = this.pending.get(answer.id)
    if (!waiting) return
    const copy = this.sites.get(waiting.site)
    if (copy && answer.part === 0) {
      const stale = [...copy.listings.values()].filter((l) => l.node === answer.node).map((l) => l.summary.id)
      this.apply(waiting.site, answer.node, [], stale)
    }
    this.apply(waiting.site, answer.node, answer.list, [])
    if (answer.last) {
      waiting.answered.add(answer.node)
      waiting.progress()
    }
  }

  /** Tells the owners which sites this node watches (on change and every refresh period). */
  private announce(): void {
    this.bus.publish(INTEREST_SUBJECT, { node: this.nodeId, sites: [...this.sites.keys()] } satisfies InterestMessage)
  }

  private sweep(): void {
    const cutoff = Date.now() - 3 * this.opts.refreshMs
    for (const [site, copy] of this.sites) {
      const expired = [...copy.listings.values()].filter((l) => l.node !== this.nodeId && l.seenAt < cutoff)
      for (const listing of expired) this.apply(site, listing.node, [], [listing.summary.id])
    }
  }

  /** The number of other nodes' visitors held now. */
  get remoteVisitors(): number {
    return this.remote
  }

  close(): void {
    for (const timer of this.timers) clearInterval(timer)
    for (const s of this.subscriptions) s.unsubscribe()
    for (const copy of this.sites.values()) copy.subscription.unsubscribe()
    this.sites.clear()
    this.announce()
  }
}
