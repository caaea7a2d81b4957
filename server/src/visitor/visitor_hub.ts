import { CLOSE_CODE, type HelloFrame, type VisitorFrame } from '../../../shared/src/protocol.js'
import type { Config } from '../config.js'
import type { Logger } from '../logger.js'
import type { Metrics } from '../metrics.js'
import type { Site } from '../site/site.js'
import type { Store } from '../store/store.js'
import type { ClientInfo } from './client_info.js'
import { DEFAULT_WIDGET, LiveVisitor, type TabSink } from './live_visitor.js'
import { NewVisitorQuota } from './new_visitor_quota.js'
import { newProfile, parseProfile, profileKey, type VisitorProfile } from './visitor_profile.js'
import { VisitorTimeline } from './visitor_timeline.js'

/** Told about every visitor whose state changed, after each applied event. */
export interface VisitorObserver {
  /** The visitor's facts changed (`changes` holds only what changed) or a tab came or went. */
  changed?(visitor: LiveVisitor, changes: ReadonlyMap<string, unknown>, now: number): void
  /** The visitor has no tab left and its linger time passed: it is gone from this node. */
  gone?(visitor: LiveVisitor): void
}

export interface Attached {
  visitor: LiveVisitor
  tabId: number
  /** The profile existed before this hello. */
  resumed: boolean
}

/** What a visitor tells about itself is written at once; navigation is batched (BECKON_SAVE_DELAY_SECONDS). */
const SAVE_AT_ONCE: ReadonlySet<VisitorFrame['t']> = new Set(['identify', 'contact', 'rate'])

/**
 * All live visitors of this node. Owns visit boundaries (BECKON_VISIT_GAP_SECONDS), tab
 * bookkeeping, profile persistence and what the visitor timeline records of visits and pages;
 * observers (matcher, operator feed) react to changes.
 * Guarantee: events of one visitor are applied in arrival order, each exactly once, and a
 * visitor's profile writes reach the Store in the order they were made.
 */
export class VisitorHub {
  private readonly live = new Map<string, LiveVisitor>()
  private readonly loading = new Map<string, Promise<LiveVisitor>>()
  /** Visitors with unsaved navigation; all are written together every BECKON_SAVE_DELAY_SECONDS. */
  private readonly unsaved = new Set<LiveVisitor>()
  private saveTimer: NodeJS.Timeout | undefined
  private readonly lingerTimers = new Map<string, NodeJS.Timeout>()
  private readonly writes = new Map<string, Promise<boolean>>()
  private readonly observers: VisitorObserver[] = []
  private nextTabId = 1
  private readonly newVisitors: NewVisitorQuota
  readonly timeline: VisitorTimeline

  constructor(
    private readonly store: Store,
    private readonly config: Config,
    private readonly log: Logger,
    private readonly metrics: Metrics,
  ) {
    this.newVisitors = new NewVisitorQuota(config.newVisitorsPerIpPerMinute)
    this.timeline = new VisitorTimeline(store, config.timeline, log)
  }

  observe(observer: VisitorObserver): void {
    this.observers.push(observer)
  }

  get(site: string, visitor: string): LiveVisitor | undefined {
    return this.live.get(profileKey(site, visitor))
  }

  *visitors(site?: string): Iterable<LiveVisitor> {
    for (const visitor of this.live.values()) if (site === undefined || visitor.site === site) yield visitor
  }

  /** Attaches a tab (the caller must then emit()) (a socket that sent `hello`) to its visitor, loading or creating the profile. */
  async attach(
    site: Site,
    visitorId: string,
    sink: TabSink,
    hello: HelloFrame,
    client: ClientInfo,
    userValid: boolean,
  ): Promise<Attached> {
    const key = profileKey(site.id, visitorId)
    let visitor = this.live.get(key)
    let resumed = true
    if (!visitor) {
      let pending = this.loading.get(key)
      if (!pending) {
        pending = this.load(site.id, visitorId)
        this.loading.set(key, pending)
        void pending.finally(() => this.loading.delete(key))
      }
      visitor = await pending
      resumed = visitor.profile.visits > 0
      // Past its IP's allowance a new visitor is served but never stored (it stays ephemeral).
      if (!resumed && !visitor.ephemeral && !this.newVisitors.take(client.ip)) visitor.ephemeral = true
      this.live.set(key, visitor)
      this.metrics.visitors.set(this.live.size)
    }
    const now = Date.now()
    clearTimeout(this.lingerTimers.get(key))
    this.lingerTimers.delete(key)

    const gapMs = this.config.visitGapSeconds * 1000
    const idle = visitor.tabs.size === 0
    const newVisit = !visitor.profile.visit || (idle && now - visitor.profile.lastSeenAt > gapMs)
    if (newVisit) {
      visitor.startVisit(hello.page, now)
      this.timeline.visitStarted(visitor, now)
    } else if (idle) visitor.continueVisit()

    const sameInstance = hello.reconnect === true && !newVisit
    const pageSince = (sameInstance && visitor.viewedAt(hello.page.url)) || now
    const tabId = this.nextTabId++
    if (visitor.tabs.size >= this.config.limits.maxTabsPerVisitor) {
      const oldest = visitor.tabs.values().next().value
      if (oldest) {
        this.timeline.pageLeft(visitor, oldest.pageSince, now)
        visitor.removeTab(oldest.id)
        oldest.sink.close(CLOSE_CODE.replaced, 'replaced by a newer tab')
      }
    }
    visitor.addTab(
      { id: tabId, sink, page: hello.page, pageSince, client, widget: hello.widget ?? DEFAULT_WIDGET },
      !sameInstance,
    )
    if (!sameInstance) this.timeline.pageViewed(visitor, now, hello.page)
    if (newVisit) this.timeline.writeNow(visitor)
    visitor.applyHello(hello, userValid)
    visitor.profile.lastSeenAt = now
    if (newVisit) void this.saveNow(visitor)
    else this.saveSoon(visitor)
    // The caller emits once it has sent `welcome`, so nothing reaches the tab before it.
    return { visitor, tabId, resumed }
  }

  private async load(site: string, visitorId: string): Promise<LiveVisitor> {
    // A visitor evicted a moment ago may still have its last write in flight: read after it.
    await this.writes.get(profileKey(site, visitorId))
    const entry = await this.store.get<unknown>('profiles', profileKey(site, visitorId))
    let profile: VisitorProfile
    try {
      profile = entry ? parseProfile(entry.value) : newProfile(Date.now())
    } catch (error) {
      this.log.warn({ site, visitor: visitorId, err: error }, 'starting a fresh profile')
      profile = newProfile(Date.now())
    }
    return new LiveVisitor(site, visitorId, profile, this.config.limits)
  }

  /** Applies one event from tab `tabId`; returns false when the event was refused (context limits). */
  apply(visitor: LiveVisitor, tabId: number, frame: VisitorFrame, userValid = true): boolean {
    // performance.now(), not startTimer(): no closure and no hrtime pair per event.
    const began = performance.now()
    try {
      return this.applyNow(visitor, tabId, frame, userValid)
    } finally {
      this.metrics.eventSeconds.observe((performance.now() - began) / 1000)
    }
  }

  private applyNow(visitor: LiveVisitor, tabId: number, frame: VisitorFrame, userValid: boolean): boolean {
    const now = Date.now()
    let accepted = true
    switch (frame.t) {
      case 'page': {
        const left = visitor.tabs.get(tabId)
        if (left) {
          this.timeline.pageLeft(visitor, left.pageSince, now)
          this.timeline.pageViewed(visitor, now, frame)
        }
        visitor.page(tabId, { url: frame.url, title: frame.title, referrer: frame.referrer }, now)
        break
      }
      case 'exit':
        visitor.exit(tabId, now)
        break
      case 'widget':
        visitor.widget(frame.open, now)
        break
      case 'context':
        accepted = visitor.mergeContext(frame.data)
        break
      case 'identify':
        visitor.identify(userValid ? frame.user : undefined)
        break
      case 'contact':
        visitor.lead(frame.name, frame.email, now)
        break
      case 'rate':
        visitor.rate(frame.value)
        break
      default:
        return true
    }
    visitor.profile.lastSeenAt = now
    if (SAVE_AT_ONCE.has(frame.t)) void this.saveNow(visitor)
    else this.saveSoon(visitor)
    this.emit(visitor, now)
    return accepted
  }

  /** Runs observers with what changed; call after any mutation of a live visitor. */
  emit(visitor: LiveVisitor, now = Date.now()): void {
    const changes = visitor.takeChanges()
    this.notify(visitor, (observer) => observer.changed?.(visitor, changes, now))
  }

  /** One failing observer must not starve the others nor escape into a socket or timer callback. */
  private notify(visitor: LiveVisitor, call: (observer: VisitorObserver) => void): void {
    for (const observer of this.observers) {
      try {
        call(observer)
      } catch (error) {
        this.log.error({ err: error, visitor: visitor.id }, 'visitor observer failed')
      }
    }
  }

  detach(visitor: LiveVisitor, tabId: number): void {
    const tab = visitor.tabs.get(tabId)
    if (!tab) return
    const now = Date.now()
    this.timeline.pageLeft(visitor, tab.pageSince, now)
    visitor.removeTab(tabId)
    visitor.profile.lastSeenAt = now
    this.emit(visitor, now)
    if (visitor.tabs.size > 0) {
      this.saveSoon(visitor)
      return
    }
    void this.saveNow(visitor)
    this.timeline.writeNow(visitor)
    const key = profileKey(visitor.site, visitor.id)
    const linger = Math.min(this.config.lingerSeconds, this.config.visitGapSeconds) * 1000
    this.lingerTimers.set(
      key,
      setTimeout(() => this.evict(key), linger),
    )
  }

  private evict(key: string): void {
    this.lingerTimers.delete(key)
    const visitor = this.live.get(key)
    if (!visitor || visitor.tabs.size > 0) return
    this.live.delete(key)
    this.metrics.visitors.set(this.live.size)
    this.notify(visitor, (observer) => observer.gone?.(visitor))
  }

  /**
   * Marks the profile for the next batch write. One timer serves every visitor, and writes
   * issued together share one embedded-store transaction (one disk sync, not one each).
   */
  saveSoon(visitor: LiveVisitor): void {
    this.unsaved.add(visitor)
    this.saveTimer ??= setTimeout(() => {
      this.saveTimer = undefined
      for (const v of [...this.unsaved]) void this.saveNow(v)
    }, this.config.saveDelaySeconds * 1000)
  }

  /**
   * Queues a write of the visitor's profile behind its earlier writes; resolves true once it
   * is durable, false when the store refused it (logged; a later write retries the whole profile).
   */
  saveNow(visitor: LiveVisitor): Promise<boolean> {
    const key = profileKey(visitor.site, visitor.id)
    this.unsaved.delete(visitor)
    // An ephemeral visitor is never stored: its frequency limits hold for its live session only.
    if (visitor.ephemeral) return Promise.resolve(true)
    const previous = this.writes.get(key) ?? Promise.resolve(true)
    // No copy: stores encode the value when put() is called, so each write stores the
    // profile as it is then, never older than what an earlier write stored.
    const write = previous
      .then(() => this.store.put('profiles', key, visitor.profile))
      .then(
        () => true,
        (error: unknown) => {
          this.log.error({ err: error, key }, 'profile write failed')
          return false
        },
      )
    this.writes.set(key, write)
    void write.then(() => {
      if (this.writes.get(key) === write) this.writes.delete(key)
    })
    return write
  }

  /** Resolves once the visitor's profile writes issued so far are done (before another node may load it). */
  async written(visitor: Pick<LiveVisitor, 'site' | 'id'>): Promise<void> {
    await this.writes.get(profileKey(visitor.site, visitor.id))
  }

  /**
   * Erasure: closes the visitor's tabs (1000), drops its live state without saving it and
   * resolves once any write of it already under way is done, so a delete after it wins.
   */
  async forget(site: string, visitorId: string): Promise<void> {
    const key = profileKey(site, visitorId)
    const visitor = this.live.get(key)
    if (visitor) {
      this.live.delete(key)
      this.unsaved.delete(visitor)
      clearTimeout(this.lingerTimers.get(key))
      this.lingerTimers.delete(key)
      for (const tab of [...visitor.tabs.values()]) {
        visitor.removeTab(tab.id)
        tab.sink.close(CLOSE_CODE.normal, 'visitor data erased')
      }
      this.metrics.visitors.set(this.live.size)
      this.notify(visitor, (observer) => observer.gone?.(visitor))
    }
    await this.writes.get(key)
  }

  /** Writes every live visitor's profile and stops timers (shutdown). */
  async flush(): Promise<void> {
    for (const timer of this.lingerTimers.values()) clearTimeout(timer)
    this.lingerTimers.clear()
    clearTimeout(this.saveTimer)
    this.saveTimer = undefined
    await Promise.all([...this.live.values()].map((v) => this.saveNow(v)))
    await Promise.all([...this.writes.values(), this.timeline.flush()])
  }
}
