import { z } from 'zod'
import { InputError } from '../input_error.js'
import type { BusinessHours } from '../rules/campaign.js'
import { checkHours, hoursSchema, parseSite, webhookSchema, type Site } from './site.js'

/** A `PATCH /v1/sites/SITE/settings` body: each key present replaces that setting; `null` clears hours or webhook. */
export interface SettingsPatch {
  origins?: string[]
  departments?: string[]
  hours?: BusinessHours | null
  /** `secret` absent: keep the stored one. */
  webhook?: { url: string; secret?: string } | null
}

const patchSchema = z.strictObject({
  origins: z.array(z.unknown()).optional(),
  departments: z.array(z.unknown()).optional(),
  hours: hoursSchema.nullable().optional(),
  webhook: z
    .strictObject({ url: webhookSchema.shape.url, secret: webhookSchema.shape.secret.optional() })
    .nullable()
    .optional(),
})

/** Validates a settings patch; throws InputError with the path of the bad value. */
export function parseSettingsPatch(body: unknown): SettingsPatch {
  const result = patchSchema.safeParse(body)
  if (!result.success) throw InputError.fromZod('invalid_settings', result.error)
  const patch = result.data as SettingsPatch
  if (patch.hours) checkHours(patch.hours)
  return patch
}

/** The site with `patch` applied; origins and departments are checked as a site PUT checks them. */
export function applySettings(site: Site, patch: SettingsPatch): Site {
  const { id, revocations, webhook, hours, ...base } = site
  const checked = parseSite(id, {
    ...base,
    ...(patch.origins !== undefined ? { origins: patch.origins } : {}),
    ...(patch.departments !== undefined ? { departments: patch.departments } : {}),
  })
  const next: Site = revocations ? { ...checked, revocations } : checked
  const nextHours = patch.hours === undefined ? hours : (patch.hours ?? undefined)
  if (nextHours) next.hours = nextHours
  if (patch.webhook === undefined) {
    if (webhook) next.webhook = webhook
  } else if (patch.webhook !== null) {
    const secret = patch.webhook.secret ?? webhook?.secret
    if (secret === undefined)
      throw new InputError('invalid_settings', 'a new webhook needs a secret (16+ characters)', 'webhook.secret')
    next.webhook = { url: patch.webhook.url, secret }
  }
  return next
}

/** What GET answers: the settings, the webhook secret never (only whether one is set). */
export function settingsView(site: Site) {
  return {
    site: site.id,
    origins: site.origins,
    departments: site.departments,
    hours: site.hours ?? null,
    webhook: site.webhook ? { url: site.webhook.url, hasSecret: true } : null,
  }
}
