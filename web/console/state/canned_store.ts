import { batch, computed, signal } from '@preact/signals'
import type { CannedResponse } from '../../../server/src/site/canned_responses.js'
import { apiRequest, describeError, isObject, saving, str } from './api_request.js'
import type { FieldError } from './studio_store.js'

export type { CannedResponse }

/** The form of the canned responses view; `original` is the id being edited (undefined: a new one). */
export interface CannedDraft {
  original?: string
  id: string
  title: string
  text: string
}

export function parseCannedList(body: unknown): CannedResponse[] {
  const list = isObject(body) && Array.isArray(body.canned) ? body.canned : []
  return list.filter(isObject).flatMap((c) => {
    const id = str(c.id)
    const text = str(c.text)
    if (!id || text === undefined) return []
    return [
      { id, text, title: str(c.title) ?? id, updatedAt: str(c.updatedAt) ?? '', updatedBy: str(c.updatedBy) ?? '' },
    ]
  })
}

/** A title as a shortcut: lower case, words joined by `-` (the node's id rule). */
export function shortcutOf(title: string): string {
  return title
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64)
}

/** Replies matching what was typed after `/`: shortcut prefix first, then title or text containing it. */
export function searchCanned(list: readonly CannedResponse[], query: string): CannedResponse[] {
  const q = query.toLowerCase()
  if (q === '') return [...list]
  const starts = list.filter((c) => c.id.startsWith(q))
  const contains = list.filter(
    (c) =>
      !starts.includes(c) &&
      (c.id.includes(q) || c.title.toLowerCase().includes(q) || c.text.toLowerCase().includes(q)),
  )
  return [...starts, ...contains]
}

/**
 * The site's canned responses for the whole console: the list (read by every operator, for
 * the composer's `/` picker) and the editor of the canned responses view (`manage_canned`).
 */
export class CannedStore {
  readonly list = signal<readonly CannedResponse[]>([])
  readonly note = signal('')
  readonly draft = signal<CannedDraft | undefined>(undefined)
  readonly error = signal<FieldError | undefined>(undefined)
  readonly busy = signal(false)
  readonly byId = computed(() => new Map(this.list.value.map((c) => [c.id, c])))
  private source: { site: string; token: string } | undefined

  start(site: string, token: string): void {
    this.source = { site, token }
    void this.load()
  }

  stop(): void {
    this.source = undefined
  }

  async load(): Promise<void> {
    const source = this.source
    if (!source) return
    try {
      const list = parseCannedList(await apiRequest(source.token, 'GET', this.path(source.site)))
      batch(() => {
        this.list.value = list
        this.note.value = list.length === 0 ? 'No canned responses yet.' : ''
      })
    } catch (error) {
      this.note.value = `Canned responses unavailable: ${describeError(error)}`
    }
  }

  create(): void {
    this.error.value = undefined
    this.draft.value = { id: '', title: '', text: '' }
  }

  edit(id: string): void {
    const found = this.byId.value.get(id)
    if (!found) return
    this.error.value = undefined
    this.draft.value = { original: id, id, title: found.title, text: found.text }
  }

  /** Changes the form; a new reply's shortcut follows its title until edited itself. */
  change(patch: Partial<CannedDraft>): void {
    const draft = this.draft.value
    if (!draft) return
    const next = { ...draft, ...patch }
    if (draft.original === undefined && patch.title !== undefined && draft.id === shortcutOf(draft.title))
      next.id = shortcutOf(patch.title)
    this.draft.value = next
  }

  cancel(): void {
    this.draft.value = undefined
    this.error.value = undefined
  }

  async save(): Promise<void> {
    const draft = this.draft.value
    const source = this.source
    if (!draft || !source) return
    if (draft.id === '') {
      this.error.value = { path: 'id', message: 'a shortcut is required' }
      return
    }
    if (draft.original !== draft.id && this.byId.value.has(draft.id)) {
      this.error.value = { path: 'id', message: `/${draft.id} is already used by another reply` }
      return
    }
    await this.run(async () => {
      const path = `${this.path(source.site)}/${encodeURIComponent(draft.id)}`
      await apiRequest(source.token, 'PUT', path, { title: draft.title, text: draft.text })
      // A renamed shortcut is a new key: the old one goes once the new one is stored.
      if (draft.original !== undefined && draft.original !== draft.id)
        await apiRequest(source.token, 'DELETE', `${this.path(source.site)}/${encodeURIComponent(draft.original)}`)
      this.draft.value = undefined
    })
  }

  async remove(id: string): Promise<void> {
    const source = this.source
    if (!source) return
    await this.run(async () => {
      await apiRequest(source.token, 'DELETE', `${this.path(source.site)}/${encodeURIComponent(id)}`)
      if (this.draft.value?.original === id) this.draft.value = undefined
    })
  }

  private run(task: () => Promise<void>): Promise<void> {
    return saving({ busy: this.busy, error: this.error, notice: this.note }, async () => {
      await task()
      await this.load()
    })
  }

  private path(site: string): string {
    return `/v1/sites/${encodeURIComponent(site)}/canned`
  }
}
