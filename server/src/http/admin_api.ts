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

/** A route handler: returns the status and JSON body, or throws InputError. */
export type AdminHandler = (
  req: RequestInfo,
  params: string[],
  reply: Reply,
) => Promise<{ status: number; body: unknown }>

interface Route {
  method: string
  pattern: RegExp
  handler: AdminHandler
  /** Also open to operators of the site named by the first param (their JWT as bearer). */
  operators: boolean
  /** With `operators`: the operator token must hold this permission (else 403). */
  permission: string | undefined
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
  route(
    method: string,
    path: string,
    handler: AdminHandler,
    opts: { operators?: boolean; permission?: string } = {},
  ): this {
    const pattern = new RegExp(`^${path.replace(/:[a-z]+/g, SEGMENT)}$`)
    this.routes.push({ method, pattern, handler, operators: opts.operators ?? false, permission: opts.permission })
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
          body: { site: siteId, operator, revokedAt: Math.floor(Date.now() / 1000), nodesMissing: outcome.missing },
        }
      })
  }

  private isAdmin(bearer: string): boolean {
    if (!this.adminToken) return false
    const given = Buffer.from(bearer)
    const expected = Buffer.from(this.adminToken)
    return given.length === expected.length && timingSafeEqual(given, expected)
  }

  /** The operator a bearer JWT names, when it is valid for `site`. */
  private async operatorOf(bearer: string, site: string | undefined): Promise<OperatorIdentity | undefined> {
    try {
      const operator = await verifyOperatorToken(bearer, this.site, this.maxTokenSeconds)
      return operator.site === site ? operator : undefined
    } catch (error) {
      if (error instanceof OperatorTokenError) return undefined
      throw error
    }
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
    const admin = this.isAdmin(bearer)
    const operator = !admin && route.operators && bearer !== '' ? await this.operatorOf(bearer, params[0]) : undefined
    if (!admin && !operator) {
      return reply.error(
        401,
        'unauthorized',
        route.operators
          ? 'expected Authorization: Bearer <admin token or operator JWT of this site>'
          : 'expected Authorization: Bearer <BECKON_ADMIN_TOKEN>',
      )
    }
    if (operator && route.permission !== undefined && !operator.perms.includes(route.permission)) {
      // An authenticated operator: its (bounded) body is read, so the 403 reaches it on a live connection.
      const { 'content-length': length, 'transfer-encoding': chunked } = req.headers
      if ((length !== undefined && length !== '0') || chunked !== undefined)
        await reply.body(this.maxBodyBytes).catch(() => undefined)
      return reply.error(403, 'forbidden', `this route needs the ${route.permission} permission`)
    }
    try {
      const { status, body } = await route.handler(req, params, reply)
      reply.json(status, body)
    } catch (error) {
      if (error instanceof InputError) return reply.error(error.status, error.code, error.message, error.path)
      this.log.error({ err: error, url: req.url }, 'admin request failed')
      reply.error(500, 'internal', 'internal error')
    }
  }
}
