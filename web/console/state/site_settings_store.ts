import { batch, computed, signal } from '@preact/signals'
import type { TimeRange, Weekday } from '../campaign/campaign_definition.js'
import { ApiError, apiRequest, describeError, isObject, saving, str } from './api_request.js'
import type { FieldError } from './studio_store.js'

export interface BusinessHours {
  tz: string
  week: Partial<Record<Weekday, TimeRange[]>>
}

/** `GET /v1/sites/SITE/settings` as the console uses it. */
export interface SiteSettings {
  origins: string[]
  departments: string[]
  hours: BusinessHours | null
  webhook: { url: string; hasSecret: boolean } | null
}

/** The form: the settings as edited; `webhookSecret` '' keeps the stored secret. */
export interface SettingsDraft {
  origins: string[]
  departments: string[]
  hours: BusinessHours | null
  webhookUrl: string
  webhookSecret: string
}

/** What the embed-code generator puts in the snippet (the site is the console's own). */
export interface EmbedChoice {
  node: string
  widget: string
  department: string
  /** `#rrggbb`, '' for the widget's default colour. */
  accent: string
}

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [])

export function parseSettings(body: unknown): SiteSettings {
  if (!isObject(body)) throw new ApiError(200, 'bad_answer', 'settings answer unreadable', '')
  const hours =
    isObject(body.hours) && typeof body.hours.tz === 'string' && isObject(body.hours.week)
      ? { tz: body.hours.tz, week: body.hours.week as BusinessHours['week'] }
      : null
  const webhook = isObject(body.webhook)
    ? { url: str(body.webhook.url) ?? '', hasSecret: body.webhook.hasSecret === true }
    : null
  return { origins: strings(body.origins), departments: strings(body.departments), hours, webhook }
}

const draftOf = (s: SiteSettings): SettingsDraft => ({
  origins: s.origins,
  departments: s.departments,
  hours: s.hours,
  webhookUrl: s.webhook?.url ?? '',
  webhookSecret: '',
})

/**
 * The PATCH body for a draft: every setting, the webhook only when it changed; an emptied
 * URL removes the webhook, a typed secret replaces the stored one.
 */
export function settingsPatch(draft: SettingsDraft, saved: SiteSettings): Record<string, unknown> {
  const patch: Record<string, unknown> = { origins: draft.origins, departments: draft.departments, hours: draft.hours }
  const url = draft.webhookUrl.trim()
  if (url === '') {
    if (saved.webhook) patch.webhook = null
  } else if (url !== saved.webhook?.url || draft.webhookSecret !== '') {
    patch.webhook = draft.webhookSecret === '' ? { url } : { url, secret: draft.webhookSecret }
  }
  return patch
}

/**
 * The one state of the site settings view: the stored settings, the form, the node's
 * validation error (at the field it names), the saved state and the embed-code choices.
 */
export class SiteSettingsStore {
  readonly saved = signal<SiteSettings | undefined>(undefined)
  readonly draft = signal<SettingsDraft | undefined>(undefined)
  readonly error = signal<FieldError | undefined>(undefined)
  readonly notice = signal('')
  readonly busy = signal(false)
  /** When the last save went through (the "Saved" state until the next edit). */
  readonly savedAt = signal<number | undefined>(undefined)
  readonly embed = signal<EmbedChoice>({ node: location.origin, widget: '', department: '', accent: '' })

  readonly dirty = computed(() => {
    const saved = this.saved.value
    const draft = this.draft.value
    return saved !== undefined && draft !== undefined && JSON.stringify(draft) !== JSON.stringify(draftOf(saved))
  })

  private source: { site: string; token: string } | undefined

  /** The view is shown for this site and token: (re)loads the stored settings. */
  async open(site: string, token: string): Promise<void> {
    this.source = { site, token }
    this.notice.value = 'Loading settings…'
    try {
      const settings = parseSettings(await apiRequest(token, 'GET', this.path(site)))
      batch(() => {
        this.saved.value = settings
        if (!this.dirty.value || !this.draft.value) this.draft.value = draftOf(settings)
        this.notice.value = ''
      })
    } catch (error) {
      this.notice.value =
        error instanceof ApiError && error.status === 403
          ? 'This token may not read the site settings (needs manage_site).'
          : `Settings unavailable: ${describeError(error)}`
    }
  }

  edit(change: Partial<SettingsDraft>): void {
    const draft = this.draft.value
    if (!draft) return
    batch(() => {
      this.draft.value = { ...draft, ...change }
      this.savedAt.value = undefined
    })
  }

  choose(change: Partial<EmbedChoice>): void {
    this.embed.value = { ...this.embed.value, ...change }
  }

  save(): Promise<void> {
    const { source } = this
    const draft = this.draft.value
    const saved = this.saved.value
    if (!source || !draft || !saved) return Promise.resolve()
    return saving(this, async () => {
      const body = await apiRequest(source.token, 'PATCH', this.path(source.site), settingsPatch(draft, saved))
      const next = parseSettings(body)
      batch(() => {
        this.saved.value = next
        this.draft.value = draftOf(next)
        this.savedAt.value = Date.now()
      })
    })
  }

  /** Back to the stored settings. */
  revert(): void {
    const saved = this.saved.value
    if (!saved) return
    batch(() => {
      this.draft.value = draftOf(saved)
      this.error.value = undefined
    })
  }

  private path(site: string): string {
    return `/v1/sites/${encodeURIComponent(site)}/settings`
  }
}
