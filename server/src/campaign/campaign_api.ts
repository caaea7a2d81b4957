import type { AdminApi } from '../http/admin_api.js'
import { InputError } from '../input_error.js'
import { CampaignError, parseCampaign, type Campaign, type CampaignLimits } from '../rules/campaign.js'
import { PERMISSION } from '../operator/operator_token.js'
import { parseSiteId } from '../site/site.js'
import type { SiteRegistry } from '../site/site_registry.js'
import type { CampaignRegistry } from './campaign_registry.js'
import type { CampaignPreview } from './campaign_preview.js'
import type { CampaignRevisions } from './campaign_revisions.js'
import type { CampaignStats, StatsStep } from './campaign_stats.js'

function asInputError(error: unknown): unknown {
  return error instanceof CampaignError ? new InputError(error.code, error.message, error.path) : error
}

const HOUR_MS = 3_600_000

/** `?from=ISO&to=ISO&step=hour|day` of a stats request; undefined when none is given (today's totals). */
function parseStatsQuery(
  query: string,
  maxDays: number,
  now: number,
): { from: number; to: number; step: StatsStep } | undefined {
  const params = new URLSearchParams(query)
  if (!params.has('from') && !params.has('to') && !params.has('step')) return undefined
  const step = params.get('step') ?? 'hour'
  if (step !== 'hour' && step !== 'day') throw new InputError('invalid_query', 'step is hour or day', 'step')
  const instant = (name: 'from' | 'to', fallback: number): number => {
    const text = params.get(name)
    if (text === null) return fallback
    const at = Date.parse(text)
    if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(at))
      throw new InputError('invalid_query', `${name} is not an ISO date-time`, name)
    return at
  }
  const to = instant('to', now)
  const from = instant('from', to - (step === 'hour' ? 24 : 7 * 24) * HOUR_MS)
  if (from >= to) throw new InputError('invalid_query', 'from must be before to', 'from')
  if (to - from > maxDays * 24 * HOUR_MS)
    throw new InputError('invalid_query', `range longer than ${maxDays} days (BECKON_MAX_STATS_DAYS)`, 'from')
  return { from, to, step }
}

/**
 * Campaign routes of the admin API:
 * PUT|GET|DELETE /v1/sites/SITE/campaigns/ID, GET /v1/sites/SITE/campaigns (with live stats),
 * GET /v1/sites/SITE/campaigns/ID/stats (today's totals, or a series), GET .../ID/revisions,
 * and POST /v1/sites/SITE/campaigns/preview (which connected visitors, on any node, match a
 * draft right now, and what holds each back). The GETs of campaigns and stats are open to the
 * site's operators; changes, revisions and previews to operators with `manage_campaigns`.
 * Every PUT and DELETE records a revision (author: the operator's `sub`, or "admin").
 */
export function registerCampaignRoutes(
  api: AdminApi,
  deps: {
    sites: SiteRegistry
    campaigns: CampaignRegistry
    stats: CampaignStats
    preview: CampaignPreview
    revisions: CampaignRevisions
    limits: CampaignLimits
    maxStatsDays: number
  },
): void {
  const { sites, campaigns, stats, preview, revisions, limits, maxStatsDays } = deps
  const manage = { perm: PERMISSION.manageCampaigns }
  const site = (id: string | undefined): string => {
    const siteId = parseSiteId(id)
    if (!sites.get(siteId)) throw new InputError('not_found', `no site ${siteId}`, 'site', 404)
    return siteId
  }
  const found = (siteId: string, id: string | undefined) => {
    const campaign = campaigns.get(siteId, id ?? '')
    if (!campaign) throw new InputError('not_found', `no campaign ${id} on site ${siteId}`, 'campaign', 404)
    return campaign
  }

  api
    .route(
      'POST',
      '/v1/sites/:site/campaigns/preview',
      async (_req, [s], reply) => {
        const siteId = site(s)
        let draft: Campaign
        try {
          draft = parseCampaign(await api.body(reply), limits)
        } catch (error) {
          throw asInputError(error)
        }
        const { visitors, nodes, complete } = await preview.run(siteId, draft)
        const count = visitors.filter((v) => v.matches).length
        return { status: 200, body: { campaign: draft.id, count, visitors, nodes, complete } }
      },
      manage,
    )
    .route(
      'PUT',
      '/v1/sites/:site/campaigns/:id',
      async (_req, [s, id], reply, actor) => {
        const siteId = site(s)
        const body = await api.body(reply)
        if (typeof body === 'object' && body !== null && !Array.isArray(body) && 'id' in body && body.id !== id) {
          throw new InputError(
            'invalid_campaign',
            `body id ${JSON.stringify(body.id)} differs from the URL's ${JSON.stringify(id)}`,
            'id',
          )
        }
        try {
          const { campaign, created } = await campaigns.put(siteId, { ...(body as object), id })
          await revisions.record(siteId, campaign.id, actor, campaign)
          return { status: created ? 201 : 200, body: campaign }
        } catch (error) {
          throw asInputError(error)
        }
      },
      manage,
    )
    .route(
      'GET',
      '/v1/sites/:site/campaigns/:id',
      async (_req, [s, id]) => ({ status: 200, body: found(site(s), id) }),
      { operators: true },
    )
    .route(
      'DELETE',
      '/v1/sites/:site/campaigns/:id',
      async (_req, [s, id], _reply, actor) => {
        const siteId = site(s)
        if (!(await campaigns.delete(siteId, id ?? '')))
          throw new InputError('not_found', `no campaign ${id} on site ${siteId}`, 'campaign', 404)
        await revisions.record(siteId, id ?? '', actor, null)
        return { status: 204, body: undefined }
      },
      manage,
    )
    .route(
      'GET',
      '/v1/sites/:site/campaigns/:id/revisions',
      async (_req, [s, id]) => {
        const siteId = site(s)
        const list = await revisions.list(siteId, id ?? '')
        if (list.length === 0) found(siteId, id)
        return { status: 200, body: { revisions: list } }
      },
      manage,
    )
    .route(
      'GET',
      '/v1/sites/:site/campaigns/:id/stats',
      async (req, [s, id]) => {
        const siteId = site(s)
        const campaign = found(siteId, id)
        const range = parseStatsQuery(req.query, maxStatsDays, Date.now())
        const body = range
          ? await stats.series(siteId, campaign.id, range.from, range.to, range.step)
          : await stats.view(siteId, campaign.id)
        return { status: 200, body }
      },
      { operators: true },
    )
    .route(
      'GET',
      '/v1/sites/:site/campaigns',
      async (_req, [s]) => {
        const siteId = site(s)
        const list = await Promise.all(
          campaigns.list(siteId).map(async (c) => ({ ...c, stats: await stats.view(siteId, c.id) })),
        )
        return { status: 200, body: { campaigns: list } }
      },
      { operators: true },
    )
}
