import { InputError } from '../input_error.js'
import { parseOperatorPrefsPatch, type OperatorSettings } from '../operator/operator_settings.js'
import { parseSiteId } from '../site/site.js'
import type { SiteRegistry } from '../site/site_registry.js'
import type { AdminApi } from './admin_api.js'

/**
 * `GET|PATCH /v1/sites/SITE/operators/me/settings`: the calling operator's own display name,
 * avatar, max concurrent chats and auto-accept (its JWT as bearer; the admin token has no
 * "me"). PATCH answers once the change is durable; every node applies it on the next bus
 * delivery (routing, names).
 */
export function registerOperatorSettingsRoutes(
  api: AdminApi,
  sites: SiteRegistry,
  settings: OperatorSettings,
  maxChatsLimit: number,
): void {
  const me = (id: string | undefined, actor: string) => {
    const site = parseSiteId(id)
    if (!sites.get(site)) throw new InputError('not_found', `no site ${site}`, 'site', 404)
    if (actor === 'admin')
      throw new InputError('not_an_operator', 'these are an operator’s own settings: use its token', '', 400)
    return site
  }
  const view = (prefs: Awaited<ReturnType<OperatorSettings['get']>>, operator: string) => ({
    operator,
    ...prefs,
    maxChatsLimit,
  })
  api
    .route(
      'GET',
      '/v1/sites/:site/operators/me/settings',
      async (_req, [id], _reply, actor) => {
        const site = me(id, actor)
        return { status: 200, body: view(await settings.get(site, actor), actor) }
      },
      { operators: true },
    )
    .route(
      'PATCH',
      '/v1/sites/:site/operators/me/settings',
      async (_req, [id], reply, actor) => {
        const site = me(id, actor)
        const patch = parseOperatorPrefsPatch(await api.body(reply), maxChatsLimit)
        return { status: 200, body: view(await settings.update(site, actor, patch), actor) }
      },
      { operators: true },
    )
}
