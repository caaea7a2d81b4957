// Shared settings and helpers of the beckon k6 scripts (module k6/ws; tested on k6 v1.3.0,
// see loadtest/README.md). Every setting comes from an env var (k6 run -e NAME=value).
import ws from 'k6/ws'
import { Counter } from 'k6/metrics'
import * as msgpack from './msgpack.js'

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
export { number }

/**
 * Multiplies every latency threshold (LATENCY_SCALE, 1). The defaults are the goals for a node
 * with cores of its own; `make test` runs beside other tests on a shared machine and loosens
 * them (its checks are about correctness: rates, counts, errors), never the rates or counts.
 */
const LATENCY_SCALE = number('LATENCY_SCALE', 1)
export const ms = (goal) => goal * LATENCY_SCALE

/** CODEC=json (text frames) or CODEC=msgpack (binary frames, subprotocol beckon.v1.msgpack). */
export const CODEC = __ENV.CODEC || 'json'
if (CODEC !== 'json' && CODEC !== 'msgpack') throw new Error(`CODEC: expected json or msgpack, got ${CODEC}`)
const BINARY = CODEC === 'msgpack'
const SUBPROTOCOL = BINARY ? 'beckon.v1.msgpack' : 'beckon.v1.json'

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

/**
 * Why sockets failed, one tag value per reason: `dial` (no TCP/upgrade at all: res.error),
 * `http_<status>` (upgrade refused), `close_<code>` (closed by the server with a code other
 * than 1000), `socket` (a read/write error), `bad_frame` (a frame we could not decode).
 * Each reason has a threshold (count<1), so every one shows in the summary, zero or not.
 */
export const WS_ERROR_REASONS = [
  'dial',
  'http_400',
  'http_403',
  'http_404',
  'http_429',
  'http_503',
  'http_other',
  'close_1006',
  'close_1009',
  'close_1011',
  'close_1012',
  'close_4000',
  'close_4001',
  'close_4004',
  'close_4008',
  'close_4009',
  'close_4010',
  'close_4011',
  'close_other',
  'socket',
  'bad_frame',
]
const wsErrors = new Counter('ws_errors')
/** `error` frames from the server, tagged with their code. */
export const errorFrames = new Counter('error_frames')

/** Thresholds every script shares: no socket failed for any reason, no error frame. */
export const ERROR_THRESHOLDS = Object.fromEntries([
  ['ws_errors', ['count<1']],
  ['error_frames', ['count<1']],
  ...WS_ERROR_REASONS.map((reason) => [`ws_errors{reason:${reason}}`, ['count<1']]),
])

const logged = {}
function wsError(reason, detail) {
  const known = WS_ERROR_REASONS.includes(reason) ? reason : reason.startsWith('http_') ? 'http_other' : 'close_other'
  wsErrors.add(1, { reason: known })
  // The first failure of each kind per VU goes to the log with its detail (res.error, body, close reason).
  if (!logged[known]) {
    logged[known] = true
    console.warn(`ws ${known}: ${detail}`)
  }
}

const encodeFrame = (frame) => (BINARY ? msgpack.encode(frame) : JSON.stringify(frame))

function decodeFrame(data) {
  try {
    const frame = BINARY ? msgpack.decode(data) : JSON.parse(data)
    return frame && typeof frame.t === 'string' ? frame : undefined
  } catch (_) {
    return undefined
  }
}

/**
 * Opens a socket in the chosen subprotocol and blocks until it closes (k6/ws). `handlers`:
 * `open(send, socket)`, `frame(frame, send, socket)` for each decoded server frame (error
 * frames are counted first), `close(code)`. Failures land in `ws_errors{reason}`.
 * Returns k6's response (status 101 when upgraded).
 */
export function connect(url, handlers) {
  let closedByServer = false
  const params = { headers: { 'Sec-WebSocket-Protocol': SUBPROTOCOL } }
  const res = ws.connect(url, params, (socket) => {
    const send = (frame) => (BINARY ? socket.sendBinary(encodeFrame(frame)) : socket.send(encodeFrame(frame)))
    const received = (data) => {
      const frame = decodeFrame(data)
      if (!frame) return wsError('bad_frame', String(data).slice(0, 80))
      if (frame.t === 'error') errorFrames.add(1, { code: String(frame.code) })
      handlers.frame?.(frame, send, socket)
    }
    socket.on('open', () => handlers.open?.(send, socket))
    socket.on(BINARY ? 'binaryMessage' : 'message', received)
    // A frame of the other kind is a protocol error on our side of the subprotocol.
    socket.on(BINARY ? 'message' : 'binaryMessage', () => wsError('bad_frame', 'frame of the wrong kind'))
    socket.on('error', (e) => {
      const message = String(e?.error ? e.error() : e)
      // k6 reports a server close with a code as an error too; the close handler counts that.
      if (/^websocket: close \d+/.test(message)) closedByServer = true
      else wsError('socket', message)
    })
    socket.on('close', (code) => {
      if (closedByServer && code !== 1000) wsError(`close_${code}`, `closed by the server with ${code}`)
      handlers.close?.(code)
    })
  })
  if (res.error) wsError('dial', res.error)
  else if (res.status !== 101) wsError(`http_${res.status}`, res.body)
  return res
}
