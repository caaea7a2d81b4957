import { InputError } from '../input_error.js'
import { PERMISSION } from '../operator/operator_token.js'
import { parseCannedBody, parseCannedId, type CannedLimits, type CannedResponses } from '../site/canned_responses.js'
import { parseSiteId } from '../site/site.js'
import type { SiteRegistry } from '../site/site_registry.js'
import type { AdminApi } from './admin_api.js'

/**
 * Canned responses: `GET /v1/sites/SITE/canned` and `GET .../canned/ID` for every operator of
 * the site; `PUT|DELETE .../canned/ID` for the admin token or operators holding `manage_canned`.
 */
export function registerCannedRoutes(
  api: AdminApi,
  sites: SiteRegistry,
  canned: CannedResponses,
  limits: CannedLimits,
): void {
  const site = (id: string | undefined): string => {
    const siteId = parseSiteId(id)
    if (!sites.get(siteId)) throw new InputError('not_found', `no site ${siteId}`, 'site', 404)
    return siteId
  }
  const manage = { perm: PERMISSION.manageCanned }
  const read = { operators: true }
  api
    .route(
      'GET',
      '/v1/sites/:site/canned',
      async (_req, [s]) => ({
        status: 200,
        body: { canned: await canned.list(site(s)) },
      }),
      read,
    )
    .route(
      'GET',
      '/v1/sites/:site/canned/:id',
      async (_req, [s, i]) => {
        const siteId = site(s)
        const id = parseCannedId(i)
        const response = await canned.get(siteId, id)
        if (!response) throw new InputError('not_found', `no canned response ${id}`, 'id', 404)
        return { status: 200, body: response }
      },
      read,
    )
    .route(
      'PUT',
      '/v1/sites/:site/canned/:id',
      async (_req, [s, i], reply, actor) => {
        const input = await api.body(reply)
        const siteId = site(s)
        const id = parseCannedId(i)
        const body = parseCannedBody(input, limits)
        const { created, response } = await canned.put(siteId, id, body, actor)
        return { status: created ? 201 : 200, body: response }
      },
      manage,
    )
    .route(
      'DELETE',
      '/v1/sites/:site/canned/:id',
      async (_req, [s, i]) => {
        const siteId = site(s)
        const id = parseCannedId(i)
        if (!(await canned.delete(siteId, id))) throw new InputError('not_found', `no canned response ${id}`, 'id', 404)
        return { status: 200, body: { id, deleted: true } }
      },
      manage,
    )
}
