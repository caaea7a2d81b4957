import type { VisitorSummary } from '../../../shared/src/protocol.js'
import type { Bus, Subscription } from '../bus/bus.js'
import type { SiteRegistry } from '../site/site_registry.js'
import type { LiveVisitor } from '../visitor/live_visitor.js'
import type { VisitorHub, VisitorObserver } from '../visitor/visitor_hub.js'

/** A batch of visitor changes of one site from one node (subject `beckon.visitors.<site>`). */
export interface VisitorBatch {
  node: string
  upserts: VisitorSummary[]
  gone: string[]
}

export const visitorsSubject = (site: string): string => `beckon.visitors.${site}`
export const SYNC_SUBJECT = 'beckon.visitors_sync'

/** The departments a visitor belongs to: `context.department` (string or list) known to its site. */
export function visitorDepartments(visitor: LiveVisitor, siteDepartments: string[]): string[] {
  const raw = visitor.facts.get('context.department')
  const named = Array.isArray(raw) ? raw.map(String) : typeof raw === 'string' ? [raw] : []
  return named.filter((d) => siteDepartments.includes(d))
}

/**
 * Publishes this node's live visitors to the bus for every operator in the cluster.
 * Changes are coalesced: a visitor changed many times within one interval is sent once.
 * Only sites with an operator online anywhere are published (nobody else reads the list);
 * when a site's first operator comes online, all its visitors are sent. Every `refreshMs`
 * (and when a node asks on `beckon.visitors_sync`) all watched visitors are sent again,
 * which lets directories expire the visitors of nodes that died.
 */
export class VisitorFeed implements VisitorObserver {
  private readonly dirty = new Map<string, LiveVisitor>()
  private readonly goneIds = new Map<string, Set<string>>()
  private flushTimer: NodeJS.Timeout | undefined
  private readonly refreshTimer: NodeJS.Timeout
  private readonly subscription: Subscription

  constructor(
    private readonly nodeId: string,
    private readonly hub: VisitorHub,
    private readonly sites: SiteRegistry,
    private readonly bus: Bus,
    private readonly intervalMs: number,
    refreshMs: number,
    /** Whether any operator of the site is online in the cluster. */
    private readonly watched: (site: string) => boolean,
  ) {
    hub.observe(this)
    this.refreshTimer = setInterval(() => this.publishAll(), refreshMs)
    this.subscription = bus.subscribe(SYNC_SUBJECT, () => this.publishAll())
  }

  changed(visitor: LiveVisitor): void {
    this.goneIds.get(visitor.site)?.delete(visitor.id)
    if (!this.watched(visitor.site)) return
    this.dirty.set(`${visitor.site}.${visitor.id}`, visitor)
    this.schedule()
  }

  gone(visitor: LiveVisitor): void {
    this.dirty.delete(`${visitor.site}.${visitor.id}`)
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

  /** Publishes what changed since the last flush. */
  flush(): void {
    clearTimeout(this.flushTimer)
    this.flushTimer = undefined
    const bySite = new Map<string, VisitorSummary[]>()
    for (const visitor of this.dirty.values()) {
      let list = bySite.get(visitor.site)
      if (!list) bySite.set(visitor.site, (list = []))
      list.push(this.summary(visitor))
    }
    this.dirty.clear()
    for (const site of new Set([...bySite.keys(), ...this.goneIds.keys()])) {
      const batch: VisitorBatch = {
        node: this.nodeId,
        upserts: bySite.get(site) ?? [],
        gone: [...(this.goneIds.get(site) ?? [])],
      }
      this.bus.publish(visitorsSubject(site), batch)
    }
    this.goneIds.clear()
  }

  private publishAll(): void {
    for (const visitor of this.hub.visitors())
      if (this.watched(visitor.site)) this.dirty.set(`${visitor.site}.${visitor.id}`, visitor)
    this.flush()
  }

  /** A site's first operator came online: its visitors go out now. */
  siteWatched(site: string): void {
    for (const visitor of this.hub.visitors(site)) this.dirty.set(`${visitor.site}.${visitor.id}`, visitor)
    this.schedule()
  }

  close(): void {
    this.flush()
    clearInterval(this.refreshTimer)
    this.subscription.unsubscribe()
  }
}
