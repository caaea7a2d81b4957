import { batch, signal } from '@preact/signals'
import {
  HistoryApiError,
  historyGet,
  historyQuery,
  parseHistoryPage,
  parseTranscript,
  type HistoryFilters,
  type HistoryItem,
  type Transcript,
} from '../history/history_api.js'

const NO_FILTERS: HistoryFilters = { q: '', visitor: '', operator: '', from: '', to: '' }

/**
 * The History view's state: the search form, the result pages (newest closed first, more on
 * demand through `next`), the open transcript and downloads. Searches are answered by the
 * node's index; a refused one shows the node's reason next to the form.
 */
export class HistoryStore {
  readonly filters = signal<HistoryFilters>(NO_FILTERS)
  readonly results = signal<readonly HistoryItem[]>([])
  readonly next = signal<string | undefined>(undefined)
  readonly loading = signal(false)
  /** Why the last search or transcript failed, and the parameter at fault. */
  readonly error = signal<{ message: string; param: string } | undefined>(undefined)
  readonly searched = signal(false)
  readonly transcript = signal<Transcript | undefined>(undefined)
  /** The selected visitor's closed chats (visitor detail), newest first. */
  readonly visitorChats = signal<{ visitor: string; chats: readonly HistoryItem[] } | undefined>(undefined)
  /** Counts searches, so an answer to an older one is dropped. */
  private generation = 0

  constructor(private readonly auth: () => { site: string; token: string } | undefined) {}

  setFilter(key: keyof HistoryFilters, value: string): void {
    this.filters.value = { ...this.filters.value, [key]: value }
  }

  /** A new search (`more`: the next page of the current one). */
  async search(more = false): Promise<void> {
    const auth = this.auth()
    if (!auth) return
    const generation = more ? this.generation : ++this.generation
    this.loading.value = true
    try {
      const path = `/v1/sites/${encodeURIComponent(auth.site)}/conversations${historyQuery(
        this.filters.value,
        more ? this.next.value : undefined,
      )}`
      const page = parseHistoryPage(await (await historyGet(auth.token, path)).json())
      if (generation !== this.generation) return
      batch(() => {
        this.results.value = more ? [...this.results.value, ...page.conversations] : page.conversations
        this.next.value = page.next
        this.error.value = undefined
        this.searched.value = true
      })
    } catch (error) {
      if (generation === this.generation) this.failed(error)
    } finally {
      if (generation === this.generation) this.loading.value = false
    }
  }

  /** Loads a visitor's past chats (its id is one of the visitor words History matches). */
  async loadVisitorChats(visitor: string): Promise<void> {
    const auth = this.auth()
    if (!auth || this.visitorChats.value?.visitor === visitor) return
    this.visitorChats.value = { visitor, chats: [] }
    try {
      const query = historyQuery({ q: '', visitor, operator: '', from: '', to: '' })
      const res = await historyGet(auth.token, `/v1/sites/${encodeURIComponent(auth.site)}/conversations${query}`)
      const chats = parseHistoryPage(await res.json()).conversations.filter((c) => c.visitor === visitor)
      if (this.visitorChats.value?.visitor === visitor) this.visitorChats.value = { visitor, chats }
    } catch {
      // The detail shows no past chats; the History view reports errors.
    }
  }

  async open(id: string): Promise<void> {
    const auth = this.auth()
    if (!auth) return
    try {
      const res = await historyGet(auth.token, this.transcriptPath(auth.site, id))
      this.transcript.value = parseTranscript(await res.json())
    } catch (error) {
      this.failed(error)
    }
  }

  /** Saves the open transcript as a file the node formats (`text` or `json`). */
  async download(format: 'text' | 'json'): Promise<void> {
    const auth = this.auth()
    const id = this.transcript.value?.conversation.id
    if (!auth || id === undefined) return
    try {
      const res = await historyGet(auth.token, `${this.transcriptPath(auth.site, id)}?format=${format}`)
      const url = URL.createObjectURL(await res.blob())
      const link = document.createElement('a')
      link.href = url
      link.download = `conversation-${id}.${format === 'text' ? 'txt' : 'json'}`
      link.click()
      setTimeout(() => URL.revokeObjectURL(url), 10_000)
    } catch (error) {
      this.failed(error)
    }
  }

  private transcriptPath(site: string, id: string): string {
    return `/v1/sites/${encodeURIComponent(site)}/conversations/${encodeURIComponent(id)}`
  }

  private failed(error: unknown): void {
    this.error.value =
      error instanceof HistoryApiError
        ? { message: error.message, param: error.param }
        : { message: error instanceof Error ? error.message : 'request failed', param: '' }
  }
}
