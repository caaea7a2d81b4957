import { InputError } from '../input_error.js'
import { parseSiteId } from '../site/site.js'
import type { SiteRegistry } from '../site/site_registry.js'
import type { VisitorPrivacy } from '../visitor/visitor_privacy.js'
import type { AdminApi } from './admin_api.js'

const VISITOR_ID = /^[A-Za-z0-9_-]{1,64}$/

/** A visitor id from a route parameter; InputError `invalid_visitor` otherwise. */
export function parseVisitorId(id: string | undefined): string {
  if (id === undefined || !VISITOR_ID.test(id)) {
    throw new InputError('invalid_visitor', 'visitor ids are 1-64 letters, digits, - or _', 'visitor')
  }
  return id
}

/**
 * Privacy routes (admin only): `GET /v1/sites/SITE/visitors/ID` exports what is stored about a
 * visitor (profile, current visit, conversations with their messages) as JSON;
 * `DELETE` erases it on every node and in the store.
 */
export function registerPrivacyRoutes(api: AdminApi, sites: SiteRegistry, privacy: VisitorPrivacy): void {
  const site = (id: string | undefined): string => {
    const siteId = parseSiteId(id)
    if (!sites.get(siteId)) throw new InputError('not_found', `no site ${siteId}`, 'site', 404)
    return siteId
  }
  api
    .route('GET', '/v1/sites/:site/visitors/:visitor', async (_req, [s, v]) => {
      const siteId = site(s)
      const visitor = parseVisitorId(v)
      const exported = await privacy.export(siteId, visitor)
      if (!exported) throw new InputError('not_found', `nothing stored about visitor ${visitor}`, 'visitor', 404)
      return { status: 200, body: exported }
    })
    .route('DELETE', '/v1/sites/:site/visitors/:visitor', async (_req, [s, v]) => {
      const siteId = site(s)
      const visitor = parseVisitorId(v)
      return { status: 200, body: { visitor, erased: await privacy.erase(siteId, visitor) } }
    })
}
