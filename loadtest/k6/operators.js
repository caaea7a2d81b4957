// Operators watching the visitor list: auth, watch, then the live stream of visitor upserts.
// Run it next to visitors.js (or the Node generator) so the list has something to show.
// Like the console, each watches the node's default window (`view: {}`, 200 rows) and gets
// changes for that window only; WHOLE_LIST=1 watches without a view (every visitor of the
// site and every change of any of them, the v1.0 list).
//
//   k6 run -e BASE_URL=http://127.0.0.1:8080 -e SITE=load -e OPERATOR_TOKEN=... -e VUS=20 loadtest/k6/operators.js
import { check, sleep } from 'k6'
import { Counter, Trend } from 'k6/metrics'
import { DURATION, ERROR_THRESHOLDS, OPERATOR_TOKEN, SITE, VUS, connect, ms, number, operatorUrl } from './lib.js'

/** How long one console session stays open before the operator reconnects. */
const SESSION_SECONDS = number('SESSION_SECONDS', 60)
const WHOLE_LIST = __ENV.WHOLE_LIST === '1'

const snapshotLatency = new Trend('snapshot_latency', true)
const snapshotSize = new Trend('snapshot_size')
const snapshots = new Counter('snapshots')
const visitorUpdates = new Counter('visitor_updates')

export const options = {
  scenarios: {
    watching: { executor: 'constant-vus', vus: VUS, duration: DURATION, gracefulStop: `${SESSION_SECONDS + 10}s` },
  },
  thresholds: {
    snapshot_latency: [`p(95)<${ms(1000)}`],
    ws_connecting: [`p(95)<${ms(500)}`],
    visitor_updates: ['count>0'],
    checks: ['rate>0.99'],
    ...ERROR_THRESHOLDS,
  },
}

export function setup() {
  if (!OPERATOR_TOKEN) throw new Error('OPERATOR_TOKEN is required: run loadtest/setup.ts first')
}

export default function () {
  let ready = false
  let snapshot = false
  let watchSent = 0
  const res = connect(operatorUrl(), {
    open(send, socket) {
      send({ t: 'auth', token: OPERATOR_TOKEN })
      socket.setTimeout(() => socket.close(), SESSION_SECONDS * 1000)
    },
    frame(frame, send) {
      if (frame.t === 'ready') {
        ready = true
        watchSent = Date.now()
        send(WHOLE_LIST ? { t: 'watch', site: SITE } : { t: 'watch', site: SITE, view: {} })
      } else if (frame.t === 'visitors') {
        snapshot = true
        snapshots.add(1)
        snapshotLatency.add(Date.now() - watchSent)
        snapshotSize.add(Array.isArray(frame.list) ? frame.list.length : 0)
        check(frame, { 'snapshot is of the site': (f) => f.site === SITE && Array.isArray(f.list) })
      } else if (frame.t === 'visitor' || frame.t === 'gone' || frame.t === 'window') {
        visitorUpdates.add(1)
      }
    },
  })
  if (res.status === 101) check(null, { 'auth accepted': () => ready, 'snapshot received': () => snapshot })
  sleep(1)
}
