import type { Bus, Subscription } from '../bus/bus.js'
import type { Logger } from '../logger.js'
import type { Store } from '../store/store.js'
import { parseSite, type Site } from './site.js'

const SUBJECT = 'beckon.site.changed'

/**
 * Every site, cached in memory so a WebSocket upgrade can check its origin synchronously.
 * Writes go to the Store first, then a bus message makes every node re-read the site.
 */
export class SiteRegistry {
  private readonly sites = new Map<string, Site>()
  private subscription: Subscription | undefined

  constructor(
    private readonly store: Store,
    private readonly bus: Bus,
    private readonly log: Logger,
  ) {}

  async load(): Promise<void> {
    for (const entry of await this.store.list<unknown>('sites', '')) {
      this.sites.set(entry.key, parseSite(entry.key, entry.value))
    }
    this.subscription = this.bus.subscribe(SUBJECT, (msg) => {
      if (typeof msg !== 'string') return
      this.refresh(msg).catch((error: unknown) => this.log.error({ err: error, site: msg }, 'site refresh failed'))
    })
  }

  get(id: string): Site | undefined {
    return this.sites.get(id)
  }

  all(): Site[] {
    return [...this.sites.values()]
  }

  /** Creates or replaces a site; resolves once durable. Returns whether it was new. */
  async put(site: Site): Promise<boolean> {
    const created = !this.sites.has(site.id) && (await this.store.get('sites', site.id)) === undefined
    const { id, ...value } = site
    await this.store.put('sites', id, value)
    this.sites.set(id, site)
    this.bus.publish(SUBJECT, id)
    return created
  }

  private async refresh(id: string): Promise<void> {
    const entry = await this.store.get<unknown>('sites', id)
    if (entry) this.sites.set(id, parseSite(id, entry.value))
    else this.sites.delete(id)
  }

  close(): void {
    this.subscription?.unsubscribe()
  }
}
