import { batch, computed, effect, signal } from '@preact/signals'
import {
  CampaignApi,
  CampaignApiError,
  type PreviewResult,
  type Revision,
  type SeriesPoint,
  type StatsTotals,
  type StoredCampaign,
} from '../campaign/campaign_api.js'
import { describeError as describe, saving } from './api_request.js'
import { getAt, type JsonObject, newCampaign, type Path, setAt, slug } from '../campaign/campaign_definition.js'

/** Quiet time after the last edit before the draft is previewed against live traffic. */
const PREVIEW_DEBOUNCE_MS = 400
/** Live traffic moves on: the preview refreshes this often while the studio is open. */
const PREVIEW_REFRESH_MS = 5_000

export type StatsRange = '24h' | '7d'

/** A validation error of the node, at the definition path it names. */
export interface FieldError {
  path: string
  message: string
}

/**
 * The one state of the campaign studio: the site's campaigns, the draft being edited (kept
 * as the JSON the routes take, so the form and the JSON tab are two views of one value),
 * the node's validation error, the live preview, revisions and stats. Components read its
 * signals and call its methods; only this store calls the campaign routes.
 */
export class StudioStore {
  readonly campaigns = signal<readonly StoredCampaign[]>([])
  readonly listNote = signal('Loading campaigns…')
  /** The saved campaign being edited; undefined for a new one. */
  readonly saved = signal<JsonObject | undefined>(undefined)
  readonly draft = signal<JsonObject | undefined>(undefined)
  readonly tab = signal<'form' | 'json'>('form')
  readonly error = signal<FieldError | undefined>(undefined)
  readonly notice = signal('')
  readonly busy = signal(false)
  readonly preview = signal<PreviewResult | undefined>(undefined)
  readonly previewNote = signal('')
  readonly revisions = signal<readonly Revision[]>([])
  readonly revisionsNote = signal('')
  readonly totals = signal<StatsTotals | undefined>(undefined)
  readonly series = signal<readonly SeriesPoint[]>([])
  readonly statsNote = signal('')
  readonly range = signal<StatsRange>('24h')
  /** The live visitor the message preview renders for; undefined = sample values. */
  readonly sampleVisitor = signal<string | undefined>(undefined)

  readonly dirty = computed(() => JSON.stringify(this.draft.value) !== JSON.stringify(this.saved.value))
  readonly isNew = computed(() => this.draft.value !== undefined && this.saved.value === undefined)

  private api: CampaignApi | undefined
  private previewTimer: number | undefined
  private previewAbort: AbortController | undefined
  private refreshTimer: number | undefined
  private active = false

  constructor() {
    // Every change of the draft previews it again, once the typing pauses.
    effect(() => {
      const draft = this.draft.value
      if (draft) this.schedulePreview(PREVIEW_DEBOUNCE_MS)
    })
  }

  /** The studio is shown for this site and token (again): loads the list. */
  open(site: string, token: string): void {
    this.api = new CampaignApi(site, token)
    this.active = true
    void this.load()
    if (this.draft.value) this.schedulePreview(0)
  }

  close(): void {
    this.active = false
    clearTimeout(this.previewTimer)
    clearTimeout(this.refreshTimer)
    this.previewAbort?.abort()
  }

  async load(): Promise<void> {
    if (!this.api) return
    try {
      const list = await this.api.list()
      this.campaigns.value = list
      this.listNote.value = list.length === 0 ? 'No campaigns yet: create the first one.' : ''
    } catch (error) {
      this.listNote.value = `Campaigns unavailable: ${describe(error)}`
    }
  }

  select(id: string): void {
    const found = this.campaigns.value.find((c) => c.definition.id === id)
    if (!found) return
    this.edit(found.definition, found.definition)
  }

  create(): void {
    this.edit(newCampaign() as unknown as JsonObject, undefined)
  }

  duplicate(): void {
    const draft = this.draft.value
    if (!draft) return
    const id = String(draft.id ?? '')
    const copy = { ...draft, id: `${id}-copy`.slice(0, 64), name: `${String(draft.name ?? id)} (copy)`, enabled: false }
    this.edit(copy, undefined)
  }

  /** Sets one value of the draft (undefined removes it). */
  set(path: Path, value: unknown): void {
    const draft = this.draft.value
    if (!draft) return
    let next = setAt(draft, path, value)
    // A new campaign's id follows its name until it is edited itself.
    if (this.isNew.value && path.length === 1 && path[0] === 'name') {
      const before = String(draft.id ?? '')
      if (before === '' || before === slug(String(draft.name ?? '')))
        next = setAt(next, ['id'], slug(String(value ?? '')))
    }
    this.draft.value = next
  }

  get(path: Path): unknown {
    return getAt(this.draft.value, path)
  }

  /** The JSON tab's text became a valid object: it is the draft now, exactly. */
  replaceDraft(json: JsonObject): void {
    this.draft.value = json
  }

  async save(): Promise<void> {
    const draft = this.draft.value
    if (!draft || !this.api) return
    await this.run(async (api) => {
      const stored = await api.put(draft)
      batch(() => {
        this.saved.value = stored
        this.draft.value = stored
        this.notice.value = `Saved ${new Date().toLocaleTimeString()}.`
      })
      await Promise.all([this.load(), this.loadDetails(String(stored.id ?? draft.id))])
    })
  }

  async remove(): Promise<void> {
    const saved = this.saved.value
    if (!saved) return
    await this.run(async (api) => {
      await api.remove(String(saved.id))
      batch(() => {
        this.saved.value = undefined
        this.draft.value = undefined
        this.notice.value = `Deleted ${String(saved.name ?? saved.id)}.`
      })
      await this.load()
    })
  }

  /** Turns a campaign on or off from the list, saving at once. */
  async setEnabled(id: string, enabled: boolean): Promise<void> {
    const found = this.campaigns.value.find((c) => c.definition.id === id)
    if (!found) return
    await this.run(async (api) => {
      const stored = await api.put({ ...found.definition, enabled })
      if (this.saved.value?.id === id) {
        const keepDraft = this.dirty.value
        batch(() => {
          this.saved.value = stored
          if (keepDraft && this.draft.value) this.draft.value = { ...this.draft.value, enabled }
          else this.draft.value = stored
        })
      }
      await this.load()
    })
  }

  /** Puts an old definition back (the node records that as a new revision). */
  async restore(revision: Revision): Promise<void> {
    if (!revision.campaign) return
    const old = revision.campaign
    await this.run(async (api) => {
      const stored = await api.put(old)
      batch(() => {
        this.saved.value = stored
        this.draft.value = stored
        this.notice.value = `Restored the version of ${new Date(revision.at).toLocaleString()}.`
      })
      await Promise.all([this.load(), this.loadDetails(String(stored.id))])
    })
  }

  setRange(range: StatsRange): void {
    this.range.value = range
    const id = this.saved.value?.id
    if (typeof id === 'string') void this.loadSeries(id)
  }

  private edit(draft: JsonObject, saved: JsonObject | undefined): void {
    batch(() => {
      this.draft.value = draft
      this.saved.value = saved
      this.error.value = undefined
      this.notice.value = ''
      this.revisions.value = []
      this.totals.value = undefined
      this.series.value = []
      this.preview.value = undefined
    })
    if (saved) void this.loadDetails(String(saved.id))
  }

  private async loadDetails(id: string): Promise<void> {
    const api = this.api
    if (!api) return
    const revisions = api.revisions(id).then(
      (list) => {
        this.revisions.value = list
        this.revisionsNote.value = list.length === 0 ? 'No revisions recorded yet.' : ''
      },
      (error: unknown) => (this.revisionsNote.value = `Revisions unavailable: ${describe(error)}`),
    )
    const totals = api.totals(id).then(
      (t) => (this.totals.value = t),
      (error: unknown) => (this.statsNote.value = `Stats unavailable: ${describe(error)}`),
    )
    await Promise.all([revisions, totals, this.loadSeries(id)])
  }

  private async loadSeries(id: string): Promise<void> {
    const api = this.api
    if (!api) return
    const to = new Date()
    const day = 86_400_000
    const wide = this.range.value === '7d'
    const from = new Date(to.getTime() - (wide ? 7 * day : day))
    try {
      const { series } = await api.series(id, from, to, wide ? 'day' : 'hour')
      this.series.value = series
      this.statsNote.value = ''
    } catch (error) {
      this.series.value = []
      this.statsNote.value = `Chart unavailable: ${describe(error)}`
    }
  }

  private schedulePreview(delay: number): void {
    clearTimeout(this.previewTimer)
    if (!this.active) return
    this.previewTimer = window.setTimeout(() => void this.runPreview(), delay)
  }

  private async runPreview(): Promise<void> {
    const draft = this.draft.value
    const api = this.api
    if (!draft || !api || !this.active) return
    this.previewAbort?.abort()
    const saved = this.saved.value?.id
    // Counters move with the traffic too: refreshed with the preview.
    void this.load()
    if (typeof saved === 'string')
      void api.totals(saved).then(
        (t) => this.saved.value?.id === saved && (this.totals.value = t),
        () => undefined,
      )
    const abort = new AbortController()
    this.previewAbort = abort
    clearTimeout(this.refreshTimer)
    try {
      const result = await api.preview(draft, abort.signal)
      if (abort.signal.aborted) return
      batch(() => {
        this.preview.value = result
        this.previewNote.value = result.complete ? '' : 'Some nodes did not answer in time: the count may be low.'
        if (this.error.value) this.error.value = undefined
      })
    } catch (error) {
      if (abort.signal.aborted) return
      if (error instanceof CampaignApiError && error.status === 400) {
        batch(() => {
          this.error.value = { path: error.path, message: error.message }
          this.preview.value = undefined
          this.previewNote.value = 'Fix the highlighted field to preview this campaign.'
        })
      } else {
        this.previewNote.value = `Preview unavailable: ${describe(error)}`
      }
    } finally {
      if (this.previewAbort === abort)
        this.refreshTimer = window.setTimeout(() => this.schedulePreview(0), PREVIEW_REFRESH_MS)
    }
  }

  private run(task: (api: CampaignApi) => Promise<void>): Promise<void> {
    const api = this.api
    return api ? saving(this, () => task(api)) : Promise.resolve()
  }
}
