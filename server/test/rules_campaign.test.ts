import t, { type Test } from 'tap'
import { CAMPAIGN_LIMIT_DEFAULTS, CampaignError, parseCampaign } from '../src/rules/campaign.js'
import { renderTemplate } from '../src/rules/template.js'

const base = { id: 'kb-help', message: { text: 'Hi' } }

t.test('defaults', async (t) => {
  t.same(parseCampaign(base), {
    id: 'kb-help',
    name: 'kb-help',
    enabled: true,
    audience: 'all',
    team: 'any',
    priority: 0,
    frequency: 'once_per_visit',
    cooldownSeconds: 0,
    message: { text: 'Hi', startChat: false },
  })
  const withSchedule = parseCampaign({ ...base, schedule: {} })
  t.same(withSchedule.schedule, { tz: 'UTC', hours: 'any', week: {} })
})

t.test('the contract example parses and survives a JSON round trip', async (t) => {
  const example = {
    id: 'kb-help',
    name: 'KB help',
    enabled: true,
    audience: 'visitors',
    team: 'online',
    priority: 0,
    schedule: {
      tz: 'Europe/Berlin',
      hours: 'inside',
      week: { mon: [['09:00', '17:00']] },
      from: '2025-01-01',
      until: '2025-12-31T18:00:00Z',
    },
    frequency: 'once_per_visitor',
    cooldownSeconds: 0,
    when: {
      all: [
        { field: 'page.url', op: 'contains', value: '/kb/' },
        {
          any: [
            { field: 'page.seconds', op: 'gte', value: 20 },
            { field: 'exit.seconds', op: 'gte', value: 15 },
          ],
        },
      ],
    },
    message: {
      text: 'Hi {{visitor.name}}, case {{context.caseId}}',
      followUp: '',
      collect: ['email'],
      startChat: false,
    },
  }
  const parsed = parseCampaign(example)
  t.same(parsed, example)
  t.same(parseCampaign(JSON.parse(JSON.stringify(parsed))), parsed)
})

function rejects(t: Test, input: unknown, path: string, message: RegExp, limits = CAMPAIGN_LIMIT_DEFAULTS): void {
  try {
    parseCampaign(input, limits)
    t.fail(`accepted, expected an error at ${path}`)
  } catch (error) {
    t.ok(error instanceof CampaignError, 'CampaignError')
    const e = error as CampaignError
    t.equal(e.code, 'invalid_campaign')
    t.equal(e.path, path, `path for ${e.message}`)
    t.match(e.message, message)
  }
}

const leaf = (field: string, op: string, value?: unknown) =>
  value === undefined ? { field, op } : { field, op, value }
const withWhen = (when: unknown) => ({ ...base, when })

t.test('bad definitions point at the offending spot', async (t) => {
  rejects(t, 'nope', '', /object/)
  rejects(t, { ...base, id: 'a b' }, 'id', /a-z/)
  for (const id of ['__proto__', 'toString', 'Kb', '_x', '-x', 'x'.repeat(65)]) rejects(t, { ...base, id }, 'id', /a-z/)
  rejects(t, { ...base, priorty: 3 }, 'priorty', /unknown key/)
  rejects(t, { ...base, priority: 1.5 }, 'priority', /int/i)
  rejects(t, { ...base, frequency: 'sometimes' }, 'frequency', /./)
  rejects(t, { ...base, cooldownSeconds: -1 }, 'cooldownSeconds', /./)
  rejects(t, { id: 'x', message: {} }, 'message.text', /./)
  rejects(t, { id: 'x', message: { text: '' } }, 'message.text', /./)
  rejects(t, { id: 'x', message: { text: 'Hi {{nope.x}}' } }, 'message.text', /unknown field "nope.x"/)
  rejects(t, { id: 'x', message: { text: 'Hi', followUp: '{{visitor.nam|you}}' } }, 'message.followUp', /visitor.nam/)
  rejects(t, { id: 'x', message: { text: 'Hi', collect: ['phone'] } }, 'message.collect.0', /./)
  rejects(t, { id: 'x', message: { text: 'Hi', collect: ['email', 'email'] } }, 'message.collect', /duplicate/)
  rejects(t, { id: 'x', message: { text: 'x'.repeat(4001) } }, 'message.text', /./)
})

t.test('bad conditions', async (t) => {
  const kb = leaf('page.url', 'contains', '/kb/')
  rejects(
    t,
    withWhen({ all: [kb, { any: [leaf('page.seconds', 'gte', '20')] }] }),
    'when.all.1.any.0.value',
    /expected a number/,
  )
  rejects(
    t,
    withWhen({ all: [kb, { any: [leaf('page.seconds', 'gte', 2), leaf('nope', 'eq', 1)] }] }),
    'when.all.1.any.1.field',
    /unknown field "nope"/,
  )
  rejects(t, withWhen(leaf('page.url', 'gt', 3)), 'when.op', /"gt" does not apply to string field "page.url"/)
  rejects(t, withWhen(leaf('page.views', 'contains', 'x')), 'when.op', /number field/)
  rejects(t, withWhen(leaf('page.seconds', 'eq', 3)), 'when.op', /clock field/)
  rejects(t, withWhen(leaf('widget.open', 'in', [true])), 'when.op', /boolean field/)
  rejects(t, withWhen(leaf('page.seconds', 'gte', -1)), 'when.value', /negative/)
  rejects(t, withWhen(leaf('page.url', 'in', 'x')), 'when.value', /list/)
  rejects(t, withWhen(leaf('page.url', 'in', [])), 'when.value', /at least one/)
  rejects(t, withWhen(leaf('page.url', 'in', ['a', 2])), 'when.value.1', /expected a string/)
  rejects(t, withWhen(leaf('context.tags', 'contains_any', ['a', 2])), 'when.value.1', /expected a string/)
  rejects(t, withWhen(leaf('page.url', 'eq', ['a'])), 'when.value', /single value/)
  rejects(t, withWhen(leaf('page.url', 'eq', '')), 'when.value', /non-empty/)
  rejects(t, withWhen(leaf('page.url', 'eq', 'x'.repeat(2049))), 'when.value', /longer than 2048/)
  rejects(t, withWhen(leaf('page.url', 'eq')), 'when.value', /needs a value/)
  rejects(t, withWhen(leaf('page.url', 'exists', 'x')), 'when.value', /takes no value/)
  rejects(t, withWhen(leaf('page.url', 'like', 'x')), 'when.op', /./)
  rejects(t, withWhen(leaf('context.', 'eq', 'x')), 'when.field', /unknown field/)
  rejects(t, withWhen(leaf(`context.${'k'.repeat(65)}`, 'eq', 'x')), 'when.field', /unknown field/)
  rejects(t, withWhen({ all: [] }), 'when.all', /./)
  rejects(t, withWhen({ all: [kb], field: 'page.url' }), 'when.field', /unknown key/)
  rejects(t, withWhen({ any: [kb, 'x'] }), 'when.any.1', /expected a condition/)
  rejects(t, withWhen({ not: [kb] }), 'when.not', /expected a condition/)
  rejects(t, withWhen({ field: 'page.url', op: 'eq', value: 'x', extra: 1 }), 'when.extra', /unknown key/)
})

t.test('limits', async (t) => {
  let deep: unknown = leaf('page.url', 'contains', 'x')
  for (let i = 0; i < 9; i++) deep = { not: deep }
  rejects(t, withWhen(deep), 'when.not.not.not.not.not.not.not.not', /deeper than 8/)
  const many = Array.from({ length: 51 }, (_, i) => leaf('page.url', 'contains', `/p${i}/`))
  rejects(t, withWhen({ any: many }), 'when.any.50', /more than 50 conditions/)
  rejects(t, withWhen({ any: many.slice(0, 3) }), 'when.any.2', /more than 2/, {
    ...CAMPAIGN_LIMIT_DEFAULTS,
    maxConditions: 2,
  })
  rejects(t, withWhen(leaf('page.url', 'in', ['a', 'b', 'c'])), 'when.value', /more than 2 values/, {
    ...CAMPAIGN_LIMIT_DEFAULTS,
    maxListValues: 2,
  })
  t.ok(parseCampaign(withWhen({ any: many.slice(0, 50) })), '50 conditions are fine')
})

t.test('bad schedules', async (t) => {
  const s = (schedule: unknown) => ({ ...base, schedule })
  rejects(t, s({ tz: 'Mars/Base' }), 'schedule.tz', /IANA/)
  rejects(t, s({ week: { mon: [['17:00', '09:00']] } }), 'schedule.week.mon.0.1', /after start/)
  rejects(t, s({ week: { tue: [['09:00', '09:00']] } }), 'schedule.week.tue.0.1', /after start/)
  rejects(t, s({ week: { mon: [['9:00', '17:00']] } }), 'schedule.week.mon.0.0', /HH:MM/)
  rejects(t, s({ week: { mon: [['09:00', '24:01']] } }), 'schedule.week.mon.0.1', /HH:MM/)
  rejects(t, s({ week: { funday: [] } }), 'schedule.week.funday', /unknown key/)
  // No ranges of its own: the site's business hours (withSiteHours).
  t.strictSame(parseCampaign(s({ hours: 'inside' })).schedule?.week, {}, 'inside with no ranges refers to site hours')
  rejects(t, s({ hours: 'sometimes' }), 'schedule.hours', /./)
  rejects(t, s({ from: 'yesterday' }), 'schedule.from', /ISO/)
  rejects(t, s({ from: '2025-02-30' }), 'schedule.from', /ISO/)
  rejects(t, s({ until: '2025-01-01T25:00' }), 'schedule.until', /ISO/)
  rejects(t, s({ from: '2025-03-02', until: '2025-03-01' }), 'schedule.until', /after from/)
  t.ok(
    parseCampaign(
      s({
        tz: 'America/New_York',
        hours: 'outside',
        week: { sat: [['00:00', '24:00']] },
        from: '2025-03-02',
        until: '2025-03-02',
      }),
    ),
    'a one-day window',
  )
})

t.test('templates', async (t) => {
  const now = 1_000_000
  const facts = new Map<string, unknown>([
    ['visitor.name', 'Ada'],
    ['context.caseId', 42],
    ['context.tags', ['a', 'b']],
    ['page.seconds', { since: now - 20_500 }],
    ['visitor.email', ''],
    ['context.html', '<b>x</b>'],
  ]) as Parameters<typeof renderTemplate>[1]
  t.equal(renderTemplate('Hi {{visitor.name}}, case {{ context.caseId }}', facts, now), 'Hi Ada, case 42')
  t.equal(renderTemplate('Hi {{geo.city|there}} / {{ geo.city | over there }}', facts, now), 'Hi there / over there')
  t.equal(renderTemplate('[{{geo.city}}] [{{visitor.email|none}}]', facts, now), '[] [none]')
  t.equal(renderTemplate('{{context.tags}} after {{page.seconds}} s', facts, now), 'a, b after 20 s')
  t.equal(
    renderTemplate('{{nope.x}} {{ not a field }} {{visitor.name', facts, now),
    '{{nope.x}} {{ not a field }} {{visitor.name',
    'left as written',
  )
  t.equal(renderTemplate('{{context.html}}', facts, now), '<b>x</b>', 'plain text, not escaped')
})
