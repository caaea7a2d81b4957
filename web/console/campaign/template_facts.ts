import type { VisitorSummary } from '../../../shared/src/protocol.js'
import type { Clock, FactValue, Facts } from '../../../server/src/rules/facts.js'

/** Stand-in values for the message preview when no live visitor is chosen. */
export function sampleFacts(now: number): Facts {
  return new Map<string, FactValue | Clock>([
    ['visitor.name', 'Ada'],
    ['visitor.email', 'ada@example.com'],
    ['visitor.language', 'en'],
    ['visitor.visits', 3],
    ['visitor.returning', true],
    ['page.url', 'https://shop.example/kb/sso'],
    ['page.title', 'Single sign-on'],
    ['page.seconds', { since: now - 42_000 }],
    ['visit.seconds', { since: now - 300_000 }],
    ['visit.pageViews', 4],
    ['geo.country', 'GB'],
    ['geo.city', 'London'],
    ['device.platform', 'desktop'],
    ['device.browser', 'Chrome'],
    ['utm.source', 'newsletter'],
  ])
}

/** The facts a live visitor's summary gives, as the message template reads them. */
export function summaryFacts(v: VisitorSummary): Facts {
  const facts = new Map<string, FactValue | Clock>([
    ['visitor.name', v.name ?? null],
    ['visitor.email', v.email ?? null],
    ['visitor.language', v.language ?? null],
    ['visitor.visits', v.visits],
    ['visitor.returning', v.visits > 1],
    ['user.authenticated', v.authenticated],
    ['page.url', v.page.url],
    ['page.title', v.page.title],
    ['page.seconds', { since: v.pageSince }],
    ['visit.seconds', { since: v.visitSince }],
    ['visit.pageViews', v.pageViews],
    ['visit.referrer', v.referrer ?? null],
    ['visit.source', v.source ?? null],
    ['geo.country', v.geo.country ?? null],
    ['geo.region', v.geo.region ?? null],
    ['geo.city', v.geo.city ?? null],
    ['device.platform', v.device.platform],
    ['device.os', v.device.os ?? null],
    ['device.browser', v.device.browser ?? null],
    ['widget.open', v.widgetOpen],
  ])
  for (const [key, value] of Object.entries(v.utm)) facts.set(`utm.${key}`, value ?? null)
  return facts
}
