/**
 * A campaign definition as the studio edits it: the JSON the campaign routes take
 * (docs/PROTOCOL.md "Campaign", /v1 campaign routes). The studio keeps the definition as
 * JSON and edits it path by path, so keys it does not know survive a round trip.
 */
import type {
  Condition,
  LeafCondition as Leaf,
  Operator,
  TimeRange,
  Weekday,
} from '../../../server/src/rules/campaign.js'
import type { Scalar } from '../../../server/src/rules/facts.js'

export type { Scalar }
export type Json = Scalar | null | Json[] | { [key: string]: Json }
export type JsonObject = { [key: string]: Json }
export type Path = ReadonlyArray<string | number>

export type { Condition, Leaf, Operator, TimeRange, Weekday }

export interface Schedule {
  tz?: string
  hours?: 'any' | 'inside' | 'outside'
  week?: Partial<Record<Weekday, TimeRange[]>>
  from?: string
  until?: string
}

export type Button = { label: string; url: string } | { label: string; reply: true }
export interface Media {
  url: string
  alt: string
}
export interface Variant {
  id: string
  weight: number
  text: string
  followUp?: string
  media?: Media
  buttons?: Button[]
}
export interface Message {
  text: string
  followUp?: string
  collect?: Array<'name' | 'email'>
  startChat?: boolean
  media?: Media
  buttons?: Button[]
  variants?: Variant[]
}

export interface CampaignDefinition {
  id: string
  name?: string
  enabled?: boolean
  audience?: 'visitors' | 'users' | 'all'
  team?: 'any' | 'online' | 'offline'
  priority?: number
  schedule?: Schedule
  frequency?: 'once_per_visitor' | 'once_per_visit' | 'every_time'
  cooldownSeconds?: number
  when?: Condition
  message: Message
  tags?: string[]
}

export const ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/
export const VARIANT_ID_PATTERN = /^[a-z0-9_-]{1,16}$/
export const MAX_VARIANTS = 4
export const MAX_BUTTONS = 3
export const MAX_TAGS = 10

export const isGroup = (c: Condition): c is { all: Condition[] } | { any: Condition[] } => 'all' in c || 'any' in c
export const isNot = (c: Condition): c is { not: Condition } => 'not' in c
export const isLeaf = (c: Condition): c is Leaf => 'field' in c

/** A campaign id from a name: lowercase, digits and dashes, as the id pattern wants. */
export function slug(name: string): string {
  return (
    name
      .toLowerCase()
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .replace(/[^a-z0-9_-]+/g, '-')
      .replace(/^[-_]+|-+$/g, '')
      .slice(0, 64) || 'campaign'
  )
}

/** What "New campaign" starts from. */
export function newCampaign(): CampaignDefinition {
  return {
    id: '',
    name: 'New campaign',
    enabled: true,
    audience: 'all',
    team: 'any',
    priority: 0,
    frequency: 'once_per_visit',
    cooldownSeconds: 0,
    when: { all: [{ field: 'page.url', op: 'contains', value: '/' }] },
    message: { text: 'Hi! Can I help you with anything?', startChat: false },
  }
}

/** The value at a path, undefined when absent. */
export function getAt(root: unknown, path: Path): unknown {
  let node = root
  for (const key of path) {
    if (typeof node !== 'object' || node === null) return undefined
    node = (node as Record<string | number, unknown>)[key]
  }
  return node
}

/**
 * A copy of `root` with `value` at `path` (undefined removes an object key; arrays keep
 * their other items). Intermediate objects are created as needed; key order is kept.
 */
export function setAt<T>(root: T, path: Path, value: unknown): T {
  if (path.length === 0) return value as T
  const [head, ...rest] = path as [string | number, ...Array<string | number>]
  const base: unknown = root
  if (typeof head === 'number') {
    const list = Array.isArray(base) ? [...base] : []
    list[head] = setAt(list[head], rest, value)
    return list as T
  }
  const obj: Record<string, unknown> =
    typeof base === 'object' && base !== null && !Array.isArray(base) ? { ...(base as object) } : {}
  const next = setAt(obj[head], rest, value)
  if (next === undefined) delete obj[head]
  else obj[head] = next
  return obj as T
}
