// Visitors browsing with dwell times and receiving invitations.
// Each VU is one visitor session: hello on a landing page, PAGES page views with dwell times
// (DWELL_MIN_MS–DWELL_MAX_MS: 10–30 s; a share on /kb/ pages, which the load campaign invites
// on after INVITE_AFTER_SECONDS), then it leaves and a new session starts. VUs ramp up at
// ARRIVALS_PER_SECOND new visitors a second (100). invite_latency runs from the moment the campaign
// condition became true (page view sent + threshold) to the `invite` frame.
// CODEC=msgpack runs the same sessions in binary frames (subprotocol beckon.v1.msgpack).
//
//   k6 run -e BASE_URL=http://127.0.0.1:8080 -e SITE=load -e VUS=500 -e DURATION=5m loadtest/k6/visitors.js
import { check, sleep } from 'k6'
import { Counter, Rate, Trend } from 'k6/metrics'
import {
  DURATION,
  ERROR_THRESHOLDS,
  INVITE_AFTER_SECONDS,
  SITE,
  VUS,
  between,
  connect,
  ms,
  number,
  page,
  visitorUrl,
} from './lib.js'

const PAGES = number('PAGES', 5)
// A visitor's pace: a page view every 10–30 s (as the cluster bench browses), not a crawler's.
const DWELL_MIN_MS = number('DWELL_MIN_MS', 10000)
const DWELL_MAX_MS = number('DWELL_MAX_MS', 30000)
/**
 * New visitors per second while ramping up (RAMP, when set, wins): 100/s is a busy site's
 * arrival rate (19,000 on line with 5-minute visits see about 60/s). A node restart's crowd
 * arriving at once is the reconnect storm's scenario, not this one's.
 */
const ARRIVALS_PER_SECOND = number('ARRIVALS_PER_SECOND', 100)
const RAMP = __ENV.RAMP || `${Math.max(1, Math.ceil(VUS / ARRIVALS_PER_SECOND))}s`
const KB_SHARE = number('KB_SHARE', 0.4)
/** How long past due an invitation is awaited before it counts as missed. */
const INVITE_WAIT_MS = number('INVITE_WAIT_MS', 3000)

const inviteLatency = new Trend('invite_latency', true)
const inviteReceived = new Rate('invite_received')
const pageViews = new Counter('page_views')
const welcomes = new Counter('welcomes')
/** Invitations that came after the visitor had moved on (counted as missed on their page). */
const staleInvites = new Counter('invite_stale')

export const options = {
  scenarios: {
    browsing: {
      executor: 'ramping-vus',
      startVUs: 0,
      stages: [
        { duration: RAMP, target: VUS },
        { duration: DURATION, target: VUS },
        { duration: __ENV.RAMP_DOWN || '10s', target: 0 },
      ],
      gracefulRampDown: '40s',
    },
  },
  thresholds: {
    invite_latency: [`p(95)<${ms(1500)}`, `p(99)<${ms(3000)}`],
    invite_received: ['rate>0.99'],
    ws_connecting: [`p(95)<${ms(500)}`],
    checks: ['rate>0.99'],
    ...ERROR_THRESHOLDS,
  },
}

export default function () {
  let welcomed = false
  let expectAt = null // epoch ms at which the current kb page's condition became true
  let step = 0
  const view = (send, socket) => {
    if (expectAt !== null) {
      inviteReceived.add(false)
      expectAt = null
    }
    if (step >= PAGES) return socket.close()
    const kb = Math.random() < KB_SHARE
    send({ t: 'page', ...page(kb, __VU * 31 + step) })
    pageViews.add(1)
    let dwell = between(DWELL_MIN_MS, DWELL_MAX_MS)
    if (kb) {
      expectAt = Date.now() + INVITE_AFTER_SECONDS * 1000
      dwell = Math.max(dwell, INVITE_AFTER_SECONDS * 1000 + INVITE_WAIT_MS)
    }
    step++
    socket.setTimeout(() => view(send, socket), dwell)
  }
  const res = connect(visitorUrl(), {
    open(send, socket) {
      send({ t: 'hello', page: { url: `https://${SITE}.example/landing/${__VU % 100}`, title: 'Landing' }, lang: 'en' })
      // A bound on the session whatever happens: pages x (longest dwell + invite wait) + slack.
      socket.setTimeout(
        () => socket.close(),
        PAGES * (DWELL_MAX_MS + INVITE_AFTER_SECONDS * 1000 + INVITE_WAIT_MS) + 10000,
      )
    },
    frame(frame, send, socket) {
      if (frame.t === 'welcome') {
        welcomed = true
        welcomes.add(1)
        check(frame, {
          'welcome names the visitor': (f) => typeof f.visitor === 'string' && typeof f.token === 'string',
        })
        view(send, socket)
      } else if (frame.t === 'invite') {
        // Sooner than the condition can hold on this page: a late invitation of an earlier page.
        if (expectAt !== null && Date.now() < expectAt - 100) staleInvites.add(1)
        else if (expectAt !== null) {
          inviteLatency.add(Date.now() - expectAt)
          inviteReceived.add(true)
          expectAt = null
        }
        // Frees the one visible-invitation slot, so the next kb page can invite again.
        send({ t: 'inv', id: frame.id, action: 'dismissed' })
      }
    },
  })
  if (res.status === 101) check(welcomed, { welcomed: (w) => w === true })
  sleep(between(1, 3))
}
