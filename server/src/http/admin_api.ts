import { timingSafeEqual } from 'node:crypto'
import type { Logger } from '../logger.js'
import { InputError } from '../input_error.js'
import {
  OperatorTokenError,
  parseOperatorSub,
  verifyOperatorToken,
  type OperatorIdentity,
} from '../operator/operator_token.js'
import { parseSite, parseSiteId, publicSite, type Site } from '../site/site.js'
import type { SiteRegistry } from '../site/site_registry.js'
import type { RequestInfo, Reply } from './http_io.js'

/**
 * A route handler: returns the status and JSON body, or throws InputError. `actor`: "admin" or
 * the operator's `sub`; `operator`: the verified operator token (undefined for the admin).
 * A handler that answered `reply` itself (a download) returns status 0.
 */
export type AdminHandler = (
  req: RequestInfo,
  params: string[],
  reply: Reply,
  actor: string,
  operator: OperatorIdentity | undefined,
) => Promise<{ status: number; body: unknown }>

interface Route {
  method: string
  pattern: RegExp
  handler: AdminHandler
  /** Also open to operators of the site named by the first param (their JWT as bearer). */
  operators: boolean
  /** Also open to operators of that site whose token holds this permission. */
  perm: string | undefined
}

/** Why a bearer may not call a route: 401 (no valid credentials) or 403 (valid, not allowed). */
class Refusal {
  constructor(
    readonly status: 401 | 403,
    readonly code: string,
    readonly message: string,
  ) {}
}

const SEGMENT = '([^/]+)'

/**
 * The admin HTTP API under /v1/sites, guarded by `Authorization: Bearer $BECKON_ADMIN_TOKEN`.
 * Off (404) when no admin token is configured. Errors are `{error:{code,message,path}}`.
 * The bearer is checked before any of the request body is read (see Reply.holdBody): a
 * refused request's body is never read; its connection is closed instead.
 */
export class AdminApi {
  private readonly routes: Route[] = []

  constructor(
    private readonly adminToken: string | undefined,
    private readonly maxBodyBytes: number,
    private readonly site: (id: string) => Site | undefined,
    private readonly log: Logger,
    /** BECKON_MAX_OPERATOR_TOKEN_SECONDS, for operator bearers. */
    private readonly maxTokenSeconds: number,
  ) {}

  /** Registers `METHOD /v1/sites/:site/...`; `:x` segments become handler params in order. */
  route(method: string, path: string, handler: AdminHandler, opts: { operators?: boolean; perm?: string } = {}): this {
    const pattern = new RegExp(`^${path.replace(/:[a-z]+/g, SEGMENT)}$`)
    this.routes.push({ method, pattern, handler, operators: opts.operators ?? false, perm: opts.perm })
    return this
  }

  /** Reads the JSON body of a PUT/POST (bounded by BECKON_MAX_BODY_BYTES). */
  body(reply: Reply): Promise<unknown> {
    return reply.jsonBody(this.maxBodyBytes)
  }

  /** The sites routes; campaign routes are added by their owner. */
  withSites(sites: SiteRegistry): this {
    return this.route('PUT', '/v1/sites/:site', async (_req, [id], reply) => {
      const site = parseSite(id ?? '', await this.body(reply))
      const { created } = await sites.put(site)
      return { status: created ? 201 : 200, body: publicSite(site) }
    })
      .route('GET', '/v1/sites/:site', async (_req, [id]) => {
        const site = sites.get(parseSiteId(id))
        if (!site) throw new InputError('not_found', `no site ${id}`, 'site', 404)
        return { status: 200, body: publicSite(site) }
      })
      .route('DELETE', '/v1/sites/:site/operators/:sub/sessions', async (_req, [id, sub]) => {
        const siteId = parseSiteId(id)
        const operator = parseOperatorSub(sub)
        const outcome = await sites.revoke(siteId, operator, this.maxTokenSeconds)
        if (!outcome) throw new InputError('not_found', `no site ${siteId}`, 'site', 404)
        return {
          status: 200,
          body: { site: siteId, operator, revokedAt: outcome.at, nodesMissing: outcome.missing },
        }
      })
  }

  private isAdmin(bearer: string): boolean {
    if (!this.adminToken) return false
    const given = Buffer.from(bearer)
    const expected = Buffer.from(this.adminToken)
    return given.length === expected.length && timingSafeEqual(given, expected)
  }

  /** The actor ("admin" or the operator's sub) allowed to call `route` on `site`, or why not. */
  private async authorize(
    bearer: string,
    route: Route,
    site: string | undefined,
  ): Promise<{ actor: string; operator?: OperatorIdentity } | Refusal> {
    if (this.isAdmin(bearer)) return { actor: 'admin' }
    const open = route.operators || route.perm !== undefined
    const unauthorized = new Refusal(
      401,
      'unauthorized',
      open
        ? 'expected Authorization: Bearer <admin token or operator JWT of this site>'
        : 'expected Authorization: Bearer <BECKON_ADMIN_TOKEN>',
    )
    if (bearer === '') return unauthorized
    let operator: Awaited<ReturnType<typeof verifyOperatorToken>>
    try {
      operator = await verifyOperatorToken(bearer, this.site, this.maxTokenSeconds)
    } catch (error) {
      if (error instanceof OperatorTokenError) return unauthorized
      throw error
    }
    if (!open) return new Refusal(403, 'forbidden', 'this route needs the admin token')
    if (operator.site !== site) return new Refusal(403, 'forbidden', 'operator token is for another site')
    if (route.operators || (route.perm !== undefined && operator.perms.includes(route.perm)))
      return { actor: operator.id, operator }
    return new Refusal(403, 'forbidden', `operator token lacks ${route.perm}`)
  }

  async handle(req: RequestInfo, reply: Reply): Promise<void> {
    if (!this.adminToken) return reply.error(404, 'admin_disabled', 'admin routes are off: set BECKON_ADMIN_TOKEN')
    const matching = this.routes.filter((r) => r.pattern.test(req.url))
    if (matching.length === 0) return reply.error(404, 'not_found', `no route ${req.url}`)
    // HEAD is answered by the GET route (its reply drops the body).
    const method = req.method === 'HEAD' ? 'GET' : req.method
    const route = matching.find((r) => r.method === method)
    if (!route) return reply.error(405, 'method_not_allowed', `${req.method} not allowed on ${req.url}`)
    const params = (route.pattern.exec(req.url)?.slice(1) ?? []).map((p) => {
      try {
        return decodeURIComponent(p)
      } catch {
        return p
      }
    })
    const header = req.headers.authorization ?? ''
    const bearer = header.startsWith('Bearer ') ? header.slice(7) : ''
    const allowed = await this.authorize(bearer, route, params[0])
    if (allowed instanceof Refusal) return reply.error(allowed.status, allowed.code, allowed.message)
    try {
      const { status, body } = await route.handler(req, params, reply, allowed.actor, allowed.operator)
      if (status !== 0) reply.json(status, body)
    } catch (error) {
      if (error instanceof InputError) return reply.error(error.status, error.code, error.message, error.path)
      this.log.error({ err: error, url: req.url }, 'admin request failed')
      reply.error(500, 'internal', 'internal error')
    }
  }
}
