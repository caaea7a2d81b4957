import type { VisitorSummary } from '../../../shared/src/protocol.js'
import type { OperatorSession } from './operator_session.js'
import type { DirectoryListener, VisitorDirectory } from './visitor_directory.js'
import { evaluateView, parseVisitorView, type ViewLimits, type VisitorView } from './visitor_view.js'

/** What one watching operator socket was last sent. */
interface Watcher {
  site: string
  /** False until the first snapshot went out (the directory may still be gathering). */
  ready: boolean
  /** Without a view: the whole visible list, changes as they come. */
  view: VisitorView | undefined
  /** Visitors the operator's list (or window) shows now; with a view, in window order. */
  ids: string[]
  listed: Set<string>
  total: number
  /** The view's pinned visitor was live and visible when last told. */
  pinLive: boolean
}

/**
 * The live visitor lists this node's operators watch. `watch` without a view sends every
 * visible visitor of the site and then each change; with a view it sends the total and one
 * window of the sorted matches, then only what changes that window: `visitor` for a window
 * member that is new or changed, `gone` for one that left it, and `window` with the new order
 * and total when either changed. Re-sending `watch` replaces the view with one snapshot.
 * Guarantee: a snapshot lists every visitor the directory knows cluster-wide (it waits for
 * the first gather), and no frame names a visitor the operator may not see.
 */
export class VisitorWatch implements DirectoryListener {
  private readonly watchers = new Map<string, Map<OperatorSession, Watcher>>()
  /** Sites whose windowed watchers are due for re-evaluation, with the ids changed since. */
  private readonly due = new Map<string, Set<string>>()

  constructor(
    private readonly directory: VisitorDirectory,
    private readonly limits: ViewLimits,
  ) {
    directory.listen(this)
  }

  /** Starts or re-aims a watch; throws FrameError on a bad view. */
  async watch(session: OperatorSession, rawView: unknown): Promise<void> {
    const view = rawView === undefined ? undefined : parseVisitorView(rawView, this.limits)
    const site = session.operator.site
    let bySession = this.watchers.get(site)
    if (!bySession) this.watchers.set(site, (bySession = new Map()))
    let watcher = bySession.get(session)
    if (watcher) await this.directory.ready(site)
    else {
      watcher = { site, ready: false, view, ids: [], listed: new Set(), total: 0, pinLive: false }
      bySession.set(session, watcher)
      await this.directory.watch(site)
    }
    // Closed while the directory gathered: closed() already let go of the site.
    if (this.watchers.get(site)?.get(session) !== watcher) return
    watcher.view = view
    watcher.ready = true
    if (!view) {
      const list = [...this.directory.list(site)].filter((v) => session.canSee(v))
      watcher.listed = new Set(list.map((v) => v.id))
      session.send({ t: 'visitors', site, list, total: list.length })
      return
    }
    const { total, window } = evaluateView(view, this.directory.list(site), (v) => session.canSee(v))
    watcher.ids = window.map((v) => v.id)
    watcher.listed = new Set(watcher.ids)
    watcher.total = total
    session.send({ t: 'visitors', site, list: window, total, offset: view.offset, limit: view.limit })
    watcher.pinLive = view.pin !== undefined && (watcher.listed.has(view.pin) || this.sendPin(session, view.pin))
  }

  /** Tells where the pinned visitor outside the window stands: its summary, or `gone`. */
  private sendPin(session: OperatorSession, pin: string): boolean {
    const v = this.pinned(session, pin)
    session.send(v ? { t: 'visitor', ...v } : { t: 'gone', visitor: pin })
    return v !== undefined
  }

  private pinned(session: OperatorSession, pin: string): VisitorSummary | undefined {
    const v = this.directory.get(session.operator.site, pin)
    return v && session.canSee(v) ? v : undefined
  }

  /** The socket closed: its watch ends (the last one of a site drops the directory's copies). */
  closed(session: OperatorSession): void {
    if (!session.ready) return
    const site = session.operator.site
    const bySession = this.watchers.get(site)
    if (!bySession?.delete(session)) return
    if (bySession.size === 0) this.watchers.delete(site)
    this.directory.unwatch(site)
  }

  upserted(site: string, summaries: VisitorSummary[]): void {
    for (const [session, watcher] of this.watchers.get(site) ?? []) {
      if (!watcher.ready) continue
      if (watcher.view) {
        this.markDue(
          site,
          summaries.map((s) => s.id),
        )
        continue
      }
      for (const summary of summaries) {
        if (session.canSee(summary)) {
          watcher.listed.add(summary.id)
          session.send({ t: 'visitor', ...summary })
        } else if (watcher.listed.delete(summary.id)) {
          // Moved out of the operator's departments: it must vanish from the list.
          session.send({ t: 'gone', visitor: summary.id })
        }
      }
    }
  }

  removed(site: string, ids: string[]): void {
    for (const [session, watcher] of this.watchers.get(site) ?? []) {
      if (!watcher.ready) continue
      if (watcher.view) this.markDue(site, [])
      else for (const id of ids) if (watcher.listed.delete(id)) session.send({ t: 'gone', visitor: id })
    }
  }

  /** Changes arriving in one turn of the event loop (one batch per node) share one evaluation. */
  private markDue(site: string, ids: string[]): void {
    let changed = this.due.get(site)
    if (!changed) {
      this.due.set(site, (changed = new Set()))
      setImmediate(() => this.evaluate(site))
    }
    for (const id of ids) changed.add(id)
  }

  private evaluate(site: string): void {
    const changed = this.due.get(site) ?? new Set<string>()
    this.due.delete(site)
    const shared = new Map<string, ReturnType<typeof evaluateView>>()
    for (const [session, watcher] of this.watchers.get(site) ?? []) {
      const view = watcher.view
      if (!watcher.ready || !view || session.closed) continue
      const op = session.operator
      const key = `${op.seesAll ? '*' : op.departments.join(',')}|${view.key}`
      let result = shared.get(key)
      if (!result) shared.set(key, (result = evaluateView(view, this.directory.list(site), (v) => session.canSee(v))))
      this.update(session, watcher, view, result, changed)
    }
  }

  private update(
    session: OperatorSession,
    watcher: Watcher,
    view: VisitorView,
    { total, window }: ReturnType<typeof evaluateView>,
    changed: ReadonlySet<string>,
  ): void {
    const ids = window.map((v) => v.id)
    const now = new Set(ids)
    const pin = view.pin !== undefined && !now.has(view.pin) ? view.pin : undefined
    const pinned = pin === undefined ? undefined : this.pinned(session, pin)
    // A pinned visitor leaving the window is not gone: `gone` for it means it left the site.
    for (const id of watcher.ids) if (!now.has(id) && (id !== pin || !pinned)) session.send({ t: 'gone', visitor: id })
    if (pin !== undefined) {
      if (pinned && (changed.has(pin) || !watcher.pinLive)) session.send({ t: 'visitor', ...pinned })
      else if (!pinned && watcher.pinLive && !watcher.listed.has(pin)) session.send({ t: 'gone', visitor: pin })
    }
    for (const v of window) if (!watcher.listed.has(v.id) || changed.has(v.id)) session.send({ t: 'visitor', ...v })
    const reordered = ids.length !== watcher.ids.length || ids.some((id, i) => watcher.ids[i] !== id)
    if (reordered || total !== watcher.total)
      session.send({ t: 'window', site: watcher.site, total, offset: view.offset, ids })
    watcher.ids = ids
    watcher.listed = now
    watcher.total = total
    watcher.pinLive = view.pin !== undefined && (now.has(view.pin) || pinned !== undefined)
  }
}
