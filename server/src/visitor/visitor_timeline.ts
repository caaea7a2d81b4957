import { z } from 'zod'
import type { InviteFrame, TimelineInvitation, TimelinePage, TimelineVisit } from '../../../shared/src/protocol.js'
import type { TimelineConfig } from '../config.js'
import type { Logger } from '../logger.js'
import type { Store } from '../store/store.js'
import type { LiveVisitor } from './live_visitor.js'

/** One visit as the timeline keeps it (bucket `timeline`, key SITE.VISITOR.VISIT). */
export interface VisitTimeline extends TimelineVisit {
  v: 1
}

/** What happened in a visit since its last write. */
type Happening =
  | { k: 'visit'; at: number; referrer?: string; landing?: string }
  | { k: 'page'; at: number; url: string; title?: string }
  | { k: 'left'; since: number; at: number }
  | ({ k: 'invite' } & TimelineInvitation)

/** The visitor a happening belongs to; an ephemeral one is never stored. */
type Subject = Pick<LiveVisitor, 'site' | 'id' | 'ephemeral' | 'visit'>

interface Pending {
  site: string
  visitor: string
  n: number
  happenings: Happening[]
  seenAt: number
}

const visitSchema = z.object({
  v: z.literal(1),
  n: z.number().int().min(1),
  startedAt: z.number(),
  endedAt: z.number(),
  referrer: z.string().optional(),
  landing: z.string().optional(),
  pageViews: z.number().int().min(0),
  pages: z.array(
    z.object({ url: z.string(), title: z.string().optional(), at: z.number(), ms: z.number().optional() }),
  ),
  invitationCount: z.number().int().min(0),
  invitations: z.array(
    z.object({
      id: z.string(),
      at: z.number(),
      campaign: z.string().optional(),
      campaignName: z.string().optional(),
      operator: z.string().optional(),
      text: z.string(),
    }),
  ),
})

/** Validates a stored visit (it may come from an older or foreign writer). */
export function parseVisitTimeline(input: unknown): VisitTimeline {
  const result = visitSchema.safeParse(input)
  if (!result.success) throw new Error(`stored visit unreadable: ${result.error.issues[0]?.message ?? 'invalid'}`)
  return result.data as VisitTimeline
}

/** Zero-padded, so the keys of a visitor list in visit order. */
const visitKey = (site: string, visitor: string, n: number) => `${site}.${visitor}.${String(n).padStart(8, '0')}`
const visitorPrefix = (site: string, visitor: string) => `${site}.${visitor}.`

/** The record `happenings` make of `visit` (a fresh one when absent); idempotent, so a retried write adds nothing twice. */
function applied(visit: VisitTimeline | undefined, p: Pending, limits: TimelineConfig): VisitTimeline {
  const first = p.happenings[0]?.at ?? p.seenAt
  const out: VisitTimeline = visit ?? {
    v: 1,
    n: p.n,
    startedAt: first,
    endedAt: first,
    pageViews: 0,
    pages: [],
    invitationCount: 0,
    invitations: [],
  }
  for (const h of p.happenings) {
    switch (h.k) {
      case 'visit':
        out.startedAt = h.at
        if (h.referrer !== undefined) out.referrer = h.referrer
        if (h.landing !== undefined) out.landing = h.landing
        break
      case 'page': {
        if (out.pages.some((page) => page.at === h.at && page.url === h.url)) break
        out.pageViews += 1
        if (out.pages.length >= limits.pagesPerVisit) break
        const page: TimelinePage = { url: h.url, at: h.at }
        if (h.title) page.title = h.title
        out.pages.push(page)
        break
      }
      case 'left': {
        const page = out.pages.findLast((view) => view.at === h.since)
        if (page) page.ms = Math.max(page.ms ?? 0, h.at - h.since)
        break
      }
      case 'invite': {
        if (out.invitations.some((i) => i.id === h.id)) break
        out.invitationCount += 1
        if (out.invitations.length >= limits.invitationsPerVisit) break
        const { k: _k, ...invitation } = h
        out.invitations.push(invitation)
        break
      }
    }
  }
  out.endedAt = Math.max(out.endedAt, p.seenAt)
  return out
}

/** A visit write lost to a concurrent writer (the visitor moved nodes) is retried this often. */
const MAX_ATTEMPTS = 5

/**
 * A visitor's visits as operators read them: each visit's pages (URL, title, time on page),
 * referrer and landing page, and the invitations it was shown. Nothing of it stays in live
 * memory for long: a new visit and its last tab leaving are written at once; what happens in
 * between is buffered for at most BECKON_TIMELINE_SAVE_SECONDS and merged into the visit's
 * stored record (each merge reads and rewrites the record, so they are kept rare).
 *
 * Guarantees: writes of one visit are applied in order; a retried or concurrent write never
 * lists a page view or invitation twice. A node killed -9 loses at most the last
 * BECKON_TIMELINE_SAVE_SECONDS of a visit still going on. Bounded by TimelineConfig; erasure (forget) removes every visit.
 */
export class VisitorTimeline {
  private readonly pending = new Map<string, Pending>()
  private readonly writes = new Map<string, Promise<void>>()
  private timer: NodeJS.Timeout | undefined

  constructor(
    private readonly store: Store,
    private readonly limits: TimelineConfig,
    private readonly log: Logger,
  ) {}

  private add(visitor: Subject, happening: Happening): void {
    if (visitor.ephemeral) return
    const n = visitor.visit.n
    const key = visitKey(visitor.site, visitor.id, n)
    let p = this.pending.get(key)
    if (!p) {
      p = { site: visitor.site, visitor: visitor.id, n, happenings: [], seenAt: happening.at }
      this.pending.set(key, p)
    }
    p.happenings.push(happening)
    p.seenAt = Math.max(p.seenAt, happening.at)
    this.timer ??= setTimeout(() => {
      this.timer = undefined
      void this.flush()
    }, this.limits.saveSeconds * 1000)
  }

  /** The visitor's current visit started at `at`. */
  visitStarted(visitor: Subject, at: number): void {
    const h: Happening = { k: 'visit', at }
    if (visitor.visit.referrer) h.referrer = visitor.visit.referrer
    if (visitor.visit.source) h.landing = visitor.visit.source
    this.add(visitor, h)
  }

  pageViewed(visitor: Subject, at: number, page: { url: string; title?: string }): void {
    this.add(
      visitor,
      page.title ? { k: 'page', at, url: page.url, title: page.title } : { k: 'page', at, url: page.url },
    )
  }

  /** The page a tab viewed since `since` was left at `at` (navigation or the tab closing). */
  pageLeft(visitor: Subject, since: number, at: number): void {
    this.add(visitor, { k: 'left', since, at })
  }

  /** An invitation was shown: a campaign's (with its name) or an operator's. */
  invited(visitor: Subject, frame: InviteFrame, campaignName?: string): void {
    const h: Happening = { k: 'invite', id: frame.id, at: frame.at, text: frame.text }
    if (frame.campaign !== undefined) h.campaign = frame.campaign
    if (campaignName !== undefined) h.campaignName = campaignName
    if (frame.operator !== undefined) h.operator = frame.operator
    this.add(visitor, h)
  }

  /** Writes what is buffered of the visitor's current visit now (a new visit, the last tab gone: an idle visitor holds nothing here). */
  writeNow(visitor: Subject): void {
    if (visitor.ephemeral) return
    const key = visitKey(visitor.site, visitor.id, visitor.visit.n)
    const p = this.pending.get(key)
    if (!p) return
    this.pending.delete(key)
    void this.write(key, p)
  }

  /** Writes everything buffered; resolves once it is stored (or its failure logged). */
  async flush(): Promise<void> {
    clearTimeout(this.timer)
    this.timer = undefined
    const batch = [...this.pending]
    this.pending.clear()
    await Promise.all(batch.map(([key, p]) => this.write(key, p)))
  }

  /** Queues the merge of `p` into its visit behind that visit's earlier writes. */
  private write(key: string, p: Pending): Promise<void> {
    const write = (this.writes.get(key) ?? Promise.resolve())
      .then(() => this.merge(key, p))
      .catch((error: unknown) => this.log.error({ err: error, key }, 'timeline write failed'))
    this.writes.set(key, write)
    void write.then(() => {
      if (this.writes.get(key) === write) this.writes.delete(key)
    })
    return write
  }

  private async merge(key: string, p: Pending): Promise<void> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const entry = await this.store.get<unknown>('timeline', key)
      const next = applied(entry && parseVisitTimeline(entry.value), p, this.limits)
      const written = entry
        ? await this.store.update('timeline', key, next, entry.revision)
        : await this.store.create('timeline', key, next)
      if (written === false) continue
      if (!entry && p.n > this.limits.visits) {
        await this.store.delete('timeline', visitKey(p.site, p.visitor, p.n - this.limits.visits))
      }
      return
    }
    throw new Error(`visit ${key} kept changing under ${MAX_ATTEMPTS} writes`)
  }

  /**
   * The visitor's latest visits, newest first, at most BECKON_TIMELINE_VISITS, with what this
   * node has not written yet (a visitor live on another node is up to its save delay behind).
   */
  async visits(site: string, visitor: string): Promise<TimelineVisit[]> {
    const byNumber = new Map<number, VisitTimeline>()
    for (const entry of await this.store.list<unknown>('timeline', visitorPrefix(site, visitor))) {
      try {
        const visit = parseVisitTimeline(entry.value)
        byNumber.set(visit.n, visit)
      } catch (error) {
        this.log.warn({ err: error, key: entry.key }, 'skipping an unreadable visit')
      }
    }
    for (const p of this.pending.values()) {
      if (p.site !== site || p.visitor !== visitor) continue
      // The stored visit was decoded for this call alone: merging into it in place is safe.
      byNumber.set(p.n, applied(byNumber.get(p.n), p, this.limits))
    }
    return [...byNumber.values()]
      .sort((a, b) => b.n - a.n)
      .slice(0, this.limits.visits)
      .map(({ v: _v, ...visit }) => visit)
  }

  /** Erasure: drops what is buffered, waits for writes under way, then deletes every visit. */
  async forget(site: string, visitor: string): Promise<void> {
    const prefix = visitorPrefix(site, visitor)
    const inFlight: Array<Promise<void>> = []
    for (const key of [...this.pending.keys()]) if (key.startsWith(prefix)) this.pending.delete(key)
    for (const [key, write] of this.writes) if (key.startsWith(prefix)) inFlight.push(write)
    await Promise.all(inFlight)
    for (const entry of await this.store.list('timeline', prefix)) await this.store.delete('timeline', entry.key)
  }
}
