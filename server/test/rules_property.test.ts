/**
 * Property test: random campaigns and random event sequences, checked against a naive
 * reference written here from the semantics in campaign.ts (full re-evaluation of every
 * campaign at every call). After every call the matcher's eligible set and its invitations
 * must equal the reference's; between calls (up to nextWakeAt) nothing may change, which
 * checks that time-based changes are never missed.
 */
import t from 'tap'
import {
  parseCampaign,
  type Campaign,
  type Condition,
  type LeafCondition,
  type Schedule,
} from '../src/rules/campaign.js'
import { CampaignEngine } from '../src/rules/campaign_engine.js'
import type { Clock, FactValue, Scalar } from '../src/rules/facts.js'
import { fieldSpec } from '../src/rules/fields.js'
import { mulberry32, pick, type Rand } from './support/random.js'

type Fact = FactValue | Clock
const some = <T>(r: Rand, list: readonly T[]): T[] => {
  const out = list.filter(() => r() < 0.5)
  return out.length > 0 ? out : [pick(r, list)]
}

// ---------------------------------------------------------------- generators

const URLS = [
  'https://a.test/kb/x',
  'https://a.test/KB/y?q=1',
  'https://a.test/shop/p1',
  'https://a.test/',
  'https://b.test/kb/',
]
const URL_PARTS = ['/kb/', 'shop', 'p1', 'A.TEST', 'b.test', '?q=', 'https://a.test/kb/x']
const URL_PREFIXES = ['https://a.test/kb', 'HTTPS://', 'https://b', 'x', 'https://a.test/']
const COUNTRIES = ['DE', 'fr', 'US']
const CLOCKS = ['page.seconds', 'visit.seconds', 'widget.secondsSinceClosed']
const FIELDS = [
  'page.url',
  'geo.country',
  'page.views',
  'visit.pageViews',
  'user.authenticated',
  'team.online',
  'widget.open',
  ...CLOCKS,
  'context.tags',
  'context.score',
]

function factValue(r: Rand, field: string, now: number): Fact {
  if (r() < 0.12) return null
  if (CLOCKS.includes(field)) return { since: now - Math.floor(r() * 12_000) }
  switch (field) {
    case 'page.url':
      return r() < 0.05 ? '' : pick(r, URLS)
    case 'geo.country':
      return pick(r, [...COUNTRIES, 'de'])
    case 'page.views':
    case 'visit.pageViews':
      return Math.floor(r() * 6)
    case 'context.tags':
      return pick<Fact>(r, [['a', 'B'], ['b', 'c'], 'a', 'Abc', 5, [1, 7], [], [true, 'x']])
    case 'context.score':
      return pick<Fact>(r, [1, 5, 7, 10, '5', true])
    default:
      return r() < 0.5
  }
}

const NUMBER_OPS = ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'in', 'not_in', 'exists', 'not_exists'] as const
const STRING_OPS = [
  'eq',
  'neq',
  'contains',
  'not_contains',
  'contains_any',
  'starts_with',
  'in',
  'not_in',
  'exists',
  'not_exists',
] as const
const CLOCK_OPS = ['gt', 'gte', 'lt', 'lte', 'gt', 'gte', 'exists', 'not_exists'] as const
const CONTEXT_OPS = [...STRING_OPS, 'gt', 'gte', 'lt', 'lte'] as const

function leaf(r: Rand): LeafCondition {
  const field = pick(r, FIELDS)
  const spec = fieldSpec(field)
  if (!spec) throw new Error(field)
  let op: LeafCondition['op']
  let value: Scalar | Scalar[] | undefined
  if (spec.clock) {
    op = pick(r, CLOCK_OPS)
    value = pick(r, [0, 1, 2.5, 5, 10, 20])
  } else if (spec.kind === 'boolean') {
    op = pick(r, ['eq', 'neq', 'exists', 'not_exists'] as const)
    value = r() < 0.5
  } else if (spec.kind === 'number') {
    op = pick(r, NUMBER_OPS)
    value = op === 'in' || op === 'not_in' ? some(r, [0, 1, 2, 3, 5]) : pick(r, [0, 1, 2, 2.5, 3, 5])
  } else if (spec.kind === 'string') {
    op = pick(r, STRING_OPS)
    const pool =
      field === 'page.url'
        ? op === 'starts_with'
          ? URL_PREFIXES
          : op.includes('contains')
            ? URL_PARTS
            : URLS
        : [...COUNTRIES, 'e', 'D']
    value = op === 'in' || op === 'not_in' || op === 'contains_any' ? some(r, pool) : pick(r, pool)
  } else {
    op = pick(r, CONTEXT_OPS)
    if (op === 'gt' || op === 'gte' || op === 'lt' || op === 'lte') value = pick(r, [0, 1, 5, 7])
    else if (op === 'contains' || op === 'not_contains' || op === 'starts_with') value = pick(r, ['a', 'b', 'C', 'ab'])
    else if (op === 'contains_any') value = some(r, ['a', 'c', 'X'])
    else if (op === 'in' || op === 'not_in') value = some<Scalar>(r, ['a', 'b', 5, 7, '5', true])
    else value = pick<Scalar>(r, ['a', 'b', 'B', 5, 1, 7, true, 'abc'])
  }
  return op === 'exists' || op === 'not_exists' ? { field, op } : { field, op, value }
}

function condition(r: Rand, depth: number): Condition {
  if (depth >= 3 || r() < 0.4) return leaf(r)
  const x = r()
  const children = () => Array.from({ length: 1 + Math.floor(r() * 3) }, () => condition(r, depth + 1))
  if (x < 0.45) return { all: children() }
  if (x < 0.85) return { any: children() }
  return { not: condition(r, depth + 1) }
}

function hhmm(minute: number): string {
  return `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`
}

function schedule(r: Rand, start: number): Record<string, unknown> {
  const week: Record<string, string[][]> = {}
  for (const day of some(r, ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'])) {
    const a = Math.floor(r() * 24 * 4) * 15
    const b = Math.min(24 * 60, a + 15 + Math.floor(r() * 12) * 30)
    week[day] = [[hhmm(a), hhmm(b)]]
  }
  const s: Record<string, unknown> = {
    tz: pick(r, ['UTC', 'Europe/Berlin', 'America/New_York']),
    hours: pick(r, ['inside', 'outside', 'any']),
    week,
  }
  if (r() < 0.3) s.from = new Date(start + Math.floor(r() * 4) * 3_600_000).toISOString()
  if (r() < 0.3) s.until = new Date(start + (5 + Math.floor(r() * 20)) * 3_600_000).toISOString()
  return s
}

function campaigns(r: Rand, count: number, start: number): Campaign[] {
  return Array.from({ length: count }, (_, i) => {
    const def: Record<string, unknown> = {
      id: `c${i}`,
      enabled: r() < 0.92,
      priority: Math.floor(r() * 5) - 2,
      audience: pick(r, ['all', 'all', 'visitors', 'users']),
      team: pick(r, ['any', 'any', 'online', 'offline']),
      frequency: pick(r, ['once_per_visitor', 'once_per_visit', 'every_time', 'every_time']),
      cooldownSeconds: pick(r, [0, 0, 0, 3, 30]),
      message: { text: `c${i}` },
    }
    if (r() < 0.9) def.when = condition(r, 0)
    if (r() < 0.25) def.schedule = schedule(r, start)
    return parseCampaign(def)
  })
}

// ---------------------------------------------------------------- reference model

const isClockValue = (v: Fact | undefined): v is Clock => typeof v === 'object' && v !== null && !Array.isArray(v)
const lower = (x: Scalar) => (typeof x === 'string' ? x.toLowerCase() : x)
const same = (a: Scalar, b: Scalar) => typeof a === typeof b && lower(a) === lower(b)

function positive(op: string, x: Scalar, value: Scalar | Scalar[] | undefined): boolean {
  const values = Array.isArray(value) ? value : []
  const v = value as Scalar
  const s = typeof x === 'string' ? x.toLowerCase() : undefined
  switch (op) {
    case 'eq':
      return same(x, v)
    case 'in':
      return values.some((w) => same(x, w))
    case 'contains':
      return s?.includes(String(v).toLowerCase()) === true
    case 'contains_any':
      return s !== undefined && values.some((w) => s.includes(String(w).toLowerCase()))
    case 'starts_with':
      return s?.startsWith(String(v).toLowerCase()) === true
    case 'gt':
      return typeof x === 'number' && x > (v as number)
    case 'gte':
      return typeof x === 'number' && x >= (v as number)
    case 'lt':
      return typeof x === 'number' && x < (v as number)
    case 'lte':
      return typeof x === 'number' && x <= (v as number)
  }
  throw new Error(op)
}

function naiveLeaf(c: LeafCondition, facts: Map<string, Fact>, now: number): boolean {
  const spec = fieldSpec(c.field)
  const v = facts.get(c.field) ?? null
  const absent =
    v === null ||
    v === '' ||
    (Array.isArray(v) && v.length === 0) ||
    (typeof v === 'number' && Number.isNaN(v)) ||
    isClockValue(v) !== spec?.clock
  if (absent) return c.op === 'not_exists'
  if (c.op === 'exists') return true
  if (c.op === 'not_exists') return false
  if (isClockValue(v)) {
    const seconds = (now - v.since) / 1000
    return positive(c.op, seconds, c.value)
  }
  const base = c.op === 'neq' ? 'eq' : c.op === 'not_contains' ? 'contains' : c.op === 'not_in' ? 'in' : c.op
  let result: boolean
  if (Array.isArray(v)) {
    if (base === 'contains') result = v.some((e) => same(e, c.value as Scalar))
    else if (base === 'contains_any') result = v.some((e) => (c.value as Scalar[]).some((w) => same(e, w)))
    else result = v.some((e) => positive(base, e, c.value))
  } else {
    result = positive(base, v as Scalar, c.value)
  }
  return base === c.op ? result : !result
}

function naiveWhen(c: Condition | undefined, facts: Map<string, Fact>, now: number): boolean {
  if (c === undefined) return true
  if ('all' in c) return c.all.every((x) => naiveWhen(x, facts, now))
  if ('any' in c) return c.any.some((x) => naiveWhen(x, facts, now))
  if ('not' in c) return !naiveWhen(c.not, facts, now)
  return naiveLeaf(c, facts, now)
}

const formats = new Map<string, Intl.DateTimeFormat>()
function naiveOpen(s: Schedule | undefined, now: number): boolean {
  if (!s) return true
  if (s.from !== undefined && now < Date.parse(s.from)) return false
  if (s.until !== undefined && now >= Date.parse(s.until)) return false
  if (s.hours === 'any') return true
  let f = formats.get(s.tz)
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', {
      timeZone: s.tz,
      weekday: 'short',
      hour: 'numeric',
      minute: 'numeric',
      hourCycle: 'h23',
    })
    formats.set(s.tz, f)
  }
  const parts = Object.fromEntries(f.formatToParts(now).map((p) => [p.type, p.value]))
  const minute = Number(parts.hour) * 60 + Number(parts.minute)
  const day = String(parts.weekday).toLowerCase() as keyof Schedule['week']
  const toMinute = (x: string) => Number(x.slice(0, 2)) * 60 + Number(x.slice(3))
  const inside = (s.week[day] ?? []).some(([a, b]) => minute >= toMinute(a) && minute < toMinute(b))
  return (s.hours === 'inside') === inside
}

class Reference {
  readonly facts = new Map<string, Fact>()
  readonly memory = {
    firedEver: new Set<string>(),
    firedThisVisit: new Set<string>(),
    lastFiredAt: new Map<string, number>(),
  }
  private readonly firedInEpisode = new Set<string>()
  slot = false
  private readonly enabled: Campaign[]

  constructor(campaigns: Campaign[]) {
    this.enabled = campaigns.filter((c) => c.enabled)
  }

  private gates(c: Campaign, now: number): boolean {
    const auth = this.facts.get('user.authenticated') === true
    const online = this.facts.get('team.online') === true
    if ((c.audience === 'visitors' && auth) || (c.audience === 'users' && !auth)) return false
    if ((c.team === 'online' && !online) || (c.team === 'offline' && online)) return false
    if (c.frequency === 'once_per_visitor' && this.memory.firedEver.has(c.id)) return false
    if (c.frequency === 'once_per_visit' && this.memory.firedThisVisit.has(c.id)) return false
    const last = this.memory.lastFiredAt.get(c.id)
    if (c.cooldownSeconds > 0 && last !== undefined && now < last + c.cooldownSeconds * 1000) return false
    return naiveOpen(c.schedule, now)
  }

  eligible(now: number): string[] {
    return this.enabled.filter((c) => naiveWhen(c.when, this.facts, now) && this.gates(c, now)).map((c) => c.id)
  }

  step(now: number, mayFire: boolean): string[] {
    const pending: Campaign[] = []
    for (const c of this.enabled) {
      if (!naiveWhen(c.when, this.facts, now)) this.firedInEpisode.delete(c.id)
      else if (!this.firedInEpisode.has(c.id) && this.gates(c, now)) pending.push(c)
    }
    if (!mayFire || this.slot || pending.length === 0) return []
    const best = pending.reduce((a, b) => (b.priority > a.priority ? b : a))
    this.firedInEpisode.add(best.id)
    this.slot = true
    this.memory.firedEver.add(best.id)
    this.memory.firedThisVisit.add(best.id)
    this.memory.lastFiredAt.set(best.id, now)
    return [best.id]
  }
}

// ---------------------------------------------------------------- the property

const STARTS = [
  Date.UTC(2025, 2, 29, 22, 0),
  Date.UTC(2025, 2, 8, 23, 30),
  Date.UTC(2025, 9, 25, 23, 0),
  Date.UTC(2025, 5, 2, 6, 55),
]
const STEPS = [0, 1, 400, 1000, 2500, 5000, 20_000, 600_000, 3_600_000]

t.test('the incremental matcher agrees with full re-evaluation', async (t) => {
  let calls = 0
  let fired = 0
  for (let seed = 1; seed <= 60; seed++) {
    const r = mulberry32(seed)
    const start = pick(r, STARTS)
    const defs = campaigns(r, 30, start)
    const engine = CampaignEngine.compile(defs)
    const ref = new Reference(defs)
    const memory = {
      firedEver: new Set<string>(),
      firedThisVisit: new Set<string>(),
      lastFiredAt: new Map<string, number>(),
    }
    const initial = new Map<string, Fact>()
    for (const field of FIELDS) if (r() < 0.6) initial.set(field, factValue(r, field, start))
    for (const [k, v] of initial) ref.facts.set(k, v)
    const m = engine.attach(initial, memory, start)
    ref.step(start, false)
    let now = start
    const fail = (what: string, at: number, extra: unknown) => {
      t.fail(`seed ${seed}, t+${at - start} ms: ${what}`, { extra, facts: [...ref.facts], campaigns: defs })
    }
    const agree = (at: number, label: string): boolean => {
      const expected = ref.eligible(at)
      const actual = m.eligibleNow()
      if (JSON.stringify(expected) === JSON.stringify(actual)) return true
      fail(`eligible (${label})`, at, { expected, actual })
      return false
    }
    const compareFired = (
      actual: Array<{ campaign: string }>,
      expected: string[],
      at: number,
      label: string,
    ): boolean => {
      calls++
      fired += expected.length
      if (JSON.stringify(actual.map((i) => i.campaign)) === JSON.stringify(expected)) return true
      fail(`fired (${label})`, at, { expected, actual: actual.map((i) => i.campaign) })
      return false
    }
    if (!agree(now, 'attach')) break
    let ok = true
    for (let step = 0; step < 120 && ok; step++) {
      const target = now + pick(r, STEPS)
      while (ok && m.nextWakeAt !== undefined && m.nextWakeAt <= target) {
        const wakeAt = m.nextWakeAt
        if (wakeAt - 1 >= now) ok = agree(wakeAt - 1, 'just before a wake-up')
        ok = ok && compareFired(m.wake(wakeAt), ref.step(wakeAt, true), wakeAt, 'wake')
        ok = ok && agree(wakeAt, 'after wake')
        now = wakeAt
      }
      if (!ok) break
      ok = agree(target, 'no change before nextWakeAt')
      now = target
      const action = r()
      if (action < 0.1) {
        ref.slot = false
        ok = ok && compareFired(m.resolved(now), ref.step(now, true), now, 'resolved')
      } else if (action < 0.13) {
        m.occupy()
        ref.slot = true
      } else {
        const changes = new Map<string, Fact>()
        for (let n = 1 + Math.floor(r() * 3); n > 0; n--) {
          const field = pick(r, FIELDS)
          changes.set(field, factValue(r, field, now))
        }
        for (const [k, v] of changes) ref.facts.set(k, v)
        ok =
          ok && compareFired(m.update(changes, now), ref.step(now, true), now, `update ${JSON.stringify([...changes])}`)
      }
      ok = ok && agree(now, 'after the call')
    }
    if (!ok) break
    t.same(
      {
        ever: [...memory.firedEver].sort(),
        visit: [...memory.firedThisVisit].sort(),
        last: [...memory.lastFiredAt].sort(),
      },
      {
        ever: [...ref.memory.firedEver].sort(),
        visit: [...ref.memory.firedThisVisit].sort(),
        last: [...ref.memory.lastFiredAt].sort(),
      },
      `seed ${seed}: memory`,
    )
  }
  t.ok(fired > 100, `exercised firing (${fired} invitations in ${calls} calls)`)
})
