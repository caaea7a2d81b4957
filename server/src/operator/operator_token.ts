import { SignJWT, decodeJwt, errors, jwtVerify } from 'jose'
import { z } from 'zod'
import { InputError } from '../input_error.js'
import type { Site } from '../site/site.js'

export const PERMISSION = {
  /** See every online visitor of the site, whatever its department. */
  seesAllOnlineVisitors: 'sees_all_online_visitors',
  /** Reply into, close, transfer or start a chat assigned to another operator (taking it over). */
  takeoverChats: 'takeover_chats',
  /** Create, change, delete and preview the site's campaigns (admin campaign routes with the operator JWT). */
  manageCampaigns: 'manage_campaigns',
  /** Read and change the site's settings (origins, departments, business hours, webhook). */
  manageSite: 'manage_site',
  /** Create, change and delete the site's canned responses (every operator of the site may read them). */
  manageCanned: 'manage_canned',
} as const

/** Lifetime of tokens minted by signOperatorToken() unless told otherwise: a working day. */
export const DEFAULT_TOKEN_TTL_SECONDS = 8 * 3600

/**
 * The department rule: an operator may see a visitor or chat of its site when it sees all,
 * when the visitor has no department (site-wide), or when they share a department.
 */
export function departmentsAllow(
  operator: { departments: readonly string[]; seesAll: boolean },
  target: { departments: readonly string[] },
): boolean {
  return (
    operator.seesAll ||
    target.departments.length === 0 ||
    target.departments.some((d) => operator.departments.includes(d))
  )
}

/** Who an operator socket acts for, from its verified JWT. */
export interface OperatorIdentity {
  id: string
  name: string
  site: string
  departments: string[]
  perms: string[]
  /** Holds PERMISSION.seesAllOnlineVisitors. */
  seesAll: boolean
  /** Holds PERMISSION.takeoverChats. */
  takeover: boolean
  /** Token expiry (epoch seconds); every accepted token has one. */
  exp: number
  /** Issue time (epoch seconds), when the token names one. */
  iat?: number
}

/** Why an operator token was refused; the socket closes with 4001 and this message. */
export class OperatorTokenError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'OperatorTokenError'
  }
}

const SUB = /^[A-Za-z0-9_.@-]{1,128}$/
const SUB_RULE = 'sub must be 1-128 characters of A-Z a-z 0-9 _ . @ -'

/** An operator id (JWT `sub`) from a route parameter; throws InputError. */
export function parseOperatorSub(input: unknown): string {
  if (typeof input !== 'string' || !SUB.test(input)) throw new InputError('invalid_operator', SUB_RULE, 'operator')
  return input
}

const claimsSchema = z.object({
  sub: z.string().regex(SUB, SUB_RULE),
  site: z.string().min(1).max(64),
  departments: z.array(z.string().max(64)).max(200).default([]),
  perms: z.array(z.string().max(64)).max(50).default([]),
  name: z.string().max(128).optional(),
  exp: z.number({ error: 'must be a number: operator tokens must expire' }),
  iat: z.number().optional(),
})

/**
 * Verifies an operator JWT: HS256 signed with the secret of the site named in its `site`
 * claim, carrying `exp`, not expired, and living at most `maxLifetimeSeconds` (both
 * `exp - iat` and `exp - now`). Departments unknown to the site are dropped.
 */
export async function verifyOperatorToken(
  token: string,
  site: (id: string) => Site | undefined,
  maxLifetimeSeconds: number,
): Promise<OperatorIdentity> {
  let unverified: unknown
  try {
    unverified = decodeJwt(token)
  } catch {
    throw new OperatorTokenError('token is not a JWT')
  }
  const siteId = (unverified as { site?: unknown }).site
  const known = typeof siteId === 'string' ? site(siteId) : undefined
  if (!known) throw new OperatorTokenError('token names no known site')
  let payload: unknown
  try {
    ;({ payload } = await jwtVerify(token, new TextEncoder().encode(known.secret), { algorithms: ['HS256'] }))
  } catch (error) {
    if (error instanceof errors.JWTExpired) throw new OperatorTokenError('token expired')
    throw new OperatorTokenError('token signature or claims invalid')
  }
  const claims = claimsSchema.safeParse(payload)
  if (!claims.success)
    throw new OperatorTokenError(
      `token claims invalid: ${claims.error.issues[0]?.path.join('.')} ${claims.error.issues[0]?.message}`,
    )
  const { sub, departments, perms, name, exp, iat } = claims.data
  const now = Date.now() / 1000
  if (exp - now > maxLifetimeSeconds || (iat !== undefined && exp - iat > maxLifetimeSeconds))
    throw new OperatorTokenError(`token lives longer than ${maxLifetimeSeconds} s (BECKON_MAX_OPERATOR_TOKEN_SECONDS)`)
  if (isRevoked(known, sub, iat ?? exp - maxLifetimeSeconds)) throw new OperatorTokenError('token revoked by an admin')
  return {
    id: sub,
    name: name ?? sub,
    site: known.id,
    departments: departments.filter((d) => known.departments.includes(d)),
    perms,
    seesAll: perms.includes(PERMISSION.seesAllOnlineVisitors),
    takeover: perms.includes(PERMISSION.takeoverChats),
    exp,
    iat,
  }
}

/**
 * Whether an admin ended `sub`'s sessions after a token issued at `issuedAt` (a token without
 * `iat` counts as issued as early as its lifetime cap allows).
 */
export function isRevoked(site: Site, sub: string, issuedAt: number): boolean {
  const revocation = site.revocations?.find((r) => r.sub === sub)
  return revocation !== undefined && issuedAt <= revocation.at
}

/** Issues an operator JWT for a site (demo start-up, tests, tooling). */
export function signOperatorToken(
  site: Site,
  operator: { id: string; name?: string; departments?: string[]; perms?: string[] },
  ttlSeconds = DEFAULT_TOKEN_TTL_SECONDS,
): Promise<string> {
  return new SignJWT({
    site: site.id,
    departments: operator.departments ?? [],
    perms: operator.perms ?? [],
    ...(operator.name ? { name: operator.name } : {}),
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(operator.id)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
    .sign(new TextEncoder().encode(site.secret))
}
