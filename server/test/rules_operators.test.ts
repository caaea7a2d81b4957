import t from 'tap'
import { parseCampaign, type Condition, type LeafCondition } from '../src/rules/campaign.js'
import { CampaignEngine } from '../src/rules/campaign_engine.js'
import type { Clock, FactValue } from '../src/rules/facts.js'

const NOW = 1_700_000_000_000
type Fact = FactValue | Clock

const memory = () => ({
  firedEver: new Set<string>(),
  firedThisVisit: new Set<string>(),
  lastFiredAt: new Map<string, number>(),
})
// every_time: a campaign that fires stays eligible, so eligibleNow() shows the condition.
const campaign = (when: Condition) => parseCampaign({ id: 'c', frequency: 'every_time', when, message: { text: 'hi' } })

/**
 * Checks one leaf against one fact through every path: the one-shot evaluator, the matcher
 * with the leaf as gate (shared index), the matcher with it under not(not(...)) (no gate,
 * evaluated per visitor), attached with the fact and updated to it from absent and from
 * another value.
 */
function check(leaf: LeafCondition, field: string, fact: Fact, expected: boolean, other: Fact = 'zz-other'): void {
  const name = `${leaf.field} ${leaf.op} ${JSON.stringify(leaf.value)} on ${JSON.stringify(fact)}`
  t.test(name, async (t) => {
    const facts = new Map<string, Fact>([[field, fact]])
    t.equal(CampaignEngine.matches(campaign(leaf), facts, NOW), expected, 'one-shot')
    for (const [label, when] of [
      ['gated', leaf],
      ['ungated', { not: { not: leaf } }],
    ] as const) {
      const engine = CampaignEngine.compile([campaign(when)])
      const attached = engine.attach(facts, memory(), NOW)
      t.same(attached.eligibleNow(), expected ? ['c'] : [], `${label}: attached`)
      const fromAbsent = engine.attach(new Map(), memory(), NOW)
      fromAbsent.update(facts, NOW)
      t.same(fromAbsent.eligibleNow(), expected ? ['c'] : [], `${label}: updated from absent`)
      const fromOther = engine.attach(new Map([[field, other]]), memory(), NOW)
      fromOther.update(facts, NOW)
      t.same(fromOther.eligibleNow(), expected ? ['c'] : [], `${label}: updated from another value`)
      const back = engine.attach(facts, memory(), NOW)
      back.update(new Map([[field, null]]), NOW)
      t.same(back.eligibleNow(), leaf.op === 'not_exists' ? ['c'] : [], `${label}: updated to absent`)
    }
  })
}

const URL = 'https://Shop.example/KB/Article?x=1'
const url = (op: LeafCondition['op'], value: LeafCondition['value'], expected: boolean, fact: Fact = URL) =>
  check(value === undefined ? { field: 'page.url', op } : { field: 'page.url', op, value }, 'page.url', fact, expected)

t.test('string field', async () => {
  url('eq', 'https://shop.example/kb/article?x=1', true)
  url('eq', 'HTTPS://SHOP.EXAMPLE/KB/ARTICLE?X=1', true)
  url('eq', 'https://shop.example/kb', false)
  url('eq', 'x', false, null)
  url('neq', 'https://shop.example/kb/article?x=1', false)
  url('neq', 'https://other.example/', true)
  url('neq', 'x', false, null)
  url('contains', '/kb/', true)
  url('contains', '/blog/', false)
  url('contains', '/kb/', false, null)
  url('not_contains', '/blog/', true)
  url('not_contains', '/KB/', false)
  url('not_contains', '/blog/', false, null)
  url('contains_any', ['/blog/', 'ARTICLE'], true)
  url('contains_any', ['/x/', '/y/'], false)
  url('starts_with', 'HTTPS://shop', true)
  url('starts_with', '/kb', false)
  url('starts_with', 'https', false, null)
  url('in', ['https://shop.example/kb/article?x=1', 'b'], true)
  url('in', ['a', 'b'], false)
  url('not_in', ['a'], true)
  url('not_in', [URL], false)
  url('not_in', ['a'], false, null)
  url('exists', undefined, true)
  url('exists', undefined, false, null)
  url('exists', undefined, false, '')
  url('not_exists', undefined, false)
  url('not_exists', undefined, true, null)
  url('not_exists', undefined, true, '')
})

const num = (op: LeafCondition['op'], value: LeafCondition['value'], expected: boolean, fact: Fact = 3) =>
  check(
    value === undefined ? { field: 'page.views', op } : { field: 'page.views', op, value },
    'page.views',
    fact,
    expected,
    99,
  )

t.test('number field', async () => {
  num('eq', 3, true)
  num('eq', 4, false)
  num('eq', 3, false, '3')
  num('neq', 4, true)
  num('neq', 3, false)
  num('gt', 2, true)
  num('gt', 3, false)
  num('gte', 3, true)
  num('gte', 3.5, false)
  num('lt', 3, false)
  num('lt', 4, true)
  num('lte', 3, true)
  num('lte', 2, false)
  num('in', [1, 3], true)
  num('in', [1, 2], false)
  num('not_in', [1, 2], true)
  num('not_in', [3], false)
  num('gt', 0, false, null)
  num('lt', 10, false, null)
  num('neq', 1, false, null)
  num('not_exists', undefined, true, null)
  num('exists', undefined, false, Number.NaN)
  num('gte', -1, true, 0)
  num('lt', 1, true, 0)
})

t.test('boolean field', async () => {
  check({ field: 'visitor.returning', op: 'eq', value: true }, 'visitor.returning', true, true, false)
  check({ field: 'visitor.returning', op: 'eq', value: false }, 'visitor.returning', true, false, false)
  check({ field: 'widget.open', op: 'eq', value: false }, 'widget.open', false, true, true)
  check({ field: 'widget.open', op: 'neq', value: true }, 'widget.open', false, true, true)
  check({ field: 'widget.open', op: 'eq', value: false }, 'widget.open', null, false, true)
  check({ field: 'widget.open', op: 'neq', value: true }, 'widget.open', null, false, true)
  check({ field: 'widget.open', op: 'exists' }, 'widget.open', false, true, null)
})

const since20 = { since: NOW - 20_000 }
const clock = (op: LeafCondition['op'], value: number | undefined, expected: boolean, fact: Fact = since20) =>
  check(
    value === undefined ? { field: 'page.seconds', op } : { field: 'page.seconds', op, value },
    'page.seconds',
    fact,
    expected,
    { since: NOW },
  )

t.test('clock field', async () => {
  clock('gte', 20, true)
  clock('gte', 20.001, false)
  clock('gt', 20, false)
  clock('gt', 19.5, true)
  clock('lt', 20, false)
  clock('lt', 21, true)
  clock('lte', 20, true)
  clock('lte', 19.999, false)
  clock('gte', 0, true, { since: NOW })
  clock('exists', undefined, true)
  clock('lt', 5, false, null)
  clock('gte', 0, false, null)
  clock('not_exists', undefined, true, null)
  clock('gte', 1, false, 5)
})

const ctx = (field: string, op: LeafCondition['op'], value: LeafCondition['value'], fact: Fact, expected: boolean) =>
  check(value === undefined ? { field, op } : { field, op, value }, field, fact, expected, 'zz-other')

t.test('context field: lists', async () => {
  const tags = ['Premium', 'trial']
  ctx('context.tags', 'eq', 'premium', tags, true)
  ctx('context.tags', 'eq', 'prem', tags, false)
  ctx('context.tags', 'neq', 'x', tags, true)
  ctx('context.tags', 'neq', 'TRIAL', tags, false)
  ctx('context.tags', 'contains', 'premium', tags, true)
  ctx('context.tags', 'contains', 'prem', tags, false)
  ctx('context.tags', 'not_contains', 'prem', tags, true)
  ctx('context.tags', 'not_contains', 'trial', tags, false)
  ctx('context.tags', 'contains_any', ['x', 'TRIAL'], tags, true)
  ctx('context.tags', 'contains_any', ['x', 'tri'], tags, false)
  ctx('context.tags', 'starts_with', 'pre', tags, true)
  ctx('context.tags', 'starts_with', 'rial', tags, false)
  ctx('context.tags', 'in', ['a', 'trial'], tags, true)
  ctx('context.tags', 'in', ['a', 'b'], tags, false)
  ctx('context.tags', 'not_in', ['trial'], tags, false)
  ctx('context.tags', 'not_in', ['a'], tags, true)
  ctx('context.tags', 'exists', undefined, [], false)
  ctx('context.tags', 'not_exists', undefined, [], true)
  ctx('context.scores', 'gt', 5, [1, 7], true)
  ctx('context.scores', 'gte', 7, [1, 7], true)
  ctx('context.scores', 'lt', 1, [1, 7], false)
  ctx('context.scores', 'lte', 1, [1, 7], true)
  ctx('context.scores', 'eq', 7, [1, 7], true)
  ctx('context.scores', 'gt', 5, ['9', 2], false)
})

t.test('context field: scalars', async () => {
  ctx('context.plan', 'eq', 'gold', 'Gold', true)
  ctx('context.plan', 'contains', 'OL', 'Gold', true)
  ctx('context.plan', 'starts_with', 'go', 'Gold', true)
  ctx('context.plan', 'gt', 1, 'Gold', false)
  ctx('context.plan', 'in', ['silver', 'GOLD', 3], 'Gold', true)
  ctx('context.n', 'eq', 5, 5, true)
  ctx('context.n', 'eq', '5', 5, false)
  ctx('context.n', 'contains', '5', 5, false)
  ctx('context.n', 'gte', 5, 5, true)
  ctx('context.n', 'in', [5, 'x'], 5, true)
  ctx('context.flag', 'eq', true, true, true)
  ctx('context.flag', 'eq', 'true', true, false)
  ctx('context.flag', 'neq', false, true, true)
})

t.test('groups nest: all, any, not', async (t) => {
  const leaf = (field: string, value: string) => ({ field, op: 'eq' as const, value })
  const facts = new Map<string, Fact>([
    ['geo.country', 'DE'],
    ['device.platform', 'mobile'],
  ])
  const cases: Array<[Condition, boolean]> = [
    [{ all: [leaf('geo.country', 'de'), leaf('device.platform', 'mobile')] }, true],
    [{ all: [leaf('geo.country', 'de'), leaf('device.platform', 'desktop')] }, false],
    [{ any: [leaf('geo.country', 'fr'), leaf('device.platform', 'mobile')] }, true],
    [{ any: [leaf('geo.country', 'fr'), leaf('device.platform', 'desktop')] }, false],
    [{ not: leaf('geo.country', 'fr') }, true],
    [{ not: leaf('geo.country', 'de') }, false],
    [{ not: leaf('geo.city', 'berlin') }, true],
    [
      {
        all: [
          { not: { any: [leaf('geo.country', 'fr'), leaf('geo.country', 'us')] } },
          { any: [leaf('device.platform', 'mobile')] },
        ],
      },
      true,
    ],
    [
      {
        any: [{ all: [leaf('geo.country', 'de'), { not: leaf('device.platform', 'mobile') }] }, leaf('geo.city', 'x')],
      },
      false,
    ],
  ]
  for (const [when, expected] of cases) {
    t.equal(CampaignEngine.matches(campaign(when), facts, NOW), expected, JSON.stringify(when))
    const m = CampaignEngine.compile([campaign(when)]).attach(facts, memory(), NOW)
    t.same(m.eligibleNow(), expected ? ['c'] : [], `matcher: ${JSON.stringify(when)}`)
  }
})
