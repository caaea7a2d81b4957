// A reconnect storm: every VU holds a visitor socket, all of them close at the same
// wall-clock moment (every STORM_EVERY seconds, like a node restart), and each reconnects
// after a random backoff in [0, JITTER_MS] with its resume token. reconnect_latency runs
// from the reconnect attempt to `welcome`; `resumed` must say the token brought it back.
//
//   k6 run -e BASE_URL=http://127.0.0.1:8080 -e SITE=load -e VUS=2000 -e DURATION=2m loadtest/k6/reconnect_storm.js
import { check, sleep } from 'k6'
import { Rate, Trend } from 'k6/metrics'
import { DURATION, ERROR_THRESHOLDS, VUS, connect, ms, number, page, visitorUrl } from './lib.js'

const STORM_EVERY_MS = number('STORM_EVERY', 20) * 1000
const JITTER_MS = number('JITTER_MS', 3000)
/**
 * The resumes a second one node is held to. A storm of VUS sockets within JITTER_MS arrives
 * faster than one core accepts them (9,500 in 3 s is 3,200/s), so the last ones wait in the
 * kernel (the listen backlog is 512, then SYN retries): the latency goals grow by the time the
 * node needs for the whole crowd at this rate, TOTAL_VUS / RESUMES_PER_SECOND. Every socket must
 * still come back, resumed: those thresholds do not move.
 */
const RESUMES_PER_SECOND = number('RESUMES_PER_SECOND', 2000)
/** The whole crowd: `make loadtest` splits a large storm over k6 processes, each told the total. */
const CROWD = number('TOTAL_VUS', VUS)
const DRAIN_MS = Math.round((1000 * CROWD) / RESUMES_PER_SECOND)

const reconnectLatency = new Trend('reconnect_latency', true)
const resumed = new Rate('resumed')

export const options = {
  scenarios: {
    storm: { executor: 'constant-vus', vus: VUS, duration: DURATION, gracefulStop: `${STORM_EVERY_MS / 1000 + 10}s` },
  },
  thresholds: {
    reconnect_latency: [`p(95)<${ms(2000 + DRAIN_MS)}`, `p(99)<${ms(5000 + DRAIN_MS)}`],
    resumed: ['rate>0.99'],
    ws_connecting: [`p(95)<${ms(1000 + DRAIN_MS)}`],
    checks: ['rate>0.99'],
    ...ERROR_THRESHOLDS,
  },
}

// Per VU (each VU has its own copy of module state): the visitor's resume token.
let token = null

export default function () {
  const started = Date.now()
  let welcomed = false
  const res = connect(visitorUrl(), {
    open(send, socket) {
      const hello = { t: 'hello', page: page(false, __VU) }
      send(token ? { ...hello, token, reconnect: true } : hello)
      socket.setTimeout(() => socket.close(), STORM_EVERY_MS + 15000)
    },
    frame(frame, _send, socket) {
      if (frame.t !== 'welcome') return
      welcomed = true
      if (token) {
        reconnectLatency.add(Date.now() - started)
        resumed.add(frame.resumed === true)
      }
      token = frame.token
      // Hold until the next storm boundary: every VU drops at the same moment.
      socket.setTimeout(() => socket.close(), STORM_EVERY_MS - (Date.now() % STORM_EVERY_MS))
    },
  })
  if (res.status === 101) check(welcomed, { welcomed: (w) => w === true })
  sleep(Math.random() * (JITTER_MS / 1000))
}
