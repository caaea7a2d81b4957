import { z } from 'zod'
import { InputError } from '../input_error.js'
import { checkWeek, CampaignError, CAMPAIGN_LIMIT_DEFAULTS, weekSchema, type BusinessHours } from '../rules/campaign.js'
import { TimeZone } from '../rules/time_zone.js'

/** A website served by beckon. The secret signs user hashes, resume tokens and operator JWTs. */
export interface Site {
  id: string
  name: string
  /** Allowed `Origin`s of widget sockets (`scheme://host[:port]`); `*` allows any, even none. */
  origins: string[]
  secret: string
  departments: string[]
  /**
   * Operators whose sessions an admin ended (`DELETE .../operators/SUB/sessions`): their tokens
   * issued at or before `at` (epoch seconds) are refused. Kept by the server, never part of a PUT body.
   */
  revocations?: Revocation[]
  /** Where webhook events go (server/src/webhook/); the secret signs them and is never returned. */
  webhook?: SiteWebhook
  /** Business hours: campaign schedules with hours inside/outside and no own ranges use them. */
  hours?: BusinessHours
}

export interface SiteWebhook {
  url: string
  secret: string
}

export interface Revocation {
  sub: string
  at: number
}

export const SITE_ID = /^[a-z0-9][a-z0-9_-]{0,63}$/

const origin = z.union([
  z.literal('*'),
  z
    .string()
    .max(256)
    .refine((s) => {
      try {
        const u = new URL(s)
        return (u.protocol === 'http:' || u.protocol === 'https:') && u.origin === s
      } catch {
        return false
      }
    }, 'expected an origin like https://example.com (scheme, host and optional port, no path)'),
])

/** A webhook URL: http(s) only; loopback and private addresses are allowed (self-hosted receivers). */
const webhookUrl = z
  .string()
  .max(2048)
  .refine((s) => {
    try {
      const u = new URL(s)
      return (u.protocol === 'http:' || u.protocol === 'https:') && u.username === '' && u.password === ''
    } catch {
      return false
    }
  }, 'expected an http:// or https:// URL without credentials')

export const webhookSchema = z.object({
  url: webhookUrl,
  secret: z.string().min(16, 'at least 16 characters').max(512),
})

export const hoursSchema = z.object({
  tz: z.string().max(64).refine(TimeZone.isValid, 'unknown IANA time zone'),
  week: weekSchema(CAMPAIGN_LIMIT_DEFAULTS.maxRangesPerDay),
})

/** Checks business hours' ranges (end after start); throws InputError at `hours.week.DAY.I.1`. */
export function checkHours(hours: BusinessHours): BusinessHours {
  try {
    checkWeek(hours.week, ['hours'])
  } catch (error) {
    if (error instanceof CampaignError) throw new InputError('invalid_site', error.message, error.path)
    throw error
  }
  return hours
}

const siteBody = z.object({
  name: z.string().min(1).max(200),
  origins: z.array(origin).max(100),
  secret: z.string().min(16, 'at least 16 characters').max(512),
  departments: z
    .array(z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'expected 1-64 characters of A-Z a-z 0-9 _ -'))
    .max(200)
    .default([]),
  webhook: webhookSchema.optional(),
  hours: hoursSchema.optional(),
})

export function parseSiteId(input: unknown): string {
  if (typeof input !== 'string' || !SITE_ID.test(input)) {
    throw new InputError(
      'invalid_site',
      'site id must be 1-64 characters of a-z 0-9 _ - starting with a letter or digit',
      'site',
    )
  }
  return input
}

/** Validates a `PUT /v1/sites/SITE` body; throws InputError. */
export function parseSite(id: string, body: unknown): Site {
  const result = siteBody.safeParse(body)
  if (!result.success) throw InputError.fromZod('invalid_site', result.error)
  const { webhook, hours, ...rest } = result.data
  const site: Site = { id: parseSiteId(id), ...rest, departments: [...new Set(rest.departments)] }
  if (webhook) site.webhook = webhook
  if (hours) site.hours = checkHours(hours as BusinessHours)
  return site
}

const revocations = z.array(z.object({ sub: z.string().max(128), at: z.number() })).max(10_000)

/** Reads a site record from the store: the PUT body plus the server-kept revocations. */
export function parseStoredSite(id: string, value: unknown): Site {
  const site = parseSite(id, value)
  const revoked = revocations.safeParse((value as { revocations?: unknown }).revocations ?? [])
  if (revoked.success && revoked.data.length > 0) site.revocations = revoked.data
  return site
}

/** The site as GET returns it: never a secret (the webhook's shows as `hasSecret`), nor server-kept revocations. */
export function publicSite(site: Site) {
  const { secret: _secret, revocations: _revocations, webhook, ...rest } = site
  return webhook ? { ...rest, webhook: { url: webhook.url, hasSecret: true } } : rest
}

export function originAllowed(site: Site, origin: string): boolean {
  if (site.origins.includes('*')) return true
  return origin !== '' && site.origins.includes(origin)
}
