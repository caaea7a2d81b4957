import {
  UTM_KEYS,
  type ChatState,
  type HelloFrame,
  type PageInfo,
  type Rating,
  type ServerToVisitorFrame,
  type VisitorSummary,
} from '../../../shared/src/protocol.js'
import type { Limits } from '../config.js'
import { FactTable } from '../rules/fact_table.js'
import type { Clock, FactValue } from '../rules/facts.js'
import type { ClientInfo } from './client_info.js'
import { EMPTY_RECORD, recordWith, type VisitRecord, type VisitorProfile } from './visitor_profile.js'

/** Where a visitor's frames go: one open socket (tab). */
export interface TabSink {
  send(frame: ServerToVisitorFrame): void
  close(code: number, reason: string): void
}

export interface Tab {
  id: number
  sink: TabSink
  page: PageInfo
  /** pageKey(page.url), computed once per view. */
  key: string
  /** When this tab's current page was viewed (epoch ms). */
  pageSince: number
  client: ClientInfo
  /** The embed's `data-widget` (hello.widget), DEFAULT_WIDGET without one: the `widget.id` fact. */
  widget: string
}

export const DEFAULT_WIDGET = 'default'

type Fact = FactValue | Clock

const NO_CHANGES: ReadonlyMap<string, Fact> = new Map()

function sameFact(a: Fact | undefined, b: Fact): boolean {
  if (a === b) return true
  if (a === undefined || a === null || b === null) return false
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => x === b[i])
  if (typeof a === 'object' && typeof b === 'object' && 'since' in a && 'since' in b) return a.since === b.since
  return false
}

/**
 * The key `page.views` counts a URL under: a 53-bit hash (cyrb53) of the URL without its
 * fragment (`/a#x` and `/a#y` are one page), so a visit's counts cost a few bytes a URL
 * however long, and hashing costs far less than a crypto digest on every page view.
 */
export function pageKey(url: string): string {
  const end = url.indexOf('#')
  const length = end === -1 ? url.length : end
  let h1 = 0xdeadbeef
  let h2 = 0x41c6ce57
  for (let i = 0; i < length; i++) {
    const ch = url.charCodeAt(i)
    h1 = Math.imul(h1 ^ ch, 2654435761)
    h2 = Math.imul(h2 ^ ch, 1597334677)
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909)
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909)
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36)
}

type Utm = Partial<Record<(typeof UTM_KEYS)[number], string>>

/** What most visits carry: one frozen object, not an empty one per visitor. */
const NO_UTM: Utm = Object.freeze({})

export function utmOf(url: string): Utm {
  // Most page views carry no UTM parameters: skip parsing the URL for them.
  if (!url.includes('utm_')) return NO_UTM
  let params: URLSearchParams
  try {
    params = new URL(url).searchParams
  } catch {
    return NO_UTM
  }
  const utm: Utm = {}
  for (const key of UTM_KEYS) {
    const value = params.get(`utm_${key}`)
    if (value) utm[key] = value.slice(0, 256)
  }
  return Object.keys(utm).length > 0 ? utm : NO_UTM
}

function contextFact(value: unknown): FactValue {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value
  if (Array.isArray(value)) {
    const scalars = value.filter((v): v is string | number | boolean =>
      ['string', 'number', 'boolean'].includes(typeof v),
    )
    return scalars.length === value.length ? scalars : null
  }
  return null
}

/**
 * The live state of one visitor on this node: its tabs, durable profile and the facts the
 * campaign matcher reads. Mutators record which facts changed; takeChanges() hands them over.
 * Not thread-safe by design: one node owns a live visitor and mutates it on its event loop.
 */
export class LiveVisitor {
  /** Over its IP's BECKON_NEW_VISITORS_PER_IP_PER_MINUTE: served live, its profile never stored. */
  ephemeral = false
  readonly tabs = new Map<number, Tab>()
  /** Present facts by field; an absent one has no entry. */
  readonly facts = new FactTable()
  /** Facts changed since takeChanges(); made on the first change (idle visitors hold none). */
  private changes: Map<string, Fact> | undefined
  widgetOpen = false
  authenticated = false
  chat: { conversation: string; state: ChatState; operator?: string } | undefined
  /** The last tab that left, so a visitor between page loads still shows where it was. */
  private lastTab: Tab | undefined

  constructor(
    readonly site: string,
    readonly id: string,
    public profile: VisitorProfile,
    private readonly limits: Limits,
  ) {
    this.set('visitor.visits', profile.visits)
    this.set('visitor.returning', profile.visits > 1)
    this.set('visitor.name', profile.name ?? null)
    this.set('visitor.email', profile.email ?? null)
    this.set('chat.history', profile.chatHistory)
    this.set('chat.rating', profile.rating ?? null)
    this.set('user.authenticated', false)
    this.set('widget.open', false)
    this.set('widget.secondsSinceClosed', null)
    this.set('chat.secondsWithoutReply', null)
  }

  get visit(): VisitRecord {
    if (!this.profile.visit) throw new Error('visitor has no visit yet')
    return this.profile.visit
  }

  /** The tab whose page was viewed last: its page is the visitor's current page. */
  currentTab(): Tab | undefined {
    let latest: Tab | undefined
    for (const tab of this.tabs.values()) if (!latest || tab.pageSince >= latest.pageSince) latest = tab
    return latest
  }

  /** Absent facts are not stored (null in `changes` says one went away): most fields are absent most of the time. */
  private set(field: string, value: Fact): void {
    const old = this.facts.get(field)
    if (value === null) {
      if (!this.facts.delete(field)) return
    } else {
      if (sameFact(old, value)) return
      this.facts.set(field, value)
    }
    ;(this.changes ??= new Map()).set(field, value)
  }

  /** Facts changed since the last call, for the matcher. */
  takeChanges(): ReadonlyMap<string, Fact> {
    const changes = this.changes ?? NO_CHANGES
    this.changes = undefined
    return changes
  }

  /** Starts visit number visits+1 landing on `page`. */
  startVisit(page: PageInfo, now: number): void {
    const profile = this.profile
    profile.visits += 1
    profile.visit = {
      n: profile.visits,
      startedAt: now,
      pageViews: 0,
      referrer: page.referrer || undefined,
      source: page.url,
      utm: utmOf(page.url),
      urlViews: new Map(),
      context: EMPTY_RECORD,
      firedThisVisit: [],
      invitationsSent: 0,
    }
    this.set('visitor.visits', profile.visits)
    this.set('visitor.returning', profile.visits > 1)
    this.set('visit.seconds', { since: now })
    this.set('visit.referrer', page.referrer || null)
    this.set('visit.source', page.url)
    this.set('invitations.sent', 0)
    this.set('invitations.secondsSinceLast', null)
    this.syncUtm()
    for (const field of this.facts.keys()) if (field.startsWith('context.')) this.set(field, null)
  }

  /** Restores the visit-scoped facts of a visit that continues (node restart, linger, other tab). */
  continueVisit(): void {
    const visit = this.visit
    this.set('visit.seconds', { since: visit.startedAt })
    this.set('visit.referrer', visit.referrer ?? null)
    this.set('visit.source', visit.source ?? null)
    this.set('visit.pageViews', visit.pageViews)
    this.set('invitations.sent', visit.invitationsSent)
    this.set(
      'invitations.secondsSinceLast',
      visit.lastInvitationAt === undefined ? null : { since: visit.lastInvitationAt },
    )
    this.syncUtm()
    for (const [key, value] of Object.entries(visit.context)) this.set(`context.${key}`, contextFact(value))
  }

  private syncUtm(): void {
    const utm = this.visit.utm
    for (const key of UTM_KEYS) this.set(`utm.${key}`, utm[key] ?? null)
  }

  /**
   * When the page instance at `url` that reconnects was viewed: the tab that left last, else
   * the visit's last page view (durable, so it holds on another node too), else a live tab.
   */
  viewedAt(url: string): number | undefined {
    if (this.lastTab?.page.url === url) return this.lastTab.pageSince
    const last = this.visit.lastPage
    if (last?.url === url) return last.since
    const current = this.currentTab()
    return current?.page.url === url ? current.pageSince : undefined
  }

  addTab(added: Omit<Tab, 'key'>, countView: boolean): void {
    // Spelled out: a spread plus a key gives every tab object a hidden class of its own (~260 B).
    const tab: Tab = {
      id: added.id,
      sink: added.sink,
      page: added.page,
      key: pageKey(added.page.url),
      pageSince: added.pageSince,
      client: added.client,
      widget: added.widget,
    }
    this.tabs.set(tab.id, tab)
    if (countView) this.countView(tab.key, tab)
    this.syncClient(tab.client)
    this.syncPage()
  }

  removeTab(id: number): void {
    this.lastTab = this.tabs.get(id) ?? this.lastTab
    this.tabs.delete(id)
    if (this.tabs.size > 0) this.syncPage()
  }

  /** A page view (full load or SPA navigation) in tab `id`. */
  page(id: number, page: PageInfo, now: number): void {
    const tab = this.tabs.get(id)
    if (!tab) return
    tab.page = page
    tab.pageSince = now
    tab.key = pageKey(page.url)
    this.countView(tab.key, tab)
    const utm = utmOf(page.url)
    if (Object.keys(utm).length > 0) {
      this.visit.utm = utm
      this.syncUtm()
    }
    this.syncPage()
  }

  private countView(key: string, tab: Tab): void {
    const visit = this.visit
    visit.pageViews += 1
    visit.lastPage = { url: tab.page.url, since: tab.pageSince }
    const seen = visit.urlViews.get(key)
    if (seen !== undefined) visit.urlViews.set(key, seen + 1)
    else if (visit.urlViews.size < this.limits.maxTrackedUrls) visit.urlViews.set(key, 1)
    this.set('visit.pageViews', visit.pageViews)
    this.set('exit.seconds', null)
  }

  private syncPage(): void {
    const tab = this.currentTab()
    if (!tab) return
    this.set('page.url', tab.page.url)
    this.set('page.title', tab.page.title)
    this.set('page.seconds', { since: tab.pageSince })
    this.set('page.views', this.visit.urlViews.get(tab.key) ?? 1)
    this.set('widget.id', tab.widget)
  }

  private syncClient(client: ClientInfo): void {
    this.set('geo.country', client.geo.country ?? null)
    this.set('geo.region', client.geo.region ?? null)
    this.set('geo.city', client.geo.city ?? null)
    this.set('device.platform', client.device.platform)
    this.set('device.os', client.device.os ?? null)
    this.set('device.browser', client.device.browser ?? null)
    this.set('device.ua', client.device.ua)
    if (!this.facts.get('visitor.language') && client.language) this.set('visitor.language', client.language)
  }

  language(lang: string | undefined): void {
    if (lang) this.set('visitor.language', lang)
  }

  exit(id: number, now: number): void {
    const tab = this.tabs.get(id)
    if (tab) this.set('exit.seconds', Math.max(0, Math.floor((now - tab.pageSince) / 1000)))
  }

  widget(open: boolean, now: number): void {
    if (open === this.widgetOpen) return
    this.widgetOpen = open
    this.set('widget.open', open)
    if (!open) this.set('widget.secondsSinceClosed', { since: now })
  }

  /** Shallow-merges custom context; a key set to null is removed. False when limits would be exceeded. */
  mergeContext(data: Record<string, unknown>): boolean {
    // Null prototype: context keys are the site's data, `__proto__` and `constructor` included.
    const merged: Record<string, unknown> = Object.assign(Object.create(null), this.visit.context)
    for (const [key, value] of Object.entries(data)) {
      if (value === null) delete merged[key]
      else merged[key] = value
    }
    if (Object.keys(merged).length > this.limits.maxContextKeys) return false
    if (JSON.stringify(merged).length > this.limits.maxContextBytes) return false
    for (const key of Object.keys(this.visit.context)) if (!(key in merged)) this.set(`context.${key}`, null)
    this.visit.context = merged
    for (const [key, value] of Object.entries(merged)) this.set(`context.${key}`, contextFact(value))
    return true
  }

  identify(user: { id: string; name?: string; email?: string } | undefined): void {
    this.authenticated = user !== undefined
    this.set('user.authenticated', this.authenticated)
    if (!user) return
    this.profile.userId = user.id
    this.contact(user.name, user.email)
  }

  contact(name: string | undefined, email: string | undefined): void {
    if (name !== undefined) this.profile.name = name
    if (email !== undefined) this.profile.email = email
    this.set('visitor.name', this.profile.name ?? null)
    this.set('visitor.email', this.profile.email ?? null)
  }

  /** Details the visitor left (invitation `collect` form, offline form): its name/email and a lead. */
  lead(name: string | undefined, email: string | undefined, now: number): void {
    this.contact(name, email)
    const lead: NonNullable<VisitorProfile['lead']> = { capturedAt: now }
    if (name !== undefined) lead.name = name
    if (email !== undefined) lead.email = email
    this.profile.lead = lead
  }

  rate(value: Rating): void {
    this.profile.rating = value
    this.set('chat.rating', value)
  }

  /** Records an invitation sent to this visitor (campaign or operator). */
  invited(campaign: string | undefined, now: number): void {
    const visit = this.visit
    visit.invitationsSent += 1
    visit.lastInvitationAt = now
    this.set('invitations.sent', visit.invitationsSent)
    this.set('invitations.secondsSinceLast', { since: now })
    if (campaign === undefined) return
    if (!this.profile.firedEver.includes(campaign)) this.profile.firedEver.push(campaign)
    if (!visit.firedThisVisit.includes(campaign)) visit.firedThisVisit.push(campaign)
    this.profile.lastFiredAt = recordWith(this.profile.lastFiredAt, campaign, now)
  }

  /** A conversation of this visitor changed state; closing one adds to `chat.history`. */
  chatUpdate(conversation: string, state: ChatState, operator: string | undefined): void {
    if (state !== 'closed') {
      this.chat = operator === undefined ? { conversation, state } : { conversation, state, operator }
      return
    }
    if (this.chat?.conversation !== conversation) return
    this.chat = undefined
    this.profile.chatHistory += 1
    this.set('chat.history', this.profile.chatHistory)
    this.set('chat.secondsWithoutReply', null)
  }

  /** A chat message: the clock of `chat.secondsWithoutReply` runs from the first unanswered visitor message. */
  chatMessage(from: 'visitor' | 'operator', at: number): void {
    if (from === 'operator') this.set('chat.secondsWithoutReply', null)
    else if (!this.facts.get('chat.secondsWithoutReply')) this.set('chat.secondsWithoutReply', { since: at })
  }

  setTeamOnline(online: boolean): void {
    this.set('team.online', online)
  }

  setTeamAvailable(available: boolean): void {
    this.set('team.available', available)
  }

  /** Sends a frame to every tab of this visitor. */
  broadcast(frame: ServerToVisitorFrame): void {
    for (const tab of this.tabs.values()) tab.sink.send(frame)
  }

  summary(departments: string[]): VisitorSummary {
    const tab = this.currentTab() ?? this.lastTab
    const visit = this.visit
    const client = tab?.client
    return {
      id: this.id,
      site: this.site,
      departments,
      name: this.profile.name,
      email: this.profile.email,
      authenticated: this.authenticated,
      page: tab?.page ?? { url: visit.source ?? '', title: '' },
      pageSince: tab?.pageSince ?? visit.startedAt,
      visitSince: visit.startedAt,
      visits: this.profile.visits,
      pageViews: visit.pageViews,
      referrer: visit.referrer,
      source: visit.source,
      utm: visit.utm,
      geo: client?.geo ?? {},
      device: client
        ? { platform: client.device.platform, os: client.device.os, browser: client.device.browser }
        : { platform: 'desktop' },
      language: (this.facts.get('visitor.language') as string | null) ?? undefined,
      widgetOpen: this.widgetOpen,
      tabs: this.tabs.size,
      chat: this.chat,
      activeAt: this.profile.lastSeenAt,
      invitations: visit.invitationsSent,
    }
  }

  /** The hello that attached a tab may carry language, user and context. */
  applyHello(hello: HelloFrame, userValid: boolean): void {
    this.language(hello.lang)
    if (hello.user && userValid) this.identify(hello.user)
    if (hello.context) this.mergeContext(hello.context)
  }
}
