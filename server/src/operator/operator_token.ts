import { SignJWT, decodeJwt, errors, jwtVerify } from 'jose'
import { z } from 'zod'
import type { Site } from '../site/site.js'

export const PERMISSION = {
  /** See every online visitor of the site, whatever its department. */
  seesAllOnlineVisitors: 'sees_all_online_visitors',
  /** Create, change, delete and preview the site's campaigns (admin campaign routes with the operator JWT). */
  manageCampaigns: 'manage_campaigns',
} as const

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
  /** Token expiry (epoch seconds), if it has one. */
  exp?: number
}

/** Why an operator token was refused; the socket closes with 4001 and this message. */
export class OperatorTokenError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'OperatorTokenError'
  }
}

const claimsSchema = z.object({
  sub: z.string().regex(/^[A-Za-z0-9_.@-]{1,128}$/, 'sub must be 1-128 characters of A-Z a-z 0-9 _ . @ -'),
  site: z.string().min(1).max(64),
  departments: z.array(z.string().max(64)).max(200).default([]),
  perms: z.array(z.string().max(64)).max(50).default([]),
  name: z.string().max(128).optional(),
  exp: z.number().optional(),
})

/**
 * Verifies an operator JWT: HS256 signed with the secret of the site named in its `site`
 * claim, not expired. Departments unknown to the site are dropped.
 */
export async function verifyOperatorToken(
  token: string,
  site: (id: string) => Site | undefined,
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
  const { sub, departments, perms, name, exp } = claims.data
  return {
    id: sub,
    name: name ?? sub,
    site: known.id,
    departments: departments.filter((d) => known.departments.includes(d)),
    perms,
    seesAll: perms.includes(PERMISSION.seesAllOnlineVisitors),
    exp,
  }
}

/** Issues an operator JWT for a site (demo start-up, tests, tooling). */
export function signOperatorToken(
  site: Site,
  operator: { id: string; name?: string; departments?: string[]; perms?: string[] },
  ttlSeconds = 7 * 24 * 3600,
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
