import { InputError } from '../input_error.js'
import { departmentsAllow } from '../operator/operator_token.js'
import { contextDepartments, visitorDepartments } from '../operator/visitor_feed.js'
import { parseSiteId } from '../site/site.js'
import type { SiteRegistry } from '../site/site_registry.js'
import type { Store } from '../store/store.js'
import type { VisitorHub } from '../visitor/visitor_hub.js'
import { parseProfile, profileKey } from '../visitor/visitor_profile.js'
import type { AdminApi } from './admin_api.js'
import { parseVisitorId } from './privacy_routes.js'

/** The `context.department` of a stored profile's last visit; none when it is unreadable. */
function storedDepartment(value: unknown): unknown {
  try {
    return parseProfile(value).visit?.context.department
  } catch {
    return undefined
  }
}

/**
 * `GET /v1/sites/SITE/visitors/VISITOR/timeline`, for the admin token or an operator of the
 * site who may see the visitor (its `context.department`, as the visitor list scopes it):
 * `{visitor, visits}`, the latest visits newest first, each with its pages (URL, title, time
 * on page) and the invitations it was shown. 404 for a visitor nothing is known of or that
 * the operator may not see.
 */
export function registerTimelineRoutes(
  api: AdminApi,
  deps: { sites: SiteRegistry; store: Store; hub: VisitorHub },
): void {
  api.route(
    'GET',
    '/v1/sites/:site/visitors/:visitor/timeline',
    async (req, [s, v], _reply, _actor, operator) => {
      const siteId = parseSiteId(s)
      const site = deps.sites.get(siteId)
      if (!site) throw new InputError('not_found', `no site ${siteId}`, 'site', 404)
      const visitor = parseVisitorId(v)
      if (req.query !== '') throw new InputError('invalid_query', 'the timeline takes no parameters', 'query')
      const missing = new InputError('not_found', `no visitor ${visitor}`, 'visitor', 404)
      const live = deps.hub.get(siteId, visitor)
      const stored = live ? undefined : await deps.store.get<unknown>('profiles', profileKey(siteId, visitor))
      if (operator !== undefined && (live || stored)) {
        const departments = live
          ? visitorDepartments(live, site.departments)
          : contextDepartments(storedDepartment(stored?.value), site.departments)
        if (!departmentsAllow(operator, { departments })) throw missing
      }
      const visits = await deps.hub.timeline.visits(siteId, visitor)
      if (!live && !stored && visits.length === 0) throw missing
      return { status: 200, body: { visitor, visits } }
    },
    { operators: true },
  )
}
