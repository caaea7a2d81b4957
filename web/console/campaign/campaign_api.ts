import { parseStats, type CampaignStats } from '../state/campaign_list_store.js'
import { ApiError, apiRequest, isObject, str } from '../state/api_request.js'
import type { CampaignDefinition, JsonObject } from './campaign_definition.js'

export { ApiError as CampaignApiError } from '../state/api_request.js'

export type Counters = Omit<CampaignStats, 'eligibleNow'>
export interface StatsTotals extends CampaignStats {
  variants: Record<string, Counters>
}
export interface SeriesPoint extends Counters {
  at: number
}
export interface Revision {
  at: string
  author: string
  campaign: JsonObject | null
}
export interface PreviewVisitor {
  visitor: string
  name?: string
  email?: string
  page?: { url: string; title: string }
  node?: string
  /** The draft's `when` holds now (false: listed because only another widget holds it back). */
  matches: boolean
  inviteNow: boolean
  heldBy: string[]
}
export interface PreviewResult {
  count: number
  visitors: PreviewVisitor[]
  nodes: number
  complete: boolean
}
export interface StoredCampaign {
  definition: JsonObject
  stats: CampaignStats
}

function counters(input: unknown): Counters {
  const { eligibleNow: _e, ...rest } = parseStats(input)
  return rest
}
function variantCounters(input: unknown): Record<string, Counters> {
  const out: Record<string, Counters> = Object.create(null)
  if (isObject(input)) for (const [id, c] of Object.entries(input)) out[id] = counters(c)
  return out
}

/**
 * The site's campaign routes (STUDIO_API.md), called with the operator's JWT as bearer: the
 * node checks `manage_campaigns` on every write. Answers are validated before use.
 */
export class CampaignApi {
  constructor(
    private readonly site: string,
    private readonly token: string,
  ) {}

  async list(): Promise<StoredCampaign[]> {
    const body = await this.call('GET', '')
    const list = Array.isArray(body) ? body : isObject(body) && Array.isArray(body.campaigns) ? body.campaigns : []
    return list.filter(isObject).map((item) => {
      const { stats, ...definition } = item
      return { definition: definition as JsonObject, stats: parseStats(stats) }
    })
  }

  async put(definition: CampaignDefinition | JsonObject): Promise<JsonObject> {
    const id = String((definition as { id?: unknown }).id ?? '')
    return (await this.call('PUT', `/${encodeURIComponent(id)}`, definition)) as JsonObject
  }

  async remove(id: string): Promise<void> {
    await this.call('DELETE', `/${encodeURIComponent(id)}`)
  }

  async revisions(id: string): Promise<Revision[]> {
    const body = await this.call('GET', `/${encodeURIComponent(id)}/revisions`)
    const list = isObject(body) && Array.isArray(body.revisions) ? body.revisions : []
    return list.filter(isObject).map((r) => ({
      at: str(r.at) ?? '',
      author: str(r.author) ?? '?',
      campaign: isObject(r.campaign) ? (r.campaign as JsonObject) : null,
    }))
  }

  async totals(id: string): Promise<StatsTotals> {
    const body = await this.call('GET', `/${encodeURIComponent(id)}/stats`)
    return { ...parseStats(body), variants: variantCounters(isObject(body) ? body.variants : undefined) }
  }

  async series(
    id: string,
    from: Date,
    to: Date,
    step: 'hour' | 'day',
  ): Promise<{ series: SeriesPoint[]; variants: Record<string, Counters> }> {
    const query = new URLSearchParams({ from: from.toISOString(), to: to.toISOString(), step })
    const body = await this.call('GET', `/${encodeURIComponent(id)}/stats?${query}`)
    const list = isObject(body) && Array.isArray(body.series) ? body.series : []
    return {
      series: list
        .filter(isObject)
        .map((p) => ({ ...counters(p), at: Date.parse(str(p.at) ?? '') }))
        .filter((p) => Number.isFinite(p.at)),
      variants: variantCounters(isObject(body) ? body.variants : undefined),
    }
  }

  async preview(draft: CampaignDefinition | JsonObject, signal: AbortSignal): Promise<PreviewResult> {
    const body = await this.call('POST', '/preview', draft, signal)
    if (!isObject(body) || !Array.isArray(body.visitors))
      throw new ApiError(200, 'bad_answer', 'preview answer unreadable', '')
    const visitors = body.visitors.filter(isObject).map((v): PreviewVisitor => {
      const page = isObject(v.page) ? { url: str(v.page.url) ?? '', title: str(v.page.title) ?? '' } : undefined
      const heldBy = Array.isArray(v.heldBy) ? v.heldBy.filter((h): h is string => typeof h === 'string') : []
      return {
        visitor: str(v.visitor) ?? str(v.id) ?? '?',
        name: str(v.name),
        email: str(v.email),
        page,
        node: str(v.node),
        heldBy,
        matches: v.matches !== false,
        inviteNow: typeof v.inviteNow === 'boolean' ? v.inviteNow : heldBy.length === 0,
      }
    })
    return {
      count: typeof body.count === 'number' ? body.count : visitors.length,
      visitors,
      nodes: typeof body.nodes === 'number' ? body.nodes : 1,
      complete: body.complete !== false,
    }
  }

  private call(method: string, suffix: string, body?: unknown, signal?: AbortSignal): Promise<unknown> {
    return apiRequest(this.token, method, `/v1/sites/${encodeURIComponent(this.site)}/campaigns${suffix}`, body, signal)
  }
}
