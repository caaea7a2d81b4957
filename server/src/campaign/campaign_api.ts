import type { AdminApi } from '../http/admin_api.js'
import { InputError } from '../input_error.js'
import { CampaignError, parseCampaign, type Campaign, type CampaignLimits } from '../rules/campaign.js'
import { parseSiteId } from '../site/site.js'
import type { SiteRegistry } from '../site/site_registry.js'
import type { CampaignRegistry } from './campaign_registry.js'
import type { CampaignPreview } from './campaign_preview.js'
import type { CampaignStats } from './campaign_stats.js'

function asInputError(error: unknown): unknown {
  return error instanceof CampaignError ? new InputError(error.code, error.message, error.path) : error
}

/**
 * Campaign routes of the admin API:
 * PUT|GET|DELETE /v1/sites/SITE/campaigns/ID, GET /v1/sites/SITE/campaigns (with live stats),
 * GET /v1/sites/SITE/campaigns/ID/stats, and POST /v1/sites/SITE/campaigns/preview (which
 * connected visitors, on any node, match a draft right now). The GETs are open to the site's operators too.
 */
export function registerCampaignRoutes(
  api: AdminApi,
  deps: {
    sites: SiteRegistry
    campaigns: CampaignRegistry
    stats: CampaignStats
    preview: CampaignPreview
    limits: CampaignLimits
  },
): void {
  const { sites, campaigns, stats, preview, limits } = deps
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
    .route('POST', '/v1/sites/:site/campaigns/preview', async (_req, [s], reply) => {
      const siteId = site(s)
      let draft: Campaign
      try {
        draft = parseCampaign(await api.body(reply), limits)
      } catch (error) {
        throw asInputError(error)
      }
      const { visitors, nodes, complete } = await preview.run(siteId, draft)
      return { status: 200, body: { campaign: draft.id, count: visitors.length, visitors, nodes, complete } }
    })
    .route('PUT', '/v1/sites/:site/campaigns/:id', async (_req, [s, id], reply) => {
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
        return { status: created ? 201 : 200, body: campaign }
      } catch (error) {
        throw asInputError(error)
      }
    })
    .route(
      'GET',
      '/v1/sites/:site/campaigns/:id',
      async (_req, [s, id]) => ({ status: 200, body: found(site(s), id) }),
      { operators: true },
    )
    .route('DELETE', '/v1/sites/:site/campaigns/:id', async (_req, [s, id]) => {
      const siteId = site(s)
      if (!(await campaigns.delete(siteId, id ?? '')))
        throw new InputError('not_found', `no campaign ${id} on site ${siteId}`, 'campaign', 404)
      return { status: 204, body: undefined }
    })
    .route(
      'GET',
      '/v1/sites/:site/campaigns/:id/stats',
      async (_req, [s, id]) => {
        const siteId = site(s)
        const campaign = found(siteId, id)
        return { status: 200, body: await stats.view(siteId, campaign.id) }
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
        return { status: 200, body: list }
      },
      { operators: true },
    )
}
