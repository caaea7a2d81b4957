import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'

/**
 * Resume tokens: `<visitorId>.<issuedAtSeconds>.<base64url HMAC-SHA256(site secret, site.visitor.iat)>`.
 * Signed with the site secret, so every node of a cluster verifies them with no shared state,
 * and rotating the secret starts every visitor afresh.
 */
export function newVisitorId(): string {
  return randomBytes(12).toString('base64url')
}

function mac(secret: string, site: string, visitor: string, iat: string): string {
  return createHmac('sha256', secret).update(`${site}.${visitor}.${iat}`).digest('base64url')
}

export function signVisitorToken(secret: string, site: string, visitor: string, now = Date.now()): string {
  const iat = String(Math.floor(now / 1000))
  return `${visitor}.${iat}.${mac(secret, site, visitor, iat)}`
}

/** Returns the visitor id a token was issued for, or undefined when it is not one of ours. */
export function verifyVisitorToken(secret: string, site: string, token: string): string | undefined {
  const parts = token.split('.')
  if (parts.length !== 3) return undefined
  const [visitor = '', iat = '', sig = ''] = parts
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(visitor) || !/^\d{1,12}$/.test(iat)) return undefined
  const expected = Buffer.from(mac(secret, site, visitor, iat))
  const given = Buffer.from(sig)
  return given.length === expected.length && timingSafeEqual(given, expected) ? visitor : undefined
}

/** `user.hash` check: hex HMAC-SHA256(site secret, user.id), compared in constant time. */
export function verifyUserHash(secret: string, userId: string, hash: string): boolean {
  const expected = createHmac('sha256', secret).update(userId).digest()
  const given = Buffer.from(hash, 'hex')
  return given.length === expected.length && timingSafeEqual(given, expected)
}
