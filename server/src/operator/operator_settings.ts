import { z } from 'zod'
import type { Bus, Subscription } from '../bus/bus.js'
import { InputError } from '../input_error.js'
import type { Logger } from '../logger.js'
import { isSafeUrl } from '../rules/campaign.js'
import type { Store } from '../store/store.js'
import type { OnlineOperator } from './team_presence.js'

/**
 * One operator's own settings on one site (bucket `operators`, key `SITE.<base64url sub>`).
 * `displayName` and `avatar` are what visitors and colleagues see instead of the token's
 * `sub`; without an avatar, clients draw the name's initials.
 */
export interface OperatorPrefs {
  displayName?: string
  /** An https:// URL or a site-relative /path (as campaign media). */
  avatar?: string
  /** Max concurrent chats (offered or accepted), 1..BECKON_OPERATOR_MAX_CHATS_LIMIT. */
  maxChats: number
  /** An online operator with this on gets an auto-assigned chat accepted at once (no offer to let lapse). */
  autoAccept: boolean
}

/** A `PATCH …/operators/me/settings` body: each key present replaces that setting; `null` clears name or avatar. */
export interface OperatorPrefsPatch {
  displayName?: string | null
  avatar?: string | null
  maxChats?: number
  autoAccept?: boolean
}

const MAX_NAME = 64

/** Validates a patch against the node's limit; throws InputError naming the bad field. */
export function parseOperatorPrefsPatch(input: unknown, maxChatsLimit: number): OperatorPrefsPatch {
  const schema = z.strictObject({
    displayName: z
      .string()
      .transform((s) => s.trim())
      .pipe(
        z
          .string()
          .min(1, 'a display name needs a character (null clears it)')
          .max(MAX_NAME, `at most ${MAX_NAME} characters`)
          .refine((s) => !/\p{Cc}/u.test(s), 'no control characters'),
      )
      .nullable()
      .optional(),
    avatar: z
      .string()
      .max(2048, 'at most 2048 characters')
      .refine(isSafeUrl, 'expected an https:// URL or a site-relative /path')
      .nullable()
      .optional(),
    maxChats: z
      .number()
      .int('a whole number')
      .min(1, 'at least 1')
      .max(maxChatsLimit, `at most ${maxChatsLimit} (BECKON_OPERATOR_MAX_CHATS_LIMIT)`)
      .optional(),
    autoAccept: z.boolean().optional(),
  })
  const result = schema.safeParse(input)
  if (!result.success) throw InputError.fromZod('invalid_operator_settings', result.error)
  return result.data
}

const storedSchema = z.object({
  displayName: z.string().optional(),
  avatar: z.string().optional(),
  maxChats: z.number().int().min(1).optional(),
  autoAccept: z.boolean().optional(),
})

const key = (site: string, operator: string): string => `${site}.${Buffer.from(operator).toString('base64url')}`
const subject = (site: string): string => `beckon.operator_settings.${site}`

type StoredPrefs = z.infer<typeof storedSchema>

interface SettingsChanged {
  operator: string
  prefs: StoredPrefs
}

/** An operator's presence entry with its settings applied (a cleared name or avatar is dropped). */
export function presenceOf(
  base: Pick<OnlineOperator, 'id' | 'departments' | 'seesAll'>,
  prefs: OperatorPrefs,
): OnlineOperator {
  return { id: base.id, departments: base.departments, seesAll: base.seesAll, ...prefs }
}

/**
 * Operators' settings, durable in the Store (so the same on every node and after a restart)
 * and cached per node. A change is published on `beckon.operator_settings.<site>`; every node
 * updates its cache and tells `onChange` (which refreshes the operator's presence entry, the
 * source of routing's maxChats/autoAccept and of the names other nodes show).
 */
export class OperatorSettings {
  private readonly cache = new Map<string, OperatorPrefs>()
  private readonly subscription: Subscription

  constructor(
    private readonly store: Store,
    private readonly bus: Bus,
    /** BECKON_OPERATOR_MAX_CHATS: maxChats until the operator sets one. */
    private readonly defaultMaxChats: number,
    private readonly maxChatsLimit: number,
    private readonly onChange: (site: string, operator: string, prefs: OperatorPrefs) => void,
    private readonly log: Logger,
  ) {
    this.subscription = bus.subscribe('beckon.operator_settings.*', (msg, subj) => {
      const site = subj.slice('beckon.operator_settings.'.length)
      const change = msg as SettingsChanged
      try {
        const prefs = this.complete(storedSchema.parse(change?.prefs))
        if (typeof change.operator !== 'string') return
        this.cache.set(key(site, change.operator), prefs)
        this.onChange(site, change.operator, prefs)
      } catch (error) {
        this.log.warn({ err: error, site }, 'operator settings change ignored')
      }
    })
  }

  /** The operator's settings (defaults when it never saved any). */
  async get(site: string, operator: string): Promise<OperatorPrefs> {
    const k = key(site, operator)
    const cached = this.cache.get(k)
    if (cached) return cached
    const entry = await this.store.get<unknown>('operators', k)
    const parsed = entry ? storedSchema.safeParse(entry.value) : undefined
    if (parsed && !parsed.success) this.log.warn({ site, operator }, 'stored operator settings unreadable: defaults')
    const prefs = this.complete(parsed?.success ? parsed.data : {})
    this.cache.set(k, prefs)
    return prefs
  }

  /** What this node last read or heard, for synchronous paths (frames to visitors). */
  cached(site: string, operator: string): OperatorPrefs | undefined {
    return this.cache.get(key(site, operator))
  }

  /** Applies a patch by compare-and-set; resolves once durable and published to every node. */
  async update(site: string, operator: string, patch: OperatorPrefsPatch): Promise<OperatorPrefs> {
    const k = key(site, operator)
    for (let attempt = 0; attempt < 10; attempt++) {
      const entry = await this.store.get<unknown>('operators', k)
      const current = entry ? storedSchema.catch({}).parse(entry.value) : {}
      const next: StoredPrefs = { ...current }
      for (const field of ['displayName', 'avatar'] as const) {
        const value = patch[field]
        if (value === null) delete next[field]
        else if (value !== undefined) next[field] = value
      }
      if (patch.maxChats !== undefined) next.maxChats = patch.maxChats
      if (patch.autoAccept !== undefined) next.autoAccept = patch.autoAccept
      const written = entry
        ? await this.store.update('operators', k, next, entry.revision)
        : await this.store.create('operators', k, next)
      if (written === false) continue
      const prefs = this.complete(next)
      this.cache.set(k, prefs)
      this.bus.publish(subject(site), { operator, prefs: next } satisfies SettingsChanged)
      return prefs
    }
    throw new InputError('conflict', 'settings changed concurrently, try again', '', 409)
  }

  /** Defaults filled in; a stored maxChats above a since-lowered limit is capped. */
  private complete(stored: StoredPrefs): OperatorPrefs {
    const prefs: OperatorPrefs = {
      maxChats: Math.min(stored.maxChats ?? this.defaultMaxChats, this.maxChatsLimit),
      autoAccept: stored.autoAccept ?? false,
    }
    if (stored.displayName !== undefined) prefs.displayName = stored.displayName
    if (stored.avatar !== undefined) prefs.avatar = stored.avatar
    return prefs
  }

  close(): void {
    this.subscription.unsubscribe()
  }
}
