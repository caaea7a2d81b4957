// Shared settings and helpers of the beckon k6 scripts (k6 v0.49+, module k6/ws).
// Every setting comes from an env var (k6 run -e NAME=value); see loadtest/README.md.

function number(name, fallback) {
  const raw = __ENV[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isFinite(value)) throw new Error(`${name}: expected a number, got ${raw}`)
  return value
}

/** The node's HTTP base, e.g. http://127.0.0.1:8080; the sockets use the same host as ws://. */
export const BASE_URL = (__ENV.BASE_URL || 'http://127.0.0.1:8080').replace(/\/$/, '')
export const WS_BASE = BASE_URL.replace(/^http/, 'ws')
export const SITE = __ENV.SITE || 'load'
export const VUS = number('VUS', 100)
export const DURATION = __ENV.DURATION || '2m'
/** Operator JWT printed by loadtest/setup.ts. */
export const OPERATOR_TOKEN = __ENV.OPERATOR_TOKEN || ''
/** The load campaign's page.seconds threshold (setup.ts INVITE_AFTER_SECONDS). */
export const INVITE_AFTER_SECONDS = number('INVITE_AFTER_SECONDS', 2)

/** JSON subprotocol, asked for explicitly (beckon would also default to it). */
export const WS_PARAMS = { headers: { 'Sec-WebSocket-Protocol': 'beckon.v1.json' } }

export const visitorUrl = () => `${WS_BASE}/v1/visitor?site=${encodeURIComponent(SITE)}`
export const operatorUrl = () => `${WS_BASE}/v1/operator`

/** Uniform random integer in [min, max]. */
export const between = (min, max) => min + Math.floor(Math.random() * (max - min + 1))

/** A page of the load site: kb pages are the ones the load campaign invites on. */
export function page(kb, n) {
  return kb
    ? { url: `https://${SITE}.example/kb/article-${n % 500}`, title: 'Help article' }
    : { url: `https://${SITE}.example/p/${n % 2000}`, title: 'Product' }
}

export const encode = (frame) => JSON.stringify(frame)

/** Parses a server frame; undefined for anything that is not a JSON object with a `t`. */
export function decode(data) {
  try {
    const frame = JSON.parse(data)
    return frame && typeof frame.t === 'string' ? frame : undefined
  } catch (_) {
    return undefined
  }
}
