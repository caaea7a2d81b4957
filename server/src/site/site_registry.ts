import type { Bus, Subscription } from '../bus/bus.js'
import type { AckOutcome, ClusterAcks } from '../cluster/cluster_acks.js'
import type { Logger } from '../logger.js'
import type { Store } from '../store/store.js'
import { parseStoredSite, type Site } from './site.js'

const SUBJECT = 'beckon.site.changed'

/** Told on every node when a site changed there (created, updated, revocation added). */
export type SiteListener = (before: Site | undefined, after: Site | undefined) => void

/**
 * Every site, cached in memory so a WebSocket upgrade can check its origin synchronously.
 * Writes go to the Store first, then a bus message makes every node re-read the site.
 * Guarantee (read-your-writes): when put() or revoke() resolves, every live node that
 * acknowledged in BECKON_CLUSTER_ACK_TIMEOUT_MS serves the new site and ran its listeners.
 */
export class SiteRegistry {
  private readonly sites = new Map<string, Site>()
  private readonly listeners: SiteListener[] = []
  private subscription: Subscription | undefined

  constructor(
    private readonly store: Store,
    private readonly bus: Bus,
    private readonly acks: ClusterAcks,
    private readonly log: Logger,
  ) {}

  async load(): Promise<void> {
    for (const entry of await this.store.list<unknown>('sites', '')) {
      this.sites.set(entry.key, parseStoredSite(entry.key, entry.value))
    }
    this.subscription = this.bus.subscribe(SUBJECT, (msg) => {
      const { site } = (msg ?? {}) as { site?: unknown }
      if (typeof site !== 'string' || this.acks.isOwn(msg)) return
      this.refresh(site)
        .then(() => this.acks.applied(msg))
        .catch((error: unknown) => this.log.error({ err: error, site }, 'site refresh failed'))
    })
  }

  /** Calls `listener` whenever a site changes on this node. */
  observe(listener: SiteListener): void {
    this.listeners.push(listener)
  }

  get(id: string): Site | undefined {
    return this.sites.get(id)
  }

  all(): Site[] {
    return [...this.sites.values()]
  }

  /**
   * Creates or replaces a site, keeping its revocations, and its settings (webhook) that the
   * body leaves out; resolves once durable and applied cluster-wide.
   */
  async put(site: Site): Promise<{ created: boolean; cluster: AckOutcome }> {
    const stored = await this.store.get<unknown>('sites', site.id)
    const previous = stored ? parseStoredSite(site.id, stored.value) : undefined
    const next: Site = { ...site }
    if (previous?.revocations) next.revocations = previous.revocations
    if (previous?.webhook && !site.webhook) next.webhook = previous.webhook
    if (previous?.hours && !site.hours) next.hours = previous.hours
    const { id, ...value } = next
    await this.store.put('sites', id, value)
    return { created: stored === undefined, cluster: await this.changed(next) }
  }

  /**
   * Refuses every token of operator `sub` issued at or before now (epoch seconds); entries
   * older than `keepSeconds` (the longest token lifetime) are dropped, as no token they refuse
   * is still valid. Resolves to the revocation time once applied cluster-wide; undefined for an unknown site.
   */
  async revoke(siteId: string, sub: string, keepSeconds: number): Promise<(AckOutcome & { at: number }) | undefined> {
    const now = Math.floor(Date.now() / 1000)
    const result = await this.update(siteId, (site) => {
      const revocations = (site.revocations ?? []).filter((r) => r.sub !== sub && r.at >= now - keepSeconds)
      return { ...site, revocations: [...revocations, { sub, at: now }] }
    })
    return result && { ...result.cluster, at: now }
  }

  /**
   * Changes a stored site by compare-and-set (`change` may throw InputError); resolves once
   * applied cluster-wide, with the new site, or undefined for an unknown site.
   */
  async update(siteId: string, change: (site: Site) => Site): Promise<{ site: Site; cluster: AckOutcome } | undefined> {
    for (let attempt = 0; attempt < 10; attempt++) {
      const entry = await this.store.get<unknown>('sites', siteId)
      if (!entry) return undefined
      const next = change(parseStoredSite(siteId, entry.value))
      const { id: _id, ...value } = next
      if ((await this.store.update('sites', siteId, value, entry.revision)) !== false)
        return { site: next, cluster: await this.changed(next) }
    }
    throw new Error(`site ${siteId} changed concurrently`)
  }

  private changed(site: Site): Promise<AckOutcome> {
    this.apply(site.id, site)
    return this.acks.broadcast(SUBJECT, { site: site.id })
  }

  private apply(id: string, after: Site | undefined): void {
    const before = this.sites.get(id)
    if (after) this.sites.set(id, after)
    else this.sites.delete(id)
    for (const listener of this.listeners) listener(before, after)
  }

  private async refresh(id: string): Promise<void> {
    const entry = await this.store.get<unknown>('sites', id)
    this.apply(id, entry ? parseStoredSite(id, entry.value) : undefined)
  }

  close(): void {
    this.subscription?.unsubscribe()
  }
}
