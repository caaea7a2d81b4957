import { fieldSpec, type FieldKind } from '../../../server/src/rules/fields.js'
import type { Operator, Scalar } from './campaign_definition.js'

/** How the studio edits a field's value. */
export type ValueEditor = 'text' | 'number' | 'seconds' | 'boolean' | 'choice' | 'context'

export interface FieldInfo {
  name: string
  label: string
  group: string
  kind: FieldKind
  clock: boolean
  editor: ValueEditor
  /** Fixed choices (value, label), for `choice` editors. */
  choices?: () => Array<[string, string]>
  /** Choices that are suggestions only (any value is allowed). */
  open?: boolean
  hint?: string
}

const languageNames = new Intl.DisplayNames(['en'], { type: 'language', fallback: 'none' })
const regionNames = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' })

/** Codes that name no country (macro regions, placeholders). */
const NOT_COUNTRIES = new Set(['EU', 'EZ', 'UN', 'QO', 'XA', 'XB', 'ZZ', 'AA', 'QU'])
let countries: Array<[string, string]> | undefined
/** ISO 3166-1 alpha-2 codes the browser can name, by name. */
export function countryChoices(): Array<[string, string]> {
  if (!countries) {
    const list: Array<[string, string]> = []
    for (let a = 65; a <= 90; a++) {
      for (let b = 65; b <= 90; b++) {
        const code = String.fromCharCode(a, b)
        const name = NOT_COUNTRIES.has(code) ? undefined : regionNames.of(code)
        if (name && name !== code) list.push([code, name])
      }
    }
    countries = list.sort((x, y) => x[1].localeCompare(y[1]))
  }
  return countries
}

const LANGUAGES =
  'ar bg bn cs da de el en es et fa fi fr he hi hr hu id it ja ko lt lv ms nb nl pl pt ro ru sk sl sr sv th tr uk ur vi zh'
/** Common languages (primary subtags); `visitor.language` is the browser's primary language. */
export function languageChoices(): Array<[string, string]> {
  return LANGUAGES.split(' ')
    .map((code): [string, string] => [code, languageNames.of(code) ?? code])
    .sort((x, y) => x[1].localeCompare(y[1]))
}

const fixed =
  (...pairs: Array<[string, string]>) =>
  () =>
    pairs

/** Label and editor per field, in the order the field picker lists them. */
const CATALOG: Array<Omit<FieldInfo, 'kind' | 'clock'> & { fallbackKind?: FieldKind }> = [
  { name: 'page.url', label: 'Page URL', group: 'Page', editor: 'text' },
  { name: 'page.title', label: 'Page title', group: 'Page', editor: 'text' },
  { name: 'page.seconds', label: 'Time on page', group: 'Page', editor: 'seconds' },
  { name: 'page.views', label: 'Views of this page', group: 'Page', editor: 'number' },
  { name: 'exit.seconds', label: 'Exit intent after', group: 'Page', editor: 'number', hint: 'seconds on the page' },
  { name: 'visit.seconds', label: 'Time on site', group: 'Visit', editor: 'seconds' },
  { name: 'visit.pageViews', label: 'Pages this visit', group: 'Visit', editor: 'number' },
  { name: 'visit.referrer', label: 'Referrer', group: 'Visit', editor: 'text' },
  { name: 'visit.source', label: 'Landing page', group: 'Visit', editor: 'text' },
  { name: 'utm.source', label: 'UTM source', group: 'UTM', editor: 'text' },
  { name: 'utm.medium', label: 'UTM medium', group: 'UTM', editor: 'text' },
  { name: 'utm.campaign', label: 'UTM campaign', group: 'UTM', editor: 'text' },
  { name: 'utm.term', label: 'UTM term', group: 'UTM', editor: 'text' },
  { name: 'utm.content', label: 'UTM content', group: 'UTM', editor: 'text' },
  { name: 'visitor.visits', label: 'Visits', group: 'Visitor', editor: 'number' },
  { name: 'visitor.returning', label: 'Returning visitor', group: 'Visitor', editor: 'boolean' },
  { name: 'visitor.name', label: 'Visitor name', group: 'Visitor', editor: 'text' },
  { name: 'visitor.email', label: 'Visitor email', group: 'Visitor', editor: 'text' },
  {
    name: 'visitor.language',
    label: 'Language',
    group: 'Visitor',
    editor: 'choice',
    choices: languageChoices,
    open: true,
  },
  { name: 'user.authenticated', label: 'Logged-in user', group: 'Visitor', editor: 'boolean' },
  { name: 'geo.country', label: 'Country', group: 'Location', editor: 'choice', choices: countryChoices },
  { name: 'geo.region', label: 'Region', group: 'Location', editor: 'text' },
  { name: 'geo.city', label: 'City', group: 'Location', editor: 'text' },
  {
    name: 'device.platform',
    label: 'Device type',
    group: 'Device',
    editor: 'choice',
    choices: fixed(['desktop', 'Desktop'], ['mobile', 'Mobile'], ['tablet', 'Tablet']),
  },
  { name: 'device.os', label: 'Operating system', group: 'Device', editor: 'text' },
  { name: 'device.browser', label: 'Browser', group: 'Device', editor: 'text' },
  { name: 'device.ua', label: 'User agent', group: 'Device', editor: 'text' },
  { name: 'widget.open', label: 'Chat widget open', group: 'Widget', editor: 'boolean' },
  { name: 'widget.secondsSinceClosed', label: 'Since widget closed', group: 'Widget', editor: 'seconds' },
  { name: 'widget.id', label: 'Widget', group: 'Widget', editor: 'text', fallbackKind: 'string' },
  { name: 'chat.history', label: 'Past chats', group: 'Chat', editor: 'number' },
  {
    name: 'chat.rating',
    label: 'Last chat rating',
    group: 'Chat',
    editor: 'choice',
    choices: fixed(['great', 'Great'], ['average', 'Average'], ['poor', 'Poor']),
  },
  { name: 'chat.secondsWithoutReply', label: 'Waiting for a reply', group: 'Chat', editor: 'seconds' },
  { name: 'invitations.sent', label: 'Invitations sent', group: 'Invitations', editor: 'number' },
  { name: 'invitations.secondsSinceLast', label: 'Since last invitation', group: 'Invitations', editor: 'seconds' },
  { name: 'team.online', label: 'An operator is online', group: 'Team', editor: 'boolean' },
  {
    name: 'team.available',
    label: 'An operator has a free slot',
    group: 'Team',
    editor: 'boolean',
    fallbackKind: 'boolean',
  },
]

export const CONTEXT_PREFIX = 'context.'

const CLOCK_FIELDS = new Set(CATALOG.filter((f) => f.editor === 'seconds').map((f) => f.name))

/** Every field the picker offers (context.KEY is one entry, "Custom data"). */
export const FIELD_LIST: readonly FieldInfo[] = CATALOG.map(({ fallbackKind, ...f }) => {
  const spec = fieldSpec(f.name)
  return { ...f, kind: spec?.kind ?? fallbackKind ?? 'string', clock: spec?.clock ?? CLOCK_FIELDS.has(f.name) }
})
const BY_NAME = new Map(FIELD_LIST.map((f) => [f.name, f]))

/** The field's studio info; context.KEY and unknown names get generic ones. */
export function fieldInfo(name: string): FieldInfo {
  const known = BY_NAME.get(name)
  if (known) return known
  if (name.startsWith(CONTEXT_PREFIX))
    return {
      name,
      label: `Custom ${name.slice(CONTEXT_PREFIX.length)}`,
      group: 'Custom',
      kind: 'any',
      clock: false,
      editor: 'context',
    }
  return { name, label: name, group: 'Other', kind: 'string', clock: false, editor: 'text' }
}

export interface OperatorInfo {
  label: string
  /** In the sentence: "time on page ≥ 20 s". */
  sentence: string
  value: 'none' | 'one' | 'list'
}

export const OPERATOR_INFO: Record<Operator, OperatorInfo> = {
  eq: { label: 'is', sentence: 'is', value: 'one' },
  neq: { label: 'is not', sentence: 'is not', value: 'one' },
  contains: { label: 'contains', sentence: 'contains', value: 'one' },
  not_contains: { label: 'does not contain', sentence: 'does not contain', value: 'one' },
  contains_any: { label: 'contains any of', sentence: 'contains any of', value: 'list' },
  starts_with: { label: 'starts with', sentence: 'starts with', value: 'one' },
  gt: { label: '>', sentence: '>', value: 'one' },
  gte: { label: '≥', sentence: '≥', value: 'one' },
  lt: { label: '<', sentence: '<', value: 'one' },
  lte: { label: '≤', sentence: '≤', value: 'one' },
  exists: { label: 'is known', sentence: 'is known', value: 'none' },
  not_exists: { label: 'is unknown', sentence: 'is unknown', value: 'none' },
  in: { label: 'is one of', sentence: 'is one of', value: 'list' },
  not_in: { label: 'is none of', sentence: 'is none of', value: 'list' },
}

const PRESENCE: Operator[] = ['exists', 'not_exists']
const NUMERIC: Operator[] = ['gt', 'gte', 'lt', 'lte']
const TEXT: Operator[] = ['contains', 'not_contains', 'starts_with', 'contains_any']

/** The operators the contract allows on a field (as the server checks them). */
export function operatorsFor(field: FieldInfo): Operator[] {
  if (field.clock) return [...NUMERIC, ...PRESENCE]
  switch (field.kind) {
    case 'string':
      return field.editor === 'choice'
        ? ['eq', 'neq', 'in', 'not_in', ...PRESENCE]
        : [...TEXT, 'eq', 'neq', 'in', 'not_in', ...PRESENCE]
    case 'number':
      return [...NUMERIC, 'eq', 'neq', 'in', 'not_in', ...PRESENCE]
    case 'boolean':
      return ['eq', 'neq', ...PRESENCE]
    case 'any':
      return ['eq', 'neq', ...TEXT, ...NUMERIC, 'in', 'not_in', ...PRESENCE]
  }
}

/** A value that fits a field and operator, for a new or changed condition. */
export function defaultValue(field: FieldInfo, op: Operator): Scalar | Scalar[] | undefined {
  const shape = OPERATOR_INFO[op].value
  if (shape === 'none') return undefined
  let one: Scalar
  if (field.clock) one = 30
  else if (field.kind === 'number') one = 1
  else if (field.kind === 'boolean') one = true
  else if (field.choices && !field.open) one = field.choices()[0]?.[0] ?? ''
  else one = ''
  return shape === 'list' ? [one] : one
}

/** The label of a choice value ("Germany (DE)"), or the value. */
export function choiceLabel(field: FieldInfo, value: Scalar): string {
  const found = field.choices?.().find(([v]) => v === String(value).toLowerCase() || v === String(value))
  if (!found) return String(value)
  return field.name === 'device.platform' || field.name === 'chat.rating' ? found[1] : `${found[1]} (${found[0]})`
}
