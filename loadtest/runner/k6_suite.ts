import { setupLoadSite } from '../generator/site_setup.js'
import type { K6Metric, K6Summary } from './k6_process.js'

/** How many VUs each script runs with, and for how long. */
export interface SuiteScale {
  visitors: number
  /** visitors.js again, in msgpack binary frames. */
  msgpack: number
  operators: number
  storm: number
  chat: number
  churn: number
  /** DURATION of every script's steady phase (k6 duration, e.g. `12s`, `2m`). */
  duration: string
  /** Short sessions (few pages, short dwell) and loose latency goals: runs of seconds, for `make test`. */
  quick: boolean
  /** New visitors per second while visitors.js ramps up (its ARRIVALS_PER_SECOND, 100). */
  arrivals?: number
}

/** Seconds of a k6 duration such as `90s`, `2m` or `1h` (the forms this suite passes). */
export function durationSeconds(duration: string): number {
  const match = /^(\d+)(s|m|h)$/.exec(duration)
  if (!match) throw new Error(`DURATION: expected e.g. 90s, 2m or 1h, got ${duration}`)
  return Number(match[1]) * { s: 1, m: 60, h: 3600 }[match[2] as 's' | 'm' | 'h']
}

/** `make test`: every script for ~15–30 s with a handful of VUs. */
export const TEST_SCALE: SuiteScale = {
  visitors: 12,
  msgpack: 6,
  operators: 3,
  storm: 20,
  chat: 6,
  churn: 6,
  duration: '12s',
  quick: true,
}

/** A fact of the summary proving that traffic happened, and how it reads in the table. */
export interface Traffic {
  label: string
  metric: string
  field: keyof K6Metric
}

export interface K6Scenario {
  name: string
  script: string
  vus: number
  env: Record<string, string>
  /** Each must be above zero: the run did what it is about. */
  traffic: Traffic[]
  /** Latency trends (ms) for the table. */
  latency: string[]
}

/** The load campaign's page.seconds threshold on every suite site. */
export const INVITE_AFTER_SECONDS = 1

/** Each script on its own site, so one's campaigns and visitors never meet another's checks. */
export const SUITE_SITES = ['load', 'load-mp', 'storm', 'chat', 'churn'] as const
type SuiteSite = (typeof SUITE_SITES)[number]

/** Creates the suite's sites (each with the load campaign) on a node; operator token per site. */
export async function prepareSuite(base: string, adminToken: string): Promise<Record<SuiteSite, string>> {
  const tokens = {} as Record<SuiteSite, string>
  for (const site of SUITE_SITES) {
    const { operatorToken } = await setupLoadSite({
      base,
      adminToken,
      site,
      secret: `${site}-load-secret-0123456789`,
      inviteAfterSeconds: INVITE_AFTER_SECONDS,
    })
    tokens[site] = operatorToken
  }
  return tokens
}

/** The scripts of loadtest/k6 at a scale, against the node at `base` prepared by prepareSuite. */
export function k6Suite(
  base: string,
  adminToken: string,
  tokens: Record<SuiteSite, string>,
  scale: SuiteScale,
): K6Scenario[] {
  const common = (site: SuiteSite, vus: number): Record<string, string> => ({
    BASE_URL: base,
    SITE: site,
    VUS: String(vus),
    DURATION: scale.duration,
    INVITE_AFTER_SECONDS: String(INVITE_AFTER_SECONDS),
    // Short runs share the machine with the rest of the suite: latency goals ×10, and late
    // invitations get longer before they count as missed. Rates, counts and errors stay strict.
    ...(scale.quick && { LATENCY_SCALE: '10', INVITE_WAIT_MS: '4000' }),
  })
  // Visitors arrive at `arrivals` a second; the operators watch through the ramp and the steady phase.
  const rampSeconds = (vus: number) => (scale.quick ? 3 : Math.max(1, Math.ceil(vus / (scale.arrivals ?? 100))))
  const browsing = (vus: number): Record<string, string> =>
    scale.quick
      ? { RAMP: '3s', RAMP_DOWN: '2s', PAGES: '3', DWELL_MIN_MS: '500', DWELL_MAX_MS: '1500' }
      : { RAMP: `${rampSeconds(vus)}s` }
  const invites: Traffic[] = [
    { label: 'invites', metric: 'invite_received', field: 'passes' },
    { label: 'page views', metric: 'page_views', field: 'count' },
  ]
  return [
    {
      name: 'visitors (json)',
      script: 'loadtest/k6/visitors.js',
      vus: scale.visitors,
      env: { ...common('load', scale.visitors), ...browsing(scale.visitors) },
      traffic: invites,
      latency: ['invite_latency', 'ws_connecting'],
    },
    {
      name: 'visitors (msgpack)',
      script: 'loadtest/k6/visitors.js',
      vus: scale.msgpack,
      env: { ...common('load-mp', scale.msgpack), ...browsing(scale.msgpack), CODEC: 'msgpack' },
      traffic: invites,
      latency: ['invite_latency', 'ws_connecting'],
    },
    {
      name: 'operators',
      script: 'loadtest/k6/operators.js',
      vus: scale.operators,
      // Watches the site visitors.js browses, running at the same time.
      env: {
        ...common('load', scale.operators),
        ...(!scale.quick && { DURATION: `${rampSeconds(scale.visitors) + durationSeconds(scale.duration)}s` }),
        OPERATOR_TOKEN: tokens.load,
        ...(scale.quick && { SESSION_SECONDS: '5' }),
      },
      traffic: [
        { label: 'snapshots', metric: 'snapshots', field: 'count' },
        { label: 'upserts', metric: 'visitor_updates', field: 'count' },
      ],
      latency: ['snapshot_latency'],
    },
    {
      name: 'reconnect storm',
      script: 'loadtest/k6/reconnect_storm.js',
      vus: scale.storm,
      env: { ...common('storm', scale.storm), ...(scale.quick && { STORM_EVERY: '5', JITTER_MS: '1000' }) },
      traffic: [{ label: 'resumed', metric: 'resumed', field: 'passes' }],
      latency: ['reconnect_latency'],
    },
    {
      name: 'chat',
      script: 'loadtest/k6/chat.js',
      vus: scale.chat,
      env: { ...common('chat', scale.chat), OPERATOR_TOKEN: tokens.chat },
      traffic: [
        { label: 'answered', metric: 'chat_answered', field: 'passes' },
        { label: 'closed chats', metric: 'chat_closed', field: 'count' },
      ],
      latency: ['chat_visitor_to_operator', 'chat_operator_to_visitor'],
    },
    {
      name: 'campaign churn',
      script: 'loadtest/k6/campaign_churn.js',
      vus: scale.churn,
      env: { ...common('churn', scale.churn), ADMIN_TOKEN: adminToken, ...(scale.quick && { RAMP: '3s', PAGES: '1' }) },
      traffic: [
        { label: 'invites', metric: 'churn_invite_received', field: 'passes' },
        { label: 'edits', metric: 'campaign_edits', field: 'count' },
      ],
      latency: ['churn_invite_latency'],
    },
  ]
}

/** The value a Traffic names, 0 when the metric is absent. */
export function trafficValue(summary: K6Summary, traffic: Traffic): number {
  const value = summary.metrics[traffic.metric]?.[traffic.field]
  return typeof value === 'number' ? value : 0
}

/** Socket failures by reason (`ws_errors{reason:X}` sub-metrics with a count). */
export function socketErrors(summary: K6Summary): Record<string, number> {
  const errors: Record<string, number> = {}
  for (const [name, metric] of Object.entries(summary.metrics)) {
    const reason = /^ws_errors\{reason:(.+)\}$/.exec(name)?.[1]
    if (reason && (metric.count ?? 0) > 0) errors[reason] = metric.count ?? 0
  }
  const frames = summary.metrics.error_frames?.count ?? 0
  if (frames > 0) errors.error_frames = frames
  return errors
}
