import t from 'tap'
import { confidenceNote, twoProportionP } from '../../web/console/campaign/ab_confidence.js'
import { getAt, setAt, slug } from '../../web/console/campaign/campaign_definition.js'
import { countryChoices, fieldInfo, operatorsFor } from '../../web/console/campaign/field_catalog.js'
import { ruleSentence, secondsText } from '../../web/console/campaign/rule_sentence.js'
import { targetedWidgets, withWidgets } from '../../web/console/campaign/widget_targeting.js'
import { FIELDS } from '../src/rules/fields.js'

t.test('the rule sentence reads like the issue asks', async (t) => {
  t.equal(
    ruleSentence({
      all: [
        { field: 'page.url', op: 'contains', value: '/kb/' },
        { field: 'page.seconds', op: 'gte', value: 20 },
      ],
    }),
    'Page URL contains /kb/ and time on page ≥ 20 s',
  )
  t.equal(
    ruleSentence({
      any: [
        { field: 'geo.country', op: 'in', value: ['DE', 'AT'] },
        {
          not: {
            all: [
              { field: 'utm.source', op: 'exists' },
              { field: 'visit.seconds', op: 'lt', value: 120 },
            ],
          },
        },
      ],
    }),
    'Country is one of Germany (DE) or Austria (AT) or not (UTM source is known and time on site < 2 min)',
  )
  t.equal(ruleSentence(undefined), 'Always (no conditions)')
  t.equal(secondsText(7200), '2 h')
  t.equal(secondsText(90), '90 s')
})

t.test('every field of the contract has an editor and the operators the server allows', async (t) => {
  for (const name of Object.keys(FIELDS)) {
    const info = fieldInfo(name)
    t.not(info.label, name, `${name} has a label`)
    const ops = operatorsFor(info)
    t.ok(ops.includes('exists') && ops.includes('not_exists'), `${name}: presence operators`)
    if (info.clock) t.same(ops, ['gt', 'gte', 'lt', 'lte', 'exists', 'not_exists'], `${name}: clock operators only`)
  }
  t.equal(fieldInfo('context.plan').editor, 'context')
  t.ok(
    countryChoices().some(([code, name]) => code === 'DE' && name === 'Germany'),
    'countries by name from Intl.DisplayNames',
  )
})

t.test('draft paths: set, remove and keep unknown keys', async (t) => {
  const draft = { id: 'x', custom: { kept: true }, when: { all: [{ field: 'page.url', op: 'contains', value: 'a' }] } }
  const next = setAt(draft, ['when', 'all', 0, 'value'], 'b')
  t.equal(getAt(next, ['when', 'all', 0, 'value']), 'b')
  t.equal(draft.when.all[0]?.value, 'a', 'the original is untouched')
  t.same(Object.keys(setAt(next, ['custom'], undefined)), ['id', 'when'], 'undefined removes a key')
  t.same(setAt(next, ['name'], 'N').custom, { kept: true })
  t.equal(slug('Pricing — Über Plan!'), 'pricing-uber-plan')
})

t.test('widget targeting is one widget.id condition beside the others', async (t) => {
  const base = { all: [{ field: 'page.url', op: 'contains' as const, value: '/kb/' }] }
  const targeted = withWidgets(base, ['pricing', 'docs'])
  t.same(targetedWidgets(targeted), ['pricing', 'docs'])
  t.same(withWidgets(targeted, []), base, 'removing the widgets restores the rule')
  t.same(withWidgets(undefined, ['a']), { all: [{ field: 'widget.id', op: 'in', value: ['a'] }] })
})

t.test('A/B confidence: no verdict on thin data, a verdict on a clear difference', async (t) => {
  t.match(
    confidenceNote(
      [
        { id: 'a', shown: 20, opened: 5, replied: 1 },
        { id: 'b', shown: 30, opened: 9, replied: 2 },
      ],
      'opened',
    ),
    /Too early/,
  )
  const clear = confidenceNote(
    [
      { id: 'a', shown: 1000, opened: 100, replied: 10 },
      { id: 'b', shown: 1000, opened: 200, replied: 20 },
    ],
    'opened',
  )
  t.match(clear, /Variant b has the best open rate/)
  t.ok(twoProportionP(100, 1000, 200, 1000) < 0.001)
  t.match(
    confidenceNote(
      [
        { id: 'a', shown: 500, opened: 50, replied: 5 },
        { id: 'b', shown: 500, opened: 55, replied: 5 },
      ],
      'opened',
    ),
    /could be chance/,
  )
})
