import { batch, computed, signal } from '@preact/signals'
import type { ViewFilter, ViewSort, VisitorSummary, VisitorsFrame, WindowFrame } from '../../../shared/src/protocol.js'

export interface ListSort {
  by: ViewSort
  dir: 'asc' | 'desc'
}
/** What the console sends as `watch.view`; the window size is the node's default. */
export interface ListView {
  filter: ViewFilter
  sort: ListSort
  offset: number
  pin?: string
}

/** Rows kept beyond each edge of the viewport before the window must move. */
const MARGIN_ROWS = 40
/** Window offsets snap to this, so small scrolls reuse the window. */
const OFFSET_STEP = 20
/** Names of visitors seen in earlier windows, for chats with visitors now out of the window. */
const NAMES_KEPT = 5_000
/** Scrolling and typing settle this long before the window moves (one `watch` per move). */
const SETTLE_MS = 150

export interface WindowSender {
  /** Sends `watch` with this view; false when offline (the next connect sends the view anyway). */
  watch(view: ListView): boolean
  /** The selected visitor, followed outside the window as `view.pin`. */
  pin(): string | undefined
}

/**
 * The window of the live visitor list the node sends: `total` matches of the filters, and
 * the rows `[offset, offset + ids.length)` of them in sort order. The rows on screen stay
 * those of the last window until the node answers a move, so nothing jumps while it loads.
 * Frames apply in the order the node sends them (gones, visitors, then `window`).
 */
export class VisitorWindow {
  readonly filter = signal<ViewFilter>({})
  readonly sort = signal<ListSort>({ by: 'last_activity', dir: 'desc' })
  readonly total = signal(0)
  readonly offset = signal(0)
  readonly ids = signal<readonly string[]>([])
  /** Summaries of the window's rows (and of the pinned visitor, until the next window frame). */
  readonly rows = signal<ReadonlyMap<string, VisitorSummary>>(new Map())
  /** Views sent and not yet answered, oldest first: each `watch` gets one snapshot. */
  private readonly sent = signal<ListView[]>([])
  readonly loading = computed(() => this.sent.value.length > 0)
  readonly list = computed(() =>
    this.ids.value.map((id) => this.rows.value.get(id)).filter((v): v is VisitorSummary => v !== undefined),
  )
  /** The node's window size, learnt from its snapshots. */
  limit = 200
  /** The view the rows on screen answer. */
  private active: ListView | undefined
  private wantedOffset = 0
  private timer: number | undefined
  private readonly names = new Map<string, string>()

  constructor(private readonly sender: WindowSender) {}

  /** The view to watch on (re)connect; earlier unanswered views are void with the old socket. */
  resubscribe(): ListView {
    clearTimeout(this.timer)
    const view = this.view(this.wantedOffset)
    this.sent.value = [view]
    return view
  }

  /** The rows on screen; moves the window once the viewport nears its edge. */
  viewport(first: number, count: number): void {
    const total = this.total.value
    const lo = Math.max(0, first - MARGIN_ROWS)
    const hi = Math.min(total, first + count + MARGIN_ROWS)
    const at = this.wantedOffset
    if (at <= lo && hi <= at + this.limit) return
    const centred = Math.round((first + count / 2 - this.limit / 2) / OFFSET_STEP) * OFFSET_STEP
    const offset = Math.max(0, Math.min(centred, total - this.limit))
    if (offset !== at) this.move(offset, SETTLE_MS)
  }

  setFilter(filter: ViewFilter): void {
    this.filter.value = filter
    this.move(0, SETTLE_MS)
  }

  setSort(sort: ListSort): void {
    this.sort.value = sort
    this.move(0, 0)
  }

  /** The selection changed: the same window, following the new visitor. */
  repin(): void {
    const last = this.sent.value.at(-1) ?? this.active
    if (last?.pin !== this.sender.pin()) this.move(this.wantedOffset, 0)
  }

  /** A visitor's name from any window seen (oldest forgotten first). */
  nameOf(id: string): string | undefined {
    return this.rows.value.get(id)?.name ?? this.names.get(id)
  }

  /** Whether `gone` for this visitor means it left the site (it is the answered view's pin). */
  pinned(id: string): boolean {
    return this.active?.pin === id
  }

  snapshot(frame: VisitorsFrame): void {
    const [answered, ...rest] = this.sent.value
    batch(() => {
      this.sent.value = rest
      if (answered) this.active = answered
      if (frame.limit) this.limit = frame.limit
      this.total.value = frame.total ?? frame.list.length
      this.offset.value = frame.offset ?? 0
      this.ids.value = frame.list.map((v) => v.id)
      this.rows.value = new Map(frame.list.map((v) => [v.id, v]))
    })
    for (const v of frame.list) this.remember(v)
  }

  upsert(v: VisitorSummary): void {
    this.remember(v)
    this.rows.value = new Map(this.rows.value).set(v.id, v)
  }

  gone(id: string): void {
    if (!this.rows.value.has(id)) return
    const next = new Map(this.rows.value)
    next.delete(id)
    this.rows.value = next
  }

  moved(frame: WindowFrame): void {
    batch(() => {
      this.total.value = frame.total
      this.offset.value = frame.offset
      this.ids.value = frame.ids
      const rows = this.rows.value
      this.rows.value = new Map(frame.ids.flatMap((id) => rows.get(id) ?? []).map((v) => [v.id, v]))
    })
  }

  /** Refused views (`error` ref `watch`) get no snapshot. */
  refused(): void {
    this.sent.value = this.sent.value.slice(1)
  }

  private remember(v: VisitorSummary): void {
    if (!v.name) return
    this.names.delete(v.id)
    this.names.set(v.id, v.name)
    if (this.names.size > NAMES_KEPT) this.names.delete(this.names.keys().next().value as string)
  }

  private view(offset: number): ListView {
    const pin = this.sender.pin()
    return { filter: this.filter.value, sort: this.sort.value, offset, ...(pin ? { pin } : {}) }
  }

  private move(offset: number, delay: number): void {
    this.wantedOffset = offset
    clearTimeout(this.timer)
    const send = () => {
      const view = this.view(this.wantedOffset)
      if (this.sender.watch(view)) this.sent.value = [...this.sent.value, view]
    }
    if (delay > 0) this.timer = window.setTimeout(send, delay)
    else send()
  }
}
