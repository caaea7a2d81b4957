import { z } from 'zod'
import { InputError } from '../input_error.js'
import { fieldSpec } from '../rules/fields.js'
import { placeholders } from '../rules/template.js'
import type { Store } from '../store/store.js'

/**
 * A site's saved reply. Its id is also the shortcut an operator types after `/` in the
 * composer; `text` is a template like an invitation's (`{{visitor.name|there}}`), rendered by
 * the console with the chat's visitor before it is sent.
 */
export interface CannedResponse {
  id: string
  title: string
  text: string
  /** ISO time and author (`sub` or "admin") of the last change. */
  updatedAt: string
  updatedBy: string
}

/** BECKON_MAX_CANNED_* (config.ts): how many replies a site keeps and how long a title is. */
export interface CannedLimits {
  maxPerSite: number
  maxTitleLength: number
  /** BECKON_MAX_TEXT_LENGTH: a reply is sent as a chat message. */
  maxTextLength: number
}

export const CANNED_ID = /^[a-z0-9][a-z0-9_-]{0,63}$/

export function parseCannedId(input: unknown): string {
  if (typeof input !== 'string' || !CANNED_ID.test(input))
    throw new InputError('invalid_canned', 'shortcut must be 1-64 characters of a-z 0-9 _ - (no spaces)', 'id')
  return input
}

/** Validates a `PUT /v1/sites/SITE/canned/ID` body `{title, text}`; throws InputError with the field's path. */
export function parseCannedBody(input: unknown, limits: CannedLimits): { title: string; text: string } {
  const schema = z.strictObject({
    title: z.string().trim().min(1, 'a title is required').max(limits.maxTitleLength),
    text: z.string().trim().min(1, 'a reply needs text').max(limits.maxTextLength),
  })
  const result = schema.safeParse(input)
  if (!result.success) throw InputError.fromZod('invalid_canned', result.error)
  for (const p of placeholders(result.data.text)) {
    if (!fieldSpec(p.field))
      throw new InputError('invalid_canned', `unknown field "${p.field}" in a {{placeholder}}`, 'text')
  }
  return result.data
}

const stored = z.object({ title: z.string(), text: z.string(), updatedAt: z.string(), updatedBy: z.string() })

/**
 * Canned responses in the Store (bucket `canned`, key `SITE.ID`), so every node reads the
 * same list: a write resolves once durable, and any node's next read sees it.
 */
export class CannedResponses {
  constructor(
    private readonly store: Store,
    private readonly limits: CannedLimits,
  ) {}

  /** The site's replies, ordered by shortcut. */
  async list(site: string): Promise<CannedResponse[]> {
    const entries = await this.store.list<unknown>('canned', `${site}.`)
    return entries.flatMap((entry) => {
      const value = stored.safeParse(entry.value)
      return value.success ? [{ id: entry.key.slice(site.length + 1), ...value.data }] : []
    })
  }

  async get(site: string, id: string): Promise<CannedResponse | undefined> {
    const entry = await this.store.get<unknown>('canned', `${site}.${id}`)
    const value = entry && stored.safeParse(entry.value)
    return value?.success ? { id, ...value.data } : undefined
  }

  /** Creates or replaces a reply; refuses a new one past BECKON_MAX_CANNED_RESPONSES (409). */
  async put(site: string, id: string, body: { title: string; text: string }, author: string) {
    const key = `${site}.${id}`
    const value = { ...body, updatedAt: new Date().toISOString(), updatedBy: author }
    const existing = await this.store.get('canned', key)
    if (!existing && (await this.store.list('canned', `${site}.`)).length >= this.limits.maxPerSite)
      throw new InputError(
        'too_many_canned',
        `a site keeps at most ${this.limits.maxPerSite} canned responses (BECKON_MAX_CANNED_RESPONSES)`,
        'id',
        409,
      )
    await this.store.put('canned', key, value)
    return { created: !existing, response: { id, ...value } satisfies CannedResponse }
  }

  /** Deletes a reply; false when there was none. */
  async delete(site: string, id: string): Promise<boolean> {
    const key = `${site}.${id}`
    if (!(await this.store.get('canned', key))) return false
    await this.store.delete('canned', key)
    return true
  }
}
