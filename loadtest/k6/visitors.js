// Visitors browsing with dwell times and receiving invitations.
// Each VU is one visitor session: hello on a landing page, PAGES page views with dwell times
// (a share on /kb/ pages, which the load campaign invites on after INVITE_AFTER_SECONDS),
// then it leaves and a new session starts. invite_latency runs from the moment the campaign
// condition became true (page view sent + threshold) to the `invite` frame.
//
//   k6 run -e BASE_URL=http://127.0.0.1:8080 -e SITE=load -e VUS=500 -e DURATION=5m loadtest/k6/visitors.js
import ws from 'k6/ws'
import { check, sleep } from 'k6'
import { Counter, Rate, Trend } from 'k6/metrics'
import {
  DURATION,
  INVITE_AFTER_SECONDS,
  SITE,
  VUS,
  WS_PARAMS,
  between,
  decode,
  encode,
  page,
  visitorUrl,
} from './lib.js'

const PAGES = Number(__ENV.PAGES || 5)
const DWELL_MIN_MS = Number(__ENV.DWELL_MIN_MS || 1000)
const DWELL_MAX_MS = Number(__ENV.DWELL_MAX_MS || 6000)
const KB_SHARE = Number(__ENV.KB_SHARE || 0.4)
/** How long past due an invitation is awaited before it counts as missed. */
const INVITE_WAIT_MS = Number(__ENV.INVITE_WAIT_MS || 3000)

const inviteLatency = new Trend('invite_latency', true)
const inviteReceived = new Rate('invite_received')
const pageViews = new Counter('page_views')
const errorFrames = new Counter('error_frames')

export const options = {
  scenarios: {
    browsing: {
      executor: 'ramping-vus',
      startVUs: 0,
      stages: [
        { duration: __ENV.RAMP || '30s', target: VUS },
        { duration: DURATION, target: VUS },
        { duration: '10s', target: 0 },
      ],
      gracefulRampDown: '40s',
    },
  },
  thresholds: {
    invite_latency: ['p(95)<1500', 'p(99)<3000'],
    invite_received: ['rate>0.99'],
    ws_connecting: ['p(95)<500'],
    error_frames: ['count<1'],
    checks: ['rate>0.99'],
  },
}

export default function () {
  let welcomed = false
  let expectAt = null // epoch ms at which the current kb page's condition became true
  const res = ws.connect(visitorUrl(), WS_PARAMS, (socket) => {
    let step = 0
    const view = () => {
      if (expectAt !== null) {
        inviteReceived.add(false)
        expectAt = null
      }
      if (step >= PAGES) return socket.close()
      const kb = Math.random() < KB_SHARE
      socket.send(encode({ t: 'page', ...page(kb, __VU * 31 + step) }))
      pageViews.add(1)
      let dwell = between(DWELL_MIN_MS, DWELL_MAX_MS)
      if (kb) {
        expectAt = Date.now() + INVITE_AFTER_SECONDS * 1000
        dwell = Math.max(dwell, INVITE_AFTER_SECONDS * 1000 + INVITE_WAIT_MS)
      }
      step++
      socket.setTimeout(view, dwell)
    }
    socket.on('open', () =>
      socket.send(
        encode({
          t: 'hello',
          page: { url: `https://${SITE}.example/landing/${__VU % 100}`, title: 'Landing' },
          lang: 'en',
        }),
      ),
    )
    socket.on('message', (data) => {
      const frame = decode(data)
      check(frame, { 'frame is JSON with a type': (f) => f !== undefined })
      if (!frame) return
      if (frame.t === 'welcome') {
        welcomed = true
        check(frame, {
          'welcome names the visitor': (f) => typeof f.visitor === 'string' && typeof f.token === 'string',
        })
        view()
      } else if (frame.t === 'invite') {
        if (expectAt !== null) {
          inviteLatency.add(Date.now() - expectAt)
          inviteReceived.add(true)
          expectAt = null
        }
        // Frees the one visible-invitation slot, so the next kb page can invite again.
        socket.send(encode({ t: 'inv', id: frame.id, action: 'dismissed' }))
      } else if (frame.t === 'error') {
        errorFrames.add(1, { code: String(frame.code) })
      }
    })
    // A bound on the session whatever happens: pages x (longest dwell + invite wait) + slack.
    socket.setTimeout(
      () => socket.close(),
      PAGES * (DWELL_MAX_MS + INVITE_AFTER_SECONDS * 1000 + INVITE_WAIT_MS) + 10000,
    )
  })
  check(res, { 'upgraded (101)': (r) => r && r.status === 101 })
  check(welcomed, { welcomed: (w) => w === true })
  sleep(between(1, 3))
}
