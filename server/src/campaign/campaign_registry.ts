import type { Bus, Subscription } from '../bus/bus.js'
import type { ClusterAcks } from '../cluster/cluster_acks.js'
import type { Logger } from '../logger.js'
import {
  parseCampaign,
  withSiteHours,
  type BusinessHours,
  type Campaign,
  type CampaignLimits,
} from '../rules/campaign.js'
import { CampaignEngine } from '../rules/campaign_engine.js'
import type { Store } from '../store/store.js'

const CHANGED = 'beckon.campaigns.changed'

export const campaignKey = (site: string, id: string): string => `${site}.${id}`

/**
 * Every site's campaigns (bucket `campaigns`, key `SITE.ID`) and their compiled engine.
 * Writes go to the Store, then a bus message makes every node reload and recompile that
 * site; `onCompiled` then re-attaches the site's visitors to the new engine.
 * Guarantee (read-your-writes): put() and delete() resolve once every live node that
 * acknowledged within BECKON_CLUSTER_ACK_TIMEOUT_MS serves the change.
 */
export class CampaignRegistry {
  private readonly campaigns = new Map<string, Map<string, Campaign>>()
  private readonly engines = new Map<string, CampaignEngine>()
  private subscription: Subscription | undefined
  private onCompiled: (site: string) => void = () => undefined

  constructor(
    private readonly nodeId: string,
    private readonly store: Store,
    private readonly bus: Bus,
    private readonly acks: ClusterAcks,
    private readonly limits: CampaignLimits,
    private readonly log: Logger,
    /** The site's business hours, for schedules that refer to them (withSiteHours). */
    private readonly hours: (site: string) => BusinessHours | undefined,
  ) {}

  async load(onCompiled: (site: string) => void): Promise<void> {
    this.onCompiled = onCompiled
    const sites = new Set<string>()
    for (const entry of await this.store.list<unknown>('campaigns', '')) {
      const [site = ''] = entry.key.split('.')
      sites.add(site)
    }
    for (const site of sites) await this.reload(site)
    this.subscription = this.bus.subscribe(CHANGED, (msg) => {
      const { site, node } = (msg ?? {}) as { site?: unknown; node?: unknown }
      if (typeof site !== 'string' || node === this.nodeId) return
      this.reload(site)
        .then(() => this.acks.applied(msg))
        .catch((error: unknown) => this.log.error({ err: error, site }, 'campaign reload failed'))
    })
  }

  /** The site's compiled engine; undefined when it has no campaigns. */
  engine(site: string): CampaignEngine | undefined {
    return this.engines.get(site)
  }

  list(site: string): Campaign[] {
    return [...(this.campaigns.get(site)?.values() ?? [])]
  }

  get(site: string, id: string): Campaign | undefined {
    return this.campaigns.get(site)?.get(id)
  }

  /** Validates and stores a campaign; throws CampaignError. Resolves once durable; true when new. */
  async put(site: string, input: unknown): Promise<{ campaign: Campaign; created: boolean }> {
    const campaign = parseCampaign(input, this.limits)
    const created = (await this.store.get('campaigns', campaignKey(site, campaign.id))) === undefined
    await this.store.put('campaigns', campaignKey(site, campaign.id), campaign)
    await this.reload(site)
    await this.acks.broadcast(CHANGED, { site })
    return { campaign, created }
  }

  async delete(site: string, id: string): Promise<boolean> {
    if ((await this.store.get('campaigns', campaignKey(site, id))) === undefined) return false
    await this.store.delete('campaigns', campaignKey(site, id))
    await this.reload(site)
    await this.acks.broadcast(CHANGED, { site })
    return true
  }

  private async reload(site: string): Promise<void> {
    const campaigns = new Map<string, Campaign>()
    for (const entry of await this.store.list<unknown>('campaigns', `${site}.`)) {
      try {
        const campaign = parseCampaign(entry.value, this.limits)
        campaigns.set(campaign.id, campaign)
      } catch (error) {
        this.log.error({ err: error, key: entry.key }, 'stored campaign unreadable, skipped')
      }
    }
    // Definition order for equal priorities: by id, so every node breaks ties alike.
    const ordered = [...campaigns.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    this.campaigns.set(site, new Map(ordered.map((c) => [c.id, c])))
    if (ordered.length === 0) this.engines.delete(site)
    else this.engines.set(site, CampaignEngine.compile(ordered.map((c) => withSiteHours(c, this.hours(site)))))
    this.onCompiled(site)
  }

  /** The site's business hours changed (on every node): recompile its campaigns. */
  hoursChanged(site: string): Promise<void> {
    return this.reload(site)
  }

  close(): void {
    this.subscription?.unsubscribe()
  }
}
