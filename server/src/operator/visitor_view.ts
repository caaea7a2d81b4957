import { z } from 'zod'
import { FrameError } from '../../../shared/src/frame_parser.js'
import {
  ERROR_CODE,
  VIEW_SORTS,
  type ViewFilter,
  type ViewSort,
  type VisitorSummary,
} from '../../../shared/src/protocol.js'

/** A parsed `watch.view`: the sorted matches from `offset`, at most `limit` of them. */
export interface VisitorView {
  filter: ViewFilter
  sort: { by: ViewSort; dir: 'asc' | 'desc' }
  offset: number
  limit: number
  /** Extension: a visitor followed outside the window too (the console's selected visitor). */
  pin?: string
  /** Equal keys evaluate alike (for the same visibility), so watchers can share one evaluation. */
  key: string
}

export interface ViewLimits {
  /** BECKON_VIEW_DEFAULT_LIMIT: window size of a view without `limit`. */
  viewDefaultLimit: number
  /** BECKON_VIEW_MAX_LIMIT: the largest `limit` a view may ask for. */
  viewMaxLimit: number
  maxUrlLength: number
}

function describe(error: z.ZodError): string {
  const issue = error.issues[0]
  if (!issue) return 'invalid view'
  return issue.path.length > 0 ? `view.${issue.path.join('.')}: ${issue.message}` : `view: ${issue.message}`
}

/** Validates `watch.view`; throws FrameError `bad_frame` (ref `watch`) naming the bad field. */
export function parseVisitorView(input: unknown, limits: ViewLimits): VisitorView {
  const text = z.string().min(1).max(limits.maxUrlLength)
  const schema = z
    .object({
      filter: z
        .object({
          url: text.optional(),
          country: z
            .string()
            .regex(/^[A-Za-z]{2}$/, 'expected an ISO 3166-1 alpha-2 code')
            .optional(),
          department: z.string().min(1).max(64).optional(),
          returning: z.boolean().optional(),
          chat: z.boolean().optional(),
          invited: z.boolean().optional(),
          q: z.string().min(1).max(256).optional(),
        })
        .strict()
        .default({}),
      sort: z
        .object({ by: z.enum(VIEW_SORTS), dir: z.enum(['asc', 'desc']).default('desc') })
        .strict()
        .default({ by: 'last_activity', dir: 'desc' }),
      offset: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(0),
      limit: z.number().int().min(1).max(limits.viewMaxLimit).default(limits.viewDefaultLimit),
      pin: z.string().min(1).max(128).optional(),
    })
    .strict()
  const result = schema.safeParse(input)
  if (!result.success) throw new FrameError(ERROR_CODE.badFrame, `watch: ${describe(result.error)}`, 'watch')
  const { filter: raw, sort, offset, limit, pin } = result.data
  const filter: ViewFilter = {
    ...raw,
    url: raw.url?.toLowerCase(),
    country: raw.country?.toUpperCase(),
    q: raw.q?.toLowerCase(),
  }
  // The pin is per watcher: it stays out of the shared evaluation's key.
  return { filter, sort, offset, limit, pin, key: JSON.stringify([filter, sort, offset, limit]) }
}

const includes = (value: string | undefined, part: string): boolean => value?.toLowerCase().includes(part) === true

/** Whether the visitor passes every filter of the view. */
export function viewMatches(filter: ViewFilter, v: VisitorSummary): boolean {
  if (filter.url !== undefined && !includes(v.page.url, filter.url)) return false
  if (filter.country !== undefined && v.geo.country?.toUpperCase() !== filter.country) return false
  if (filter.department !== undefined && !v.departments.includes(filter.department)) return false
  if (filter.returning !== undefined && v.visits > 1 !== filter.returning) return false
  if (filter.chat !== undefined && (v.chat !== undefined && v.chat.state !== 'closed') !== filter.chat) return false
  if (filter.invited !== undefined && (v.invitations ?? 0) > 0 !== filter.invited) return false
  if (
    filter.q !== undefined &&
    !(includes(v.name, filter.q) || includes(v.email, filter.q) || includes(v.id, filter.q))
  )
    return false
  return true
}

const SORT_KEY: Record<ViewSort, (v: VisitorSummary) => number> = {
  last_activity: (v) => v.activeAt ?? v.pageSince,
  // Longer on the site = an earlier visit start.
  time_on_site: (v) => -v.visitSince,
  pages: (v) => v.pageViews,
}

/** Sorted matches of the view among `visitors`, and the window of them it shows. */
export function evaluateView(
  view: VisitorView,
  visitors: Iterable<VisitorSummary>,
  visible: (v: VisitorSummary) => boolean,
): { total: number; window: VisitorSummary[] } {
  const key = SORT_KEY[view.sort.by]
  const sign = view.sort.dir === 'desc' ? -1 : 1
  const rows: { v: VisitorSummary; k: number }[] = []
  for (const v of visitors) if (visible(v) && viewMatches(view.filter, v)) rows.push({ v, k: key(v) })
  // Ties by id, so equal keys keep one stable order across evaluations and nodes.
  rows.sort((a, b) => (a.k - b.k) * sign || (a.v.id < b.v.id ? -1 : a.v.id > b.v.id ? 1 : 0))
  return { total: rows.length, window: rows.slice(view.offset, view.offset + view.limit).map((r) => r.v) }
}
