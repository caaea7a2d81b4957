import { signal } from '@preact/signals'
import type { TimelineInvitation, TimelinePage, TimelineVisit } from '../../../shared/src/protocol.js'
import { apiRequest, describeError, isObject, num, str } from './api_request.js'

export type { TimelineInvitation, TimelinePage, TimelineVisit }

function parsePage(input: unknown): TimelinePage[] {
  if (!isObject(input)) return []
  const url = str(input.url)
  const at = num(input.at)
  if (url === undefined || at === undefined) return []
  const page: TimelinePage = { url, at }
  const title = str(input.title)
  const ms = num(input.ms)
  if (title) page.title = title
  if (ms !== undefined) page.ms = ms
  return [page]
}

function parseInvitation(input: unknown): TimelineInvitation[] {
  if (!isObject(input)) return []
  const id = str(input.id)
  const at = num(input.at)
  const text = str(input.text)
  if (id === undefined || at === undefined || text === undefined) return []
  const invitation: TimelineInvitation = { id, at, text }
  for (const key of ['campaign', 'campaignName', 'operator'] as const) {
    const value = str(input[key])
    if (value !== undefined) invitation[key] = value
  }
  return [invitation]
}

/** The node's `{visitor, visits}` answer; entries of an unexpected shape are left out. */
export function parseTimeline(body: unknown): TimelineVisit[] {
  const visits = isObject(body) && Array.isArray(body.visits) ? body.visits : []
  return visits.filter(isObject).flatMap((v) => {
    const n = num(v.n)
    const startedAt = num(v.startedAt)
    if (n === undefined || startedAt === undefined) return []
    const pages = Array.isArray(v.pages) ? v.pages.flatMap(parsePage) : []
    const invitations = Array.isArray(v.invitations) ? v.invitations.flatMap(parseInvitation) : []
    const visit: TimelineVisit = {
      n,
      startedAt,
      endedAt: num(v.endedAt) ?? startedAt,
      pageViews: num(v.pageViews) ?? pages.length,
      pages,
      invitationCount: num(v.invitationCount) ?? invitations.length,
      invitations,
    }
    const referrer = str(v.referrer)
    const landing = str(v.landing)
    if (referrer) visit.referrer = referrer
    if (landing) visit.landing = landing
    return [visit]
  })
}

/**
 * The selected visitor's timeline (`GET /v1/sites/SITE/visitors/VISITOR/timeline`): its
 * latest visits, newest first. Reloaded when the visitor's page views or invitations change;
 * an answer for a visitor no longer selected is dropped.
 */
export class TimelineStore {
  readonly timeline = signal<{ visitor: string; visits: readonly TimelineVisit[]; error?: string } | undefined>(
    undefined,
  )
  private generation = 0

  constructor(private readonly auth: () => { site: string; token: string } | undefined) {}

  async load(visitor: string): Promise<void> {
    const auth = this.auth()
    if (!auth) return
    const generation = ++this.generation
    if (this.timeline.value?.visitor !== visitor) this.timeline.value = { visitor, visits: [] }
    const path = `/v1/sites/${encodeURIComponent(auth.site)}/visitors/${encodeURIComponent(visitor)}/timeline`
    try {
      const visits = parseTimeline(await apiRequest(auth.token, 'GET', path))
      if (generation === this.generation) this.timeline.value = { visitor, visits }
    } catch (error) {
      if (generation === this.generation)
        this.timeline.value = { visitor, visits: [], error: `Timeline not loaded: ${describeError(error)}` }
    }
  }
}
