// Campaign churn: an admin edits campaigns every EDIT_EVERY seconds while visitors browse.
// The tracked campaign `churn-kb` (every_time, on /churn/ pages after INVITE_AFTER_SECONDS)
// must invite once per page view, with its own text, whatever else is saved meanwhile; the
// admin only touches other campaigns (`churn-other-N`, never matching), so an edit must not
// re-send `churn-kb` to a visitor who already got it on this page (`refired`), and no other
// campaign may invite (`wrong_invites`). Visitors stay on each /churn/ page across at least
// one edit, then read a page no campaign matches, then the next /churn/ page.
//
//   k6 run -e BASE_URL=http://127.0.0.1:8080 -e SITE=load -e ADMIN_TOKEN=... -e VUS=200 -e DURATION=2m loadtest/k6/campaign_churn.js
//
// Env besides the common ones: ADMIN_TOKEN (the node's BECKON_ADMIN_TOKEN, required),
// EDIT_EVERY (seconds, 2), OTHERS (campaigns the admin cycles through, 5), PAGES (/churn/
// pages per visitor, 2), INVITE_WAIT_MS (3000).
import { check, sleep } from 'k6'
import http from 'k6/http'
import { Counter, Rate, Trend } from 'k6/metrics'
import {
  BASE_URL,
  DURATION,
  ERROR_THRESHOLDS,
  INVITE_AFTER_SECONDS,
  SITE,
  VUS,
  between,
  connect,
  ms,
  number,
  visitorUrl,
} from './lib.js'

const ADMIN_TOKEN = __ENV.ADMIN_TOKEN || ''
const EDIT_EVERY_MS = number('EDIT_EVERY', 2) * 1000
const OTHERS = number('OTHERS', 5)
const PAGES = number('PAGES', 2)
const INVITE_WAIT_MS = number('INVITE_WAIT_MS', 3000)
/** Time on each /churn/ page after its invitation: at least one edit lands meanwhile. */
const STAY_MS = 2 * EDIT_EVERY_MS + 1000

const TRACKED = 'churn-kb'
const TRACKED_TEXT = 'Churn: need help with this article?'

const inviteLatency = new Trend('churn_invite_latency', true)
const inviteReceived = new Rate('churn_invite_received')
const refired = new Counter('refired')
const wrongInvites = new Counter('wrong_invites')
const edits = new Counter('campaign_edits')
const editFailed = new Rate('campaign_edit_failed')

export const options = {
  scenarios: {
    admin: { executor: 'constant-vus', exec: 'admin', vus: 1, duration: DURATION },
    browsing: {
      executor: 'ramping-vus',
      exec: 'visitor',
      startVUs: 0,
      stages: [
        { duration: __ENV.RAMP || '5s', target: VUS },
        { duration: DURATION, target: VUS },
      ],
      gracefulRampDown: '30s',
      gracefulStop: '30s',
    },
  },
  thresholds: {
    churn_invite_latency: [`p(95)<${ms(1500)}`],
    churn_invite_received: ['rate>0.99'],
    refired: ['count<1'],
    wrong_invites: ['count<1'],
    campaign_edits: ['count>0'],
    campaign_edit_failed: ['rate<0.01'],
    ws_connecting: [`p(95)<${ms(500)}`],
    checks: ['rate>0.99'],
    ...ERROR_THRESHOLDS,
  },
}

const campaignUrl = (id) => `${BASE_URL}/v1/sites/${encodeURIComponent(SITE)}/campaigns/${id}`
const adminParams = () => ({
  headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
})

function put(id, campaign) {
  const res = http.put(campaignUrl(id), JSON.stringify(campaign), adminParams())
  if (res.status !== 200 && res.status !== 201) console.warn(`PUT ${id}: ${res.status} ${res.body}`)
  return res.status === 200 || res.status === 201
}

/** A campaign no load visitor matches, its text changed on every save. */
const other = (n, version) => ({
  name: `Churn other ${n}`,
  frequency: 'every_time',
  when: { all: [{ field: 'page.url', op: 'contains', value: `/never-${n}/` }] },
  message: { text: `Other ${n}, version ${version}` },
})

export function setup() {
  if (!ADMIN_TOKEN) throw new Error('ADMIN_TOKEN is required (the node runs with BECKON_ADMIN_TOKEN)')
  const tracked = {
    name: 'Churn: KB help',
    frequency: 'every_time',
    when: {
      all: [
        { field: 'page.url', op: 'contains', value: '/churn/' },
        { field: 'page.seconds', op: 'gte', value: INVITE_AFTER_SECONDS },
      ],
    },
    message: { text: TRACKED_TEXT, startChat: false },
  }
  if (!put(TRACKED, tracked)) throw new Error(`cannot save ${TRACKED}: is ADMIN_TOKEN right?`)
}

export function teardown() {
  for (const id of [TRACKED, ...Array.from({ length: OTHERS }, (_, n) => `churn-other-${n}`)]) {
    http.del(campaignUrl(id), null, adminParams())
  }
}

let version = 0
export function admin() {
  version++
  const n = version % OTHERS
  // Mostly saves (create or change); every fourth save of a campaign deletes it instead.
  const ok =
    version % (4 * OTHERS) < 3 * OTHERS
      ? put(`churn-other-${n}`, other(n, version))
      : [200, 204, 404].includes(http.del(campaignUrl(`churn-other-${n}`), null, adminParams()).status)
  editFailed.add(!ok)
  if (ok) edits.add(1)
  sleep(EDIT_EVERY_MS / 1000)
}

export function visitor() {
  let step = 0
  let onChurn = false // the current page is a /churn/ page
  let invitedHere = false
  let expectAt = null
  let welcomed = false
  const churnPage = (send, socket) => {
    if (step >= PAGES) return socket.close()
    step++
    onChurn = true
    invitedHere = false
    expectAt = Date.now() + INVITE_AFTER_SECONDS * 1000
    send({ t: 'page', url: `https://${SITE}.example/churn/article-${(__VU * 13 + step) % 300}`, title: 'Article' })
    const viewed = step
    socket.setTimeout(
      () => {
        if (step === viewed && !invitedHere) {
          inviteReceived.add(false)
          otherPage(send, socket)
        }
      },
      INVITE_AFTER_SECONDS * 1000 + INVITE_WAIT_MS,
    )
  }
  const otherPage = (send, socket) => {
    onChurn = false
    expectAt = null
    send({ t: 'page', url: `https://${SITE}.example/p/${between(0, 999)}`, title: 'Product' })
    socket.setTimeout(() => churnPage(send, socket), between(500, 1500))
  }
  const res = connect(visitorUrl(), {
    open(send, socket) {
      send({ t: 'hello', page: { url: `https://${SITE}.example/landing`, title: 'Landing' }, lang: 'en' })
      socket.setTimeout(
        () => socket.close(),
        PAGES * (INVITE_AFTER_SECONDS * 1000 + INVITE_WAIT_MS + STAY_MS + 1500) + 10000,
      )
    },
    frame(frame, send, socket) {
      if (frame.t === 'welcome') {
        welcomed = true
        churnPage(send, socket)
        return
      }
      if (frame.t !== 'invite') return
      send({ t: 'inv', id: frame.id, action: 'dismissed' })
      if (frame.campaign !== TRACKED || frame.text !== TRACKED_TEXT || !onChurn) {
        wrongInvites.add(1, { campaign: String(frame.campaign) })
        console.warn(`unexpected invite ${frame.campaign} "${frame.text}" on ${onChurn ? 'a churn' : 'another'} page`)
        return
      }
      if (invitedHere) {
        // The same page view, the condition still true since: only a re-fire sends it again.
        refired.add(1)
        return
      }
      invitedHere = true
      inviteReceived.add(true)
      inviteLatency.add(Date.now() - expectAt)
      const viewed = step
      socket.setTimeout(() => step === viewed && otherPage(send, socket), STAY_MS)
    },
  })
  if (res.status === 101) check(welcomed, { welcomed: (w) => w === true })
  sleep(between(1, 2))
}
