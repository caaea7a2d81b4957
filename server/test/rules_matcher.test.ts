import t from 'tap'
import { parseCampaign, type Campaign } from '../src/rules/campaign.js'
import { CampaignEngine, type CampaignMemory } from '../src/rules/campaign_engine.js'
import type { Clock, FactValue } from '../src/rules/facts.js'
import { ScheduleWindow } from '../src/rules/schedule_window.js'

type Fact = FactValue | Clock
const T = Date.UTC(2025, 2, 24, 12, 0, 0) // Monday 2025-03-24 12:00Z

const memory = () => ({
  firedEver: new Set<string>(),
  firedThisVisit: new Set<string>(),
  lastFiredAt: new Map<string, number>(),
})
const facts = (entries: Record<string, Fact>) => new Map(Object.entries(entries))
const def = (id: string, extra: Record<string, unknown> = {}): Campaign =>
  parseCampaign({ id, message: { text: `from ${id}` }, ...extra })
const kb = { field: 'page.url', op: 'contains', value: '/kb/' }
const ids = (list: Array<{ campaign: string }>) => list.map((i) => i.campaign)

t.test('a time condition fires on time without an event', async (t) => {
  const c = def('kb-help', {
    when: {
      all: [
        kb,
        {
          any: [
            { field: 'page.seconds', op: 'gte', value: 20 },
            { field: 'exit.seconds', op: 'gte', value: 15 },
          ],
        },
      ],
    },
    message: {
      text: 'Hi {{visitor.name|there}}, case {{context.caseId}}',
      followUp: 'Still {{page.seconds}} s?',
      collect: ['email'],
      startChat: true,
    },
    priority: 3,
  })
  const m = CampaignEngine.compile([c]).attach(
    facts({ 'page.url': 'https://x.test/kb/a', 'page.seconds': { since: T }, 'context.caseId': 42 }),
    memory(),
    T,
  )
  t.equal(m.nextWakeAt, T + 20_000)
  t.same(m.wake(T + 19_999), [], 'nothing before 20 s')
  t.equal(m.nextWakeAt, T + 20_000)
  t.same(m.wake(T + 20_000), [
    {
      campaign: 'kb-help',
      text: 'Hi there, case 42',
      followUp: 'Still 20 s?',
      collect: ['email'],
      startChat: true,
      priority: 3,
      limited: true,
    },
  ])
  t.equal(m.nextWakeAt, undefined)
  t.equal(m.occupied, true)
})

t.test('exit intent makes the same campaign fire at once', async (t) => {
  const c = def('kb-help', {
    when: {
      all: [
        kb,
        {
          any: [
            { field: 'page.seconds', op: 'gte', value: 20 },
            { field: 'exit.seconds', op: 'gte', value: 15 },
          ],
        },
      ],
    },
  })
  const m = CampaignEngine.compile([c]).attach(
    facts({ 'page.url': 'https://x.test/kb/a', 'page.seconds': { since: T } }),
    memory(),
    T,
  )
  t.same(ids(m.update(facts({ 'exit.seconds': 16 }), T + 16_000)), ['kb-help'])
})

t.test('clock leaves: exact wake-ups in both directions, reset by a new page', async (t) => {
  const c = def('c', {
    frequency: 'every_time',
    when: {
      all: [
        { field: 'page.seconds', op: 'gt', value: 5 },
        { field: 'page.seconds', op: 'lt', value: 9.5 },
      ],
    },
  })
  const m = CampaignEngine.compile([c]).attach(facts({ 'page.seconds': { since: T } }), memory(), T)
  t.equal(m.nextWakeAt, T + 5001, 'gt 5 holds from 5.001 s')
  t.same(ids(m.wake(T + 5001)), ['c'])
  t.same(m.eligibleNow(), ['c'])
  t.equal(m.nextWakeAt, T + 9500, 'lt 9.5 fails from 9.5 s')
  t.same(m.wake(T + 9500), [])
  t.same(m.eligibleNow(), [])
  t.equal(m.nextWakeAt, undefined)
  t.same(m.resolved(T + 10_000), [])
  // A new page restarts the clock: the condition re-arms and fires again.
  t.same(m.update(facts({ 'page.seconds': { since: T + 10_000 } }), T + 10_000), [])
  t.equal(m.nextWakeAt, T + 15_001)
  t.same(ids(m.wake(T + 15_001)), ['c'])
  // Clock stopped (absent): lt is false too.
  t.same(m.update(facts({ 'page.seconds': null }), T + 15_100), [])
  t.same(m.eligibleNow(), [])
})

t.test('a late caller catches up: update() applies due time first', async (t) => {
  const c = def('c', { when: { field: 'visit.seconds', op: 'gte', value: 30 } })
  const m = CampaignEngine.compile([c]).attach(facts({ 'visit.seconds': { since: T } }), memory(), T)
  t.same(ids(m.update(facts({ 'page.url': 'https://x.test/' }), T + 60_000)), ['c'])
})

t.test('rising edge: fires again only after the condition was false', async (t) => {
  const m = CampaignEngine.compile([def('c', { frequency: 'every_time', when: kb })]).attach(new Map(), memory(), T)
  t.same(ids(m.update(facts({ 'page.url': 'https://x.test/kb/1' }), T)), ['c'])
  t.same(m.resolved(T + 1), [])
  t.same(m.update(facts({ 'page.url': 'https://x.test/kb/2' }), T + 2), [], 'still true: no new edge')
  t.same(m.update(facts({ 'page.url': 'https://x.test/kb/2' }), T + 3), [], 'same facts again')
  t.same(m.update(facts({ 'page.url': 'https://x.test/home' }), T + 4), [])
  t.same(ids(m.update(facts({ 'page.url': 'https://x.test/kb/3' }), T + 5)), ['c'])
})

t.test('no false edge when the gate moves between fields in one update', async (t) => {
  const when = { any: [kb, { field: 'utm.source', op: 'eq', value: 'news' }] }
  const m = CampaignEngine.compile([def('c', { frequency: 'every_time', when })]).attach(
    facts({ 'page.url': 'https://x.test/kb/' }),
    memory(),
    T,
  )
  t.same(ids(m.wake(T)), ['c'])
  m.resolved(T + 1)
  t.same(m.update(facts({ 'page.url': 'https://x.test/', 'utm.source': 'NEWS' }), T + 2), [])
  t.same(m.eligibleNow(), ['c'])
})

t.test('one slot: priority, definition order, pending until resolved', async (t) => {
  const campaigns = [
    def('low', { priority: 1, when: kb }),
    def('b-high', { priority: 5, when: kb }),
    def('a-high', { priority: 5, when: kb }),
  ]
  const m = CampaignEngine.compile(campaigns).attach(new Map(), memory(), T)
  t.same(ids(m.update(facts({ 'page.url': '/kb/' }), T)), ['b-high'], 'highest priority; ties by definition order')
  t.same(m.update(facts({ 'page.title': 'x' }), T + 1), [], 'slot taken')
  t.same(ids(m.resolved(T + 2)), ['a-high'])
  t.same(ids(m.resolved(T + 3)), ['low'])
  t.same(m.resolved(T + 4), [])
  t.equal(m.occupied, false)
})

t.test('a manual invitation holds the slot; a pending campaign that stops holding is dropped', async (t) => {
  const engine = CampaignEngine.compile([
    def('kb', { when: kb }),
    def('pricing', { when: { field: 'page.url', op: 'contains', value: '/pricing' } }),
  ])
  const m = engine.attach(new Map(), memory(), T)
  m.occupy()
  t.same(m.update(facts({ 'page.url': '/kb/' }), T), [])
  t.same(m.update(facts({ 'page.url': '/pricing' }), T + 1), [])
  t.same(ids(m.resolved(T + 2)), ['pricing'], 'kb no longer holds; pricing was pending')
})

t.test('attach fires nothing but asks for an immediate wake', async (t) => {
  const engine = CampaignEngine.compile([def('c', { when: kb })])
  const m = engine.attach(facts({ 'page.url': '/kb/' }), memory(), T)
  t.equal(m.nextWakeAt, T)
  t.same(ids(m.wake(T)), ['c'])
  const reconnect = engine.attach(facts({ 'page.url': '/kb/' }), memory(), T)
  reconnect.occupy()
  t.equal(reconnect.nextWakeAt, undefined, 'slot taken: nothing due')
  t.same(reconnect.wake(T), [])
})

t.test('audience', async (t) => {
  const engine = CampaignEngine.compile([
    def('visitors', { audience: 'visitors', when: kb, frequency: 'every_time' }),
    def('users', { audience: 'users', when: kb, frequency: 'every_time' }),
    def('all', { when: kb, frequency: 'every_time' }),
  ])
  t.same(
    engine.attach(facts({ 'page.url': '/kb/' }), memory(), T).eligibleNow(),
    ['visitors', 'all'],
    'absent = not authenticated',
  )
  t.same(engine.attach(facts({ 'page.url': '/kb/', 'user.authenticated': false }), memory(), T).eligibleNow(), [
    'visitors',
    'all',
  ])
  const m = engine.attach(facts({ 'page.url': '/kb/', 'user.authenticated': true }), memory(), T)
  t.same(m.eligibleNow(), ['users', 'all'])
  m.update(facts({ 'user.authenticated': null }), T)
  t.same(m.eligibleNow(), ['visitors', 'all'])
})

t.test('team: a campaign whose condition holds fires when the team comes online', async (t) => {
  const engine = CampaignEngine.compile([
    def('online', { team: 'online', when: kb }),
    def('offline', { team: 'offline', when: kb, priority: -1 }),
  ])
  const m = engine.attach(facts({ 'page.url': '/kb/', 'team.online': false }), memory(), T)
  t.same(m.eligibleNow(), ['offline'])
  t.same(ids(m.wake(T)), ['offline'])
  m.resolved(T + 1)
  t.same(ids(m.update(facts({ 'team.online': true }), T + 2)), ['online'])
  t.same(engine.attach(facts({ 'page.url': '/kb/' }), memory(), T).eligibleNow(), ['offline'], 'absent = offline')
})

t.test('frequency across re-attach (reconnect, restart) with persisted memory', async (t) => {
  const engine = CampaignEngine.compile([
    def('visitor', { frequency: 'once_per_visitor', when: kb }),
    def('visit', { frequency: 'once_per_visit', when: kb }),
    def('always', { frequency: 'every_time', when: kb }),
  ])
  const mem = memory()
  const kbPage = facts({ 'page.url': '/kb/' })
  const drain = (m: ReturnType<typeof engine.attach>, now: number) => {
    const out = ids(m.wake(now))
    for (let i = 0; i < 5; i++) out.push(...ids(m.resolved(now)))
    return out
  }
  t.same(drain(engine.attach(kbPage, mem, T), T), ['visitor', 'visit', 'always'])
  t.same(mem.lastFiredAt.get('visit'), T)
  t.same(drain(engine.attach(kbPage, mem, T + 1000), T + 1000), ['always'], 'same visit, new tab')
  mem.firedThisVisit.clear()
  t.same(drain(engine.attach(kbPage, mem, T + 3_600_000), T + 3_600_000), ['visit', 'always'], 'new visit')
  // A restart keeps only what was persisted: firedEver (and here a new visit).
  const persisted = JSON.stringify([...mem.firedEver])
  const afterRestart: CampaignMemory = {
    firedEver: new Set(JSON.parse(persisted) as string[]),
    firedThisVisit: new Set(),
    lastFiredAt: new Map(),
  }
  t.same(
    drain(engine.attach(kbPage, afterRestart, T + 7_200_000), T + 7_200_000),
    ['visit', 'always'],
    'once_per_visitor survives a restart',
  )
})

t.test('cooldown delays a re-fire until it expires', async (t) => {
  const engine = CampaignEngine.compile([def('c', { frequency: 'every_time', cooldownSeconds: 60, when: kb })])
  const m = engine.attach(new Map(), memory(), T)
  t.same(ids(m.update(facts({ 'page.url': '/kb/' }), T)), ['c'])
  m.resolved(T + 1000)
  m.update(facts({ 'page.url': '/' }), T + 2000)
  t.same(m.update(facts({ 'page.url': '/kb/' }), T + 10_000), [])
  t.same(m.eligibleNow(), [])
  t.equal(m.nextWakeAt, T + 60_000)
  t.same(ids(m.wake(T + 60_000)), ['c'])
})

t.test('disabled campaigns never fire', async (t) => {
  const engine = CampaignEngine.compile([def('off', { enabled: false, when: kb }), def('on', { priority: -5 })])
  const m = engine.attach(facts({ 'page.url': '/kb/' }), memory(), T)
  t.same(ids(m.wake(T)), ['on'], 'no `when`: always true')
  t.same(m.resolved(T + 1), [])
})

t.test('schedule: office hours in a time zone fire when the window opens', async (t) => {
  const c = def('office', {
    when: kb,
    schedule: { tz: 'Europe/Berlin', hours: 'inside', week: { mon: [['09:00', '17:00']] } },
  })
  const engine = CampaignEngine.compile([c])
  const monday7z = Date.UTC(2025, 2, 24, 7, 0) // 08:00 in Berlin (CET)
  const m = engine.attach(facts({ 'page.url': '/kb/' }), memory(), monday7z)
  t.same(m.eligibleNow(), [])
  t.equal(m.nextWakeAt, Date.UTC(2025, 2, 24, 8, 0), '09:00 CET')
  t.same(ids(m.wake(Date.UTC(2025, 2, 24, 8, 0))), ['office'])
  const late = engine.attach(facts({ 'page.url': '/kb/' }), memory(), Date.UTC(2025, 2, 24, 15, 59))
  t.same(late.eligibleNow(), ['office'], '16:59 local')
  t.equal(late.nextWakeAt, Date.UTC(2025, 2, 24, 15, 59), 'due now')
  late.occupy()
  t.equal(late.nextWakeAt, Date.UTC(2025, 2, 24, 16, 0), 'closes at 17:00 CET')
  late.wake(Date.UTC(2025, 2, 24, 16, 0))
  t.same(late.eligibleNow(), [])
  t.equal(late.nextWakeAt, Date.UTC(2025, 2, 30, 1, 0), 'a DST change comes first: re-check there')
  late.wake(Date.UTC(2025, 2, 30, 1, 0))
  t.equal(late.nextWakeAt, Date.UTC(2025, 2, 31, 7, 0), 'next Monday 09:00, now CEST')
})

t.test('schedule: DST changes', async (t) => {
  const office = def('office', {
    when: kb,
    schedule: { tz: 'Europe/Berlin', hours: 'inside', week: { mon: [['09:00', '17:00']] } },
  })
  const engine = CampaignEngine.compile([office])
  // Spring forward: Sunday 2025-03-30 02:00 CET → 03:00 CEST.
  const spring = engine.attach(facts({ 'page.url': '/kb/' }), memory(), Date.UTC(2025, 2, 29, 12, 0))
  t.equal(spring.nextWakeAt, Date.UTC(2025, 2, 30, 1, 0), 'the offset change')
  t.same(spring.wake(Date.UTC(2025, 2, 30, 1, 0)), [])
  t.equal(spring.nextWakeAt, Date.UTC(2025, 2, 31, 7, 0), 'Monday 09:00 CEST = 07:00Z')
  // Fall back: Sunday 2025-10-26 03:00 CEST → 02:00 CET.
  const fall = engine.attach(facts({ 'page.url': '/kb/' }), memory(), Date.UTC(2025, 9, 26, 1, 30))
  t.equal(fall.nextWakeAt, Date.UTC(2025, 9, 27, 8, 0), 'Monday 09:00 CET = 08:00Z')
  t.same(ids(fall.wake(Date.UTC(2025, 9, 27, 8, 0))), ['office'])
  // A range on the transition night itself, in New York: 2025-03-09 02:00 EST → 03:00 EDT.
  const night = def('night', {
    frequency: 'every_time',
    when: kb,
    schedule: { tz: 'America/New_York', hours: 'inside', week: { sun: [['01:00', '04:00']] } },
  })
  const at = (iso: string) => CampaignEngine.matches(night, facts({ 'page.url': '/kb/' }), Date.parse(iso))
  t.equal(at('2025-03-09T05:59:00Z'), false, '00:59 EST')
  t.equal(at('2025-03-09T06:00:00Z'), true, '01:00 EST')
  t.equal(at('2025-03-09T07:30:00Z'), true, '03:30 EDT')
  t.equal(at('2025-03-09T08:00:00Z'), false, '04:00 EDT')
  const m = CampaignEngine.compile([night]).attach(
    facts({ 'page.url': '/kb/' }),
    memory(),
    Date.parse('2025-03-09T05:00:00Z'),
  )
  t.equal(m.nextWakeAt, Date.parse('2025-03-09T06:00:00Z'), 'opens 01:00 EST')
  t.same(ids(m.wake(Date.parse('2025-03-09T06:00:00Z'))), ['night'])
  t.equal(m.nextWakeAt, Date.parse('2025-03-09T07:00:00Z'), 'the jump to EDT')
  m.wake(Date.parse('2025-03-09T07:00:00Z'))
  t.equal(m.nextWakeAt, Date.parse('2025-03-09T08:00:00Z'), 'closes 04:00 EDT')
  // A boundary inside the skipped hour (02:30) takes effect at the jump.
  const gap = def('gap', {
    when: kb,
    schedule: { tz: 'America/New_York', hours: 'inside', week: { sun: [['02:30', '05:00']] } },
  })
  const g = CampaignEngine.compile([gap]).attach(
    facts({ 'page.url': '/kb/' }),
    memory(),
    Date.parse('2025-03-09T06:30:00Z'),
  )
  t.equal(g.nextWakeAt, Date.parse('2025-03-09T07:00:00Z'))
  t.same(ids(g.wake(Date.parse('2025-03-09T07:00:00Z'))), ['gap'], 'open from 03:00 EDT')
})

t.test('schedule: outside hours, from and until', async (t) => {
  const outside = def('outside', {
    when: kb,
    schedule: { tz: 'UTC', hours: 'outside', week: { mon: [['09:00', '17:00']] } },
  })
  t.equal(CampaignEngine.matches(outside, facts({ 'page.url': '/kb/' }), Date.UTC(2025, 2, 24, 8, 59)), true)
  t.equal(CampaignEngine.matches(outside, facts({ 'page.url': '/kb/' }), Date.UTC(2025, 2, 24, 9, 0)), false)
  t.equal(CampaignEngine.matches(outside, facts({ 'page.url': '/kb/' }), Date.UTC(2025, 2, 25, 12, 0)), true, 'Tuesday')
  const dated = def('dated', {
    when: kb,
    schedule: { tz: 'Europe/Berlin', from: '2025-03-24T10:00', until: '2025-03-25' },
  })
  const kbPage = facts({ 'page.url': '/kb/' })
  t.equal(CampaignEngine.matches(dated, kbPage, Date.UTC(2025, 2, 24, 8, 59)), false, 'before 10:00 Berlin')
  t.equal(CampaignEngine.matches(dated, kbPage, Date.UTC(2025, 2, 24, 9, 0)), true)
  t.equal(CampaignEngine.matches(dated, kbPage, Date.UTC(2025, 2, 25, 22, 59)), true, 'until a date includes that day')
  t.equal(CampaignEngine.matches(dated, kbPage, Date.UTC(2025, 2, 25, 23, 0)), false)
  const m = CampaignEngine.compile([dated]).attach(kbPage, memory(), Date.UTC(2025, 2, 24, 0, 0))
  t.equal(m.nextWakeAt, Date.UTC(2025, 2, 24, 9, 0))
  t.same(ids(m.wake(Date.UTC(2025, 2, 24, 9, 0))), ['dated'])
  const z = def('z', { when: kb, schedule: { from: '2025-03-24T10:00:00+02:00' } })
  t.equal(CampaignEngine.matches(z, kbPage, Date.UTC(2025, 2, 24, 7, 59)), false)
  t.equal(CampaignEngine.matches(z, kbPage, Date.UTC(2025, 2, 24, 8, 0)), true)
})

t.test('facts: unknown names are ignored, wrong shapes are absent', async (t) => {
  const engine = CampaignEngine.compile([
    def('c', { frequency: 'every_time', when: { field: 'page.seconds', op: 'exists' } }),
  ])
  const m = engine.attach(facts({ 'no.such': 'x', 'page.seconds': 5 }), memory(), T)
  t.same(m.eligibleNow(), [], 'a number on a clock field is absent')
  m.update(facts({ 'page.seconds': { since: T } }), T)
  t.same(m.eligibleNow(), ['c'])
})

t.test('sparse: a visitor evaluates only the campaigns its facts concern', async (t) => {
  const many = Array.from({ length: 1000 }, (_, i) =>
    def(`p${i}`, {
      when: {
        all: [
          {
            field: 'page.url',
            op: i % 2 ? 'contains' : 'starts_with',
            value: i % 2 ? `/p/${i}/` : `https://x.test/q/${i}/`,
          },
          { field: 'geo.country', op: 'in', value: ['DE', 'AT'] },
          { field: 'page.seconds', op: 'gte', value: 10 },
        ],
      },
    }),
  )
  const m = CampaignEngine.compile(many).attach(
    facts({ 'geo.country': 'de', 'page.seconds': { since: T } }),
    memory(),
    T,
  )
  t.equal(m.activeCampaigns, 0)
  t.equal(m.nextWakeAt, undefined, 'no clock leaf is active')
  m.update(facts({ 'page.url': 'https://x.test/p/7/a', 'page.seconds': { since: T } }), T)
  t.equal(m.activeCampaigns, 1)
  t.equal(m.nextWakeAt, T + 10_000)
  m.update(facts({ 'page.url': 'https://x.test/q/8/', 'page.seconds': { since: T + 1 } }), T + 1)
  t.equal(m.activeCampaigns, 1, 'the old page no longer counts')
  t.same(ids(m.wake(T + 10_001)), ['p8'])
  m.update(facts({ 'page.url': 'https://x.test/' }), T + 20_000)
  t.equal(m.activeCampaigns, 0)
})

t.test('schedule answers do not depend on the order of the times asked', async (t) => {
  const schedule = parseCampaign({
    id: 's',
    message: { text: 'x' },
    schedule: {
      tz: 'Europe/Berlin',
      hours: 'inside',
      week: {
        sat: [
          ['01:30', '02:30'],
          ['23:00', '24:00'],
        ],
        sun: [['00:00', '03:30']],
        mon: [['09:00', '17:00']],
      },
    },
  }).schedule
  if (!schedule) throw new Error('no schedule')
  const shared = new ScheduleWindow(schedule)
  let seed = 3
  const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647
  const start = Date.UTC(2025, 2, 27) // spans the spring DST change
  let mismatches = 0
  for (let i = 0; i < 3000; i++) {
    const now = start + Math.floor(random() * 6 * 86_400_000)
    const expected = new ScheduleWindow(schedule).state(now)
    const actual = shared.state(now)
    if (actual.open !== expected.open || actual.until !== expected.until) mismatches++
  }
  t.equal(mismatches, 0)
})
