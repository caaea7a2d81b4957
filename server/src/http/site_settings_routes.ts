import { InputError } from '../input_error.js'
import { PERMISSION } from '../operator/operator_token.js'
import { parseSiteId } from '../site/site.js'
import type { SiteRegistry } from '../site/site_registry.js'
import { applySettings, parseSettingsPatch, settingsView } from '../site/site_settings.js'
import type { AdminApi } from './admin_api.js'

/**
 * `GET|PATCH /v1/sites/SITE/settings`: origins, departments, business hours and webhook, for
 * the admin token or an operator of the site holding `manage_site`. PATCH answers once the
 * change is durable and applied on every live node (as a site PUT).
 */
export function registerSiteSettingsRoutes(api: AdminApi, sites: SiteRegistry): void {
  const opts = { perm: PERMISSION.manageSite }
  api
    .route(
      'GET',
      '/v1/sites/:site/settings',
      async (_req, [id]) => {
        const site = sites.get(parseSiteId(id))
        if (!site) throw new InputError('not_found', `no site ${id}`, 'site', 404)
        return { status: 200, body: settingsView(site) }
      },
      opts,
    )
    .route(
      'PATCH',
      '/v1/sites/:site/settings',
      async (_req, [id], reply) => {
        const siteId = parseSiteId(id)
        const patch = parseSettingsPatch(await api.body(reply))
        const result = await sites.update(siteId, (site) => applySettings(site, patch))
        if (!result) throw new InputError('not_found', `no site ${siteId}`, 'site', 404)
        return { status: 200, body: settingsView(result.site) }
      },
      opts,
    )
}
