import { z } from 'zod'
import { UTM_KEYS, type InviteFrame, type Rating, type UtmKey } from '../../../shared/src/protocol.js'

/** One visit: from the first tab until BECKON_VISIT_GAP_SECONDS pass with no tab connected. */
export interface VisitRecord {
  n: number
  startedAt: number
  pageViews: number
  referrer?: string
  /** Landing URL. */
  source?: string
  utm: Partial<Record<UtmKey, string>>
  /**
   * Views per URL key (live_visitor.ts pageKey), bounded by BECKON_MAX_TRACKED_URLS. A Map, not
   * an object: per-visitor random keys would give every visitor's object its own hidden classes.
   * Stored as a msgpack map.
   */
  urlViews: Map<string, number>
  context: Record<string, unknown>
  firedThisVisit: string[]
  invitationsSent: number
  lastInvitationAt?: number
  /** The visit's latest page view: a tab reconnecting to that page (hello.reconnect) keeps its time on page. */
  lastPage?: { url: string; since: number }
  /**
   * The invitation holding the visible slot (sent, neither opened nor dismissed), re-delivered
   * to new tabs until it expires; `counted`: lifecycle actions already counted (stats).
   */
  pendingInvitation?: { frame: InviteFrame; counted: number }
}

/** What beckon remembers of a visitor across visits, tabs, nodes and restarts (bucket `profiles`). */
export interface VisitorProfile {
  v: 1
  createdAt: number
  /** Last moment a tab was seen; decides whether the next tab continues the visit. */
  lastSeenAt: number
  visits: number
  userId?: string
  name?: string
  email?: string
  /** Campaigns ever fired (once_per_visitor). */
  firedEver: string[]
  /** Last time each campaign fired (cooldown). */
  lastFiredAt: Record<string, number>
  chatHistory: number
  rating?: Rating
  /** The latest details the visitor left itself (contact or offline form). */
  lead?: { name?: string; email?: string; capturedAt: number }
  visit?: VisitRecord
}

/**
 * The empty record every profile starts with (`lastFiredAt`, a visit's `context`): frozen and
 * shared, since a null-prototype object of its own costs each idle visitor some 200 bytes.
 * Writers replace it (recordWith) rather than mutate it.
 */
export const EMPTY_RECORD: Readonly<Record<string, never>> = Object.freeze(Object.create(null))

/** `record` with `key` set to `value`: in place, or in a fresh null-prototype copy when `record` is frozen. */
export function recordWith<V>(record: Record<string, V>, key: string, value: V): Record<string, V> {
  const out: Record<string, V> = Object.isFrozen(record) ? Object.assign(Object.create(null), record) : record
  out[key] = value
  return out
}

/** Objects keyed by outside ids (context keys, campaign ids) have no prototype to collide with. */
const plainRecord = <T extends z.ZodType>(value: T) =>
  z
    .record(z.string(), value)
    .transform(
      (record): Record<string, z.output<T>> =>
        Object.keys(record).length === 0 ? EMPTY_RECORD : Object.assign(Object.create(null), record),
    )

const visitSchema = z.object({
  n: z.number().int().min(1),
  startedAt: z.number(),
  pageViews: z.number().int().min(0),
  referrer: z.string().optional(),
  source: z.string().optional(),
  utm: z.partialRecord(z.enum(UTM_KEYS), z.string()),
  urlViews: z.record(z.string(), z.number()).transform((views) => new Map(Object.entries(views))),
  context: plainRecord(z.unknown()),
  firedThisVisit: z.array(z.string()),
  invitationsSent: z.number().int().min(0),
  lastInvitationAt: z.number().optional(),
  lastPage: z.object({ url: z.string(), since: z.number() }).optional(),
  pendingInvitation: z
    .object({
      frame: z.object({
        t: z.literal('invite'),
        id: z.string(),
        campaign: z.string().optional(),
        operator: z.string().optional(),
        text: z.string(),
        followUp: z.string().optional(),
        collect: z.array(z.enum(['name', 'email'])).optional(),
        startChat: z.boolean(),
        at: z.number(),
      }),
      counted: z.number().int().min(0),
    })
    .optional(),
})

const profileSchema = z.object({
  v: z.literal(1),
  createdAt: z.number(),
  lastSeenAt: z.number(),
  visits: z.number().int().min(0),
  userId: z.string().optional(),
  name: z.string().optional(),
  email: z.string().optional(),
  firedEver: z.array(z.string()),
  lastFiredAt: plainRecord(z.number()),
  chatHistory: z.number().int().min(0),
  rating: z.enum(['great', 'average', 'poor']).optional(),
  lead: z.object({ name: z.string().optional(), email: z.string().optional(), capturedAt: z.number() }).optional(),
  visit: visitSchema.optional(),
})

export class ProfileError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ProfileError'
  }
}

/** Validates a stored profile (it may come from an older or foreign writer). */
export function parseProfile(input: unknown): VisitorProfile {
  const result = profileSchema.safeParse(input)
  if (!result.success)
    throw new ProfileError(`stored profile unreadable: ${result.error.issues[0]?.message ?? 'invalid'}`)
  return result.data as VisitorProfile
}

export function newProfile(now: number): VisitorProfile {
  return {
    v: 1,
    createdAt: now,
    lastSeenAt: now,
    visits: 0,
    firedEver: [],
    lastFiredAt: EMPTY_RECORD,
    chatHistory: 0,
  }
}

export function profileKey(site: string, visitor: string): string {
  return `${site}.${visitor}`
}
