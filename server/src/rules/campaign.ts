import { z } from 'zod'
import type { InviteButton, InviteMedia } from '../../../shared/src/protocol.js'
import type { Scalar } from './facts.js'
import { fieldSpec, type FieldSpec } from './fields.js'
import { parseScheduleInstant } from './schedule_window.js'
import { placeholders } from './template.js'
import { TimeZone } from './time_zone.js'

/**
 * Campaigns: proactive invitations and the rules that trigger them (PROTOCOL.md, "Campaign").
 * parseCampaign() validates a definition and fills in defaults; CampaignEngine compiles a
 * site's campaigns into an incremental matcher.
 *
 * Defaults: name = id, enabled true, audience "all", team "any", priority 0,
 * frequency "once_per_visit" (an invitation should not come back within the same visit, but
 * may on the next one), cooldownSeconds 0, no schedule (always open), no `when` (always true),
 * message.startChat false. A schedule without tz uses "UTC"; its hours default to "any".
 *
 * Conditions. A leaf is {field, op, value}; groups {all: [...]}, {any: [...]} (non-empty) and
 * {not: {...}} nest. String comparisons are case-insensitive. Values:
 * - An absent fact (null, missing, '', [] or NaN) makes every leaf false except not_exists,
 *   including neq, not_contains and not_in: "country neq DE" means "country known and not DE";
 *   write {any: [{neq}, {not_exists}]} to include the unknown.
 * - eq/neq/in/not_in compare typed values: the number 5 does not equal the string "5".
 * - contains is a substring test on a string; contains_any tests several substrings.
 *   starts_with is a prefix test. gt/gte/lt/lte compare numbers; a non-number fact fails them.
 * - A list fact (only context.KEY can hold one) matches a positive operator when an element
 *   does, except contains/contains_any which mean "the list includes the value / one of the
 *   values" (equality, not substring). neq, not_contains and not_in are the negations of eq,
 *   contains and in on a present value.
 * - Clock fields (page.seconds, visit.seconds, widget.secondsSinceClosed,
 *   chat.secondsWithoutReply, invitations.secondsSinceLast) take gt/gte/lt/lte/exists/
 *   not_exists only; a clock that is not running is absent (so `lt` on it is false).
 *
 * Firing. A campaign is *eligible* when all of these hold:
 * - it is enabled (disabled campaigns are not compiled in);
 * - its `when` holds;
 * - audience: "visitors" = user.authenticated is not true, "users" = it is true, "all";
 * - team: "online" = team.online is true, "offline" = it is not true, "any";
 * - schedule: now is in [from, until) and, for hours "inside"/"outside", the local time in
 *   the schedule's tz is inside/outside one of that week day's [start, end) ranges
 *   (DST-correct). A date-only `from` means the start of that day and a date-only `until` the
 *   end of that day, both in tz; a date-time without offset is read in tz too;
 * - frequency: once_per_visitor = never fired for this visitor (memory.firedEver),
 *   once_per_visit = not fired this visit (memory.firedThisVisit), every_time = always;
 * - cooldown: at least cooldownSeconds since it last fired (memory.lastFiredAt).
 * It fires on the rising edge: once fired it does not fire again until its `when` has been
 * false and then true again (even every_time). An eligible campaign that has not fired since
 * its `when` became true is *pending*. At most one invitation shows at a time: while the slot
 * is taken (a campaign invitation or a manual one), pending campaigns wait; when it frees, or
 * when several become pending at once, the highest priority fires (ties: definition order,
 * i.e. the order given to CampaignEngine.compile). Time counts like an event: clock
 * conditions, schedule boundaries and cooldown expiry make a campaign fire at that moment.
 */

export const OPERATORS = [
  'eq',
  'neq',
  'contains',
  'not_contains',
  'contains_any',
  'starts_with',
  'gt',
  'gte',
  'lt',
  'lte',
  'exists',
  'not_exists',
  'in',
  'not_in',
] as const
export type Operator = (typeof OPERATORS)[number]

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const
export type Weekday = (typeof WEEKDAYS)[number]

export interface LeafCondition {
  field: string
  op: Operator
  /** Omitted for exists/not_exists; an array for in/not_in/contains_any. */
  value?: Scalar | Scalar[]
}
export type Condition = LeafCondition | { all: Condition[] } | { any: Condition[] } | { not: Condition }

/** [start, end) as "HH:MM"; end may be "24:00". An overnight range is two ranges on two days. */
export type TimeRange = [string, string]

export interface Schedule {
  tz: string
  hours: 'any' | 'inside' | 'outside'
  week: Partial<Record<Weekday, TimeRange[]>>
  from?: string
  until?: string
}

export type CollectField = 'name' | 'email'

/** An image or GIF shown above the invitation text; its url passed isSafeUrl. */
export type MessageMedia = InviteMedia
/** Link or quick-reply button; a link's url passed isSafeUrl. */
export type MessageButton = InviteButton

/** What an invitation shows: the message itself, or one of its A/B variants. */
export interface MessageContent {
  text: string
  followUp?: string
  media?: MessageMedia
  buttons?: MessageButton[]
}

/** An A/B variant: a visitor gets it with probability weight / (sum of weights), always the same one. */
export interface MessageVariant extends MessageContent {
  id: string
  weight: number
}

export interface CampaignMessage extends MessageContent {
  /** May hold `{{field}}` / `{{field|fallback}}` placeholders (template.ts); so may followUp and variant texts. */
  text: string
  collect?: CollectField[]
  startChat: boolean
  /** 2 to 4 variants; `text` stays the fallback and the name the studio shows. */
  variants?: MessageVariant[]
}

export type Audience = 'visitors' | 'users' | 'all'
export type Team = 'any' | 'online' | 'offline'
export type Frequency = 'once_per_visitor' | 'once_per_visit' | 'every_time'

export interface Campaign {
  id: string
  name: string
  enabled: boolean
  audience: Audience
  team: Team
  priority: number
  schedule?: Schedule
  frequency: Frequency
  cooldownSeconds: number
  /** Omitted: always true. */
  when?: Condition
  message: CampaignMessage
  /** Put on the conversation the campaign's invitation starts. */
  tags?: string[]
}

/** Limits on one campaign definition. */
export interface CampaignLimits {
  /** Deepest nesting of all/any/not groups (default 8). */
  maxDepth: number
  /** Most leaf conditions in one campaign (default 50). */
  maxConditions: number
  /** Longest message text or followUp, in characters (default 4000, as BECKON_MAX_TEXT_LENGTH). */
  maxTextLength: number
  /** Longest string value in a condition (default 2048, as BECKON_MAX_URL_LENGTH). */
  maxValueLength: number
  /** Most values in an in/not_in/contains_any list (default 500). */
  maxListValues: number
  /** Most time ranges on one week day (default 8). */
  maxRangesPerDay: number
  /** Longest campaign name (default 200). */
  maxNameLength: number
}

export const CAMPAIGN_LIMIT_DEFAULTS: CampaignLimits = {
  maxDepth: 8,
  maxConditions: 50,
  maxTextLength: 4000,
  maxValueLength: 2048,
  maxListValues: 500,
  maxRangesPerDay: 8,
  maxNameLength: 200,
}

/** Longest cooldown: one year. */
const MAX_COOLDOWN_SECONDS = 365 * 24 * 3600
const MAX_PRIORITY = 1_000_000

/** A campaign definition that cannot be used; the admin API answers 400 {error: {code, message, path}}. */
export class CampaignError extends Error {
  readonly code = 'invalid_campaign' as const

  constructor(
    /** Where in the definition, dot-separated (e.g. `when.all.1.any.0.value`); '' for the whole. */
    readonly path: string,
    message: string,
  ) {
    super(message)
    this.name = 'CampaignError'
  }
}

type Path = ReadonlyArray<string | number>

function fail(path: Path, message: string): never {
  throw new CampaignError(path.join('.'), message)
}

/** Runs a zod schema, turning its first issue into a CampaignError under `path`. */
function check<T>(schema: z.ZodType<T>, input: unknown, path: Path): T {
  const result = schema.safeParse(input)
  if (result.success) return result.data
  const issue = result.error.issues[0]
  if (!issue) fail(path, 'invalid')
  const at = [...path, ...issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))]
  if (issue.code === 'unrecognized_keys') fail([...at, issue.keys[0] ?? ''], 'unknown key')
  return fail(at, issue.message)
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** What a leaf's value must be, per field kind and operator; a missing entry = not allowed. */
type Operand = 'none' | 'string' | 'number' | 'boolean' | 'scalar' | 'strings' | 'numbers' | 'scalars'

const NONE = { exists: 'none', not_exists: 'none' } as const
const NUMERIC = { gt: 'number', gte: 'number', lt: 'number', lte: 'number' } as const
const TEXT = { contains: 'string', not_contains: 'string', starts_with: 'string', contains_any: 'strings' } as const
const OPERANDS: Record<'string' | 'number' | 'boolean' | 'any' | 'clock', Partial<Record<Operator, Operand>>> = {
  string: { ...NONE, ...TEXT, eq: 'string', neq: 'string', in: 'strings', not_in: 'strings' },
  number: { ...NONE, ...NUMERIC, eq: 'number', neq: 'number', in: 'numbers', not_in: 'numbers' },
  boolean: { ...NONE, eq: 'boolean', neq: 'boolean' },
  clock: { ...NONE, ...NUMERIC },
  any: { ...NONE, ...TEXT, ...NUMERIC, eq: 'scalar', neq: 'scalar', in: 'scalars', not_in: 'scalars' },
}

function describeKind(spec: FieldSpec): string {
  return spec.clock ? 'clock' : spec.kind === 'any' ? 'context' : spec.kind
}

function checkScalar(
  expect: 'string' | 'number' | 'boolean' | 'scalar',
  value: unknown,
  path: Path,
  limits: CampaignLimits,
): void {
  const type = typeof value
  if (expect !== 'scalar' && type !== expect) fail(path, `expected a ${expect}`)
  if (type === 'string') {
    const s = value as string
    if (s.length === 0) fail(path, 'expected a non-empty string')
    if (s.length > limits.maxValueLength) fail(path, `longer than ${limits.maxValueLength} characters`)
  } else if (type === 'number') {
    if (!Number.isFinite(value)) fail(path, 'expected a finite number')
  } else if (type !== 'boolean') fail(path, 'expected a string, number or boolean')
}

function checkOperand(leaf: LeafCondition, path: Path, limits: CampaignLimits): void {
  const spec = fieldSpec(leaf.field)
  if (!spec) return fail([...path, 'field'], `unknown field "${leaf.field}"`)
  const expect = OPERANDS[spec.clock ? 'clock' : spec.kind][leaf.op]
  if (!expect)
    return fail([...path, 'op'], `operator "${leaf.op}" does not apply to ${describeKind(spec)} field "${leaf.field}"`)
  const at = [...path, 'value']
  const value = leaf.value
  if (expect === 'none') {
    if (value !== undefined) fail(at, `operator "${leaf.op}" takes no value`)
    return
  }
  if (value === undefined) return fail(at, `operator "${leaf.op}" needs a value`)
  if (expect === 'strings' || expect === 'numbers' || expect === 'scalars') {
    if (!Array.isArray(value)) return fail(at, `operator "${leaf.op}" needs a list of values`)
    if (value.length === 0) fail(at, 'expected at least one value')
    if (value.length > limits.maxListValues) fail(at, `more than ${limits.maxListValues} values`)
    const item = expect === 'strings' ? 'string' : expect === 'numbers' ? 'number' : 'scalar'
    for (const [i, v] of value.entries()) checkScalar(item, v, [...at, i], limits)
    return
  }
  if (Array.isArray(value)) return fail(at, `operator "${leaf.op}" needs a single value`)
  checkScalar(expect, value, at, limits)
  if (spec.clock && (value as number) < 0) fail(at, 'seconds cannot be negative')
}

const scalarSchema = z.union([z.string(), z.number(), z.boolean()])
const leafSchema = z.strictObject({
  field: z.string(),
  op: z.enum(OPERATORS),
  value: z.union([scalarSchema, z.array(scalarSchema)]).optional(),
})
const allSchema = z.strictObject({ all: z.array(z.unknown()).min(1) })
const anySchema = z.strictObject({ any: z.array(z.unknown()).min(1) })
const notSchema = z.strictObject({ not: z.unknown() })

function parseCondition(input: unknown, path: Path, limits: CampaignLimits): Condition {
  let leaves = 0
  const walk = (node: unknown, at: Path, depth: number): Condition => {
    if (!isRecord(node))
      return fail(at, 'expected a condition: {field, op, value}, {all: [...]}, {any: [...]} or {not: {...}}')
    const group = 'all' in node || 'any' in node || 'not' in node
    if (group && depth >= limits.maxDepth) fail(at, `groups nested deeper than ${limits.maxDepth}`)
    if ('all' in node) {
      return { all: check(allSchema, node, at).all.map((c, i) => walk(c, [...at, 'all', i], depth + 1)) }
    }
    if ('any' in node) {
      return { any: check(anySchema, node, at).any.map((c, i) => walk(c, [...at, 'any', i], depth + 1)) }
    }
    if ('not' in node) return { not: walk(check(notSchema, node, at).not, [...at, 'not'], depth + 1) }
    const leaf = check(leafSchema, node, at)
    if (++leaves > limits.maxConditions) fail(at, `more than ${limits.maxConditions} conditions`)
    checkOperand(leaf, at, limits)
    const { field, op, value } = leaf
    return value === undefined ? { field, op } : { field, op, value }
  }
  return walk(input, path, 0)
}

/** Campaign ids (contract v1.1): lowercase, so no id can name an Object member such as `__proto__` or `toString`. */
export const CAMPAIGN_ID = /^[a-z0-9][a-z0-9_-]{0,63}$/
const VARIANT_ID = /^[a-z0-9_-]{1,16}$/
const MAX_BUTTONS = 3
const MAX_VARIANTS = 4
const MAX_TAGS = 10

/**
 * Where a campaign may point the visitor's browser: `https:` URLs, or a site-relative path
 * (`/…`, not `//host`). Anything else (javascript:, data:, http:, backslash tricks) is refused,
 * so neither a link nor an image can run script or leave TLS.
 */
export function isSafeUrl(url: string): boolean {
  if (/[\\\s\p{Cc}]/u.test(url)) return false
  if (url.startsWith('/')) return !url.startsWith('//')
  try {
    return new URL(url).protocol === 'https:' && url.toLowerCase().startsWith('https://')
  } catch {
    return false
  }
}

const unique = <T>(list: T[]) => new Set(list).size === list.length
const HHMM = /^(?:(?:[01]\d|2[0-3]):[0-5]\d|24:00)$/

/** A weekly schedule `{mon?: [["09:00","17:00"], …], …}` (campaign schedules and site business hours). */
export function weekSchema(maxRangesPerDay: number) {
  const hhmm = z.string().regex(HHMM, 'expected "HH:MM" (00:00 to 24:00)')
  const ranges = z.array(z.tuple([hhmm, hhmm])).max(maxRangesPerDay)
  return z.strictObject(Object.fromEntries(WEEKDAYS.map((d) => [d, ranges.optional()]))).default({})
}

/** Throws CampaignError at the first range whose end is not after its start. */
export function checkWeek(week: Partial<Record<Weekday, TimeRange[]>>, path: Path): void {
  for (const day of WEEKDAYS) {
    week[day]?.forEach(([start, end], i) => {
      if (start >= end)
        fail([...path, 'week', day, i, 1], 'end must be after start (split overnight ranges over two days)')
    })
  }
}

function buildSchema(limits: CampaignLimits) {
  const text = z.string().max(limits.maxTextLength)
  const safeUrl = z
    .string()
    .max(limits.maxValueLength)
    .refine(isSafeUrl, 'expected an https:// URL or a site-relative /path')
  const label = z.string().min(1).max(64)
  const button = z
    .strictObject({ label, url: safeUrl.optional(), reply: z.literal(true).optional() })
    .superRefine((b, ctx) => {
      if ((b.url === undefined) === (b.reply === undefined))
        ctx.addIssue({ code: 'custom', path: ['url'], message: 'a button has either url or reply: true' })
    })
    .transform(
      (b): MessageButton => (b.url !== undefined ? { label: b.label, url: b.url } : { label: b.label, reply: true }),
    )
  const content = {
    followUp: text.optional(),
    media: z.strictObject({ url: safeUrl, alt: z.string().max(500).default('') }).optional(),
    buttons: z.array(button).max(MAX_BUTTONS).optional(),
  }
  const variant = z.strictObject({
    id: z.string().regex(VARIANT_ID, 'expected 1-16 characters of a-z 0-9 _ -'),
    weight: z.number().int().min(1).max(100),
    text: text.min(1),
    ...content,
  })
  return z.strictObject({
    id: z.string().regex(CAMPAIGN_ID, 'expected 1-64 characters of a-z 0-9 _ -, starting with a letter or digit'),
    name: z.string().max(limits.maxNameLength).optional(),
    enabled: z.boolean().default(true),
    audience: z.enum(['visitors', 'users', 'all']).default('all'),
    team: z.enum(['any', 'online', 'offline']).default('any'),
    priority: z.number().int().min(-MAX_PRIORITY).max(MAX_PRIORITY).default(0),
    schedule: z
      .strictObject({
        tz: z.string().max(64).refine(TimeZone.isValid, 'unknown IANA time zone').default('UTC'),
        hours: z.enum(['any', 'inside', 'outside']).default('any'),
        week: weekSchema(limits.maxRangesPerDay),
        from: z.string().optional(),
        until: z.string().optional(),
      })
      .optional(),
    frequency: z.enum(['once_per_visitor', 'once_per_visit', 'every_time']).default('once_per_visit'),
    cooldownSeconds: z.number().int().min(0).max(MAX_COOLDOWN_SECONDS).default(0),
    when: z.unknown().optional(),
    message: z.strictObject({
      text: text.min(1),
      ...content,
      variants: z.array(variant).min(2).max(MAX_VARIANTS).optional(),
      collect: z
        .array(z.enum(['name', 'email']))
        .refine((list) => new Set(list).size === list.length, 'duplicate entries')
        .optional(),
      startChat: z.boolean().default(false),
    }),
    tags: z.array(z.string().min(1).max(32)).max(MAX_TAGS).refine(unique, 'duplicate tags').optional(),
  })
}

const schemas = new WeakMap<CampaignLimits, ReturnType<typeof buildSchema>>()

/** A weekly schedule in a time zone: a site's business hours. */
export interface BusinessHours {
  tz: string
  week: Partial<Record<Weekday, TimeRange[]>>
}

/**
 * The campaign as it is compiled for a site: a schedule with hours "inside"/"outside" and no
 * range of its own uses the site's business hours (their week and tz). Without business hours
 * such a schedule has no range: "inside" never holds, "outside" always does.
 */
export function withSiteHours(campaign: Campaign, hours: BusinessHours | undefined): Campaign {
  const s = campaign.schedule
  if (!s || s.hours === 'any' || WEEKDAYS.some((d) => (s.week[d]?.length ?? 0) > 0)) return campaign
  return { ...campaign, schedule: { ...s, tz: hours?.tz ?? s.tz, week: hours?.week ?? {} } }
}

/** Hours "inside"/"outside" with no range in `week` refer to the site's business hours (usesSiteHours). */
function checkSchedule(schedule: Schedule, path: Path): void {
  checkWeek(schedule.week, path)
  const bound = (key: 'from' | 'until'): number | undefined => {
    const text = schedule[key]
    if (text === undefined) return undefined
    const at = parseScheduleInstant(text, schedule.tz, key === 'until')
    return (
      at ?? fail([...path, key], 'expected an ISO date (YYYY-MM-DD) or date-time (YYYY-MM-DDTHH:MM[:SS][Z|±HH:MM])')
    )
  }
  const from = bound('from')
  const until = bound('until')
  if (from !== undefined && until !== undefined && until <= from) fail([...path, 'until'], 'must be after from')
}

function checkTemplate(text: string | undefined, path: Path): void {
  for (const p of placeholders(text ?? '')) {
    if (!fieldSpec(p.field)) fail(path, `unknown field "${p.field}" in a {{placeholder}}`)
  }
}

/** Validates a campaign definition (any JSON value) and fills in the defaults; throws CampaignError. */
export function parseCampaign(input: unknown, limits: CampaignLimits = CAMPAIGN_LIMIT_DEFAULTS): Campaign {
  let schema = schemas.get(limits)
  if (!schema) {
    schema = buildSchema(limits)
    schemas.set(limits, schema)
  }
  const raw = check(schema, input, [])
  const { id, name, when, schedule, ...rest } = raw
  const campaign: Campaign = { id, name: name ?? id, ...rest }
  if (schedule) {
    checkSchedule(schedule, ['schedule'])
    campaign.schedule = schedule
  }
  if (when !== undefined) campaign.when = parseCondition(when, ['when'], limits)
  checkTemplate(raw.message.text, ['message', 'text'])
  checkTemplate(raw.message.followUp, ['message', 'followUp'])
  raw.message.variants?.forEach((v, i) => {
    const at = ['message', 'variants', i]
    if (raw.message.variants?.findIndex((other) => other.id === v.id) !== i) fail([...at, 'id'], 'duplicate variant id')
    checkTemplate(v.text, [...at, 'text'])
    checkTemplate(v.followUp, [...at, 'followUp'])
  })
  return campaign
}
