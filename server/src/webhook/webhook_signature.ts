import { createHmac, timingSafeEqual } from 'node:crypto'

/** The header carrying a delivery's signature: `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`. */
export const SIGNATURE_HEADER = 'beckon-signature'

function hmac(secret: string, timestamp: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')
}

/** The `Beckon-Signature` value for `body` sent at `timestamp` (epoch seconds). */
export function signWebhook(secret: string, body: string, timestamp: number): string {
  return `t=${timestamp},v1=${hmac(secret, timestamp, body)}`
}

/**
 * Whether `header` is a valid signature of `body` under `secret`, made at most `toleranceSeconds`
 * from `now` (epoch seconds): what a receiver checks (a replayed old delivery fails the window).
 */
export function verifyWebhook(
  secret: string,
  body: string,
  header: string,
  now = Math.floor(Date.now() / 1000),
  toleranceSeconds = 300,
): boolean {
  const parts = new Map(header.split(',').map((p) => p.split('=', 2) as [string, string]))
  const timestamp = Number(parts.get('t'))
  const given = parts.get('v1') ?? ''
  if (!Number.isInteger(timestamp) || Math.abs(now - timestamp) > toleranceSeconds) return false
  const expected = Buffer.from(hmac(secret, timestamp, body))
  const actual = Buffer.from(given)
  return actual.length === expected.length && timingSafeEqual(actual, expected)
}
