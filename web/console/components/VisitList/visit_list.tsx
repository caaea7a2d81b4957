import './visit_list.css'
import type { TimelinePage, TimelineVisit } from '../../state/timeline_store.js'
import { clock, dateTime, duration, referrerLabel, shortUrl } from '../../state/format.js'

/** Time on a page: measured once left; "open" while a tab of the live visit still shows it. */
function spent(page: TimelinePage, open: boolean): string {
  if (page.ms !== undefined) return duration(page.ms)
  return open ? 'open' : '—'
}

function VisitEntry({ visit, live, expanded }: { visit: TimelineVisit; live: boolean; expanded: boolean }) {
  const unlisted = visit.pageViews - visit.pages.length
  const summary = [
    dateTime(visit.startedAt),
    live ? 'now' : duration(visit.endedAt - visit.startedAt),
    visit.pageViews === 1 ? '1 page' : `${visit.pageViews} pages`,
    visit.referrer ? `from ${referrerLabel(visit.referrer)}` : 'direct',
  ].join(' · ')
  return (
    <li data-testid="timeline-visit">
      <details open={expanded}>
        <summary>
          <span class="visit-name">{live ? `Visit ${visit.n} (current)` : `Visit ${visit.n}`}</span>
          <span class="meta">{summary}</span>
        </summary>
        <ol class="pages">
          {visit.pages.map((page) => (
            <li key={`${page.at}-${page.url}`} data-testid="timeline-page">
              <span class="at">{clock(page.at)}</span>
              <span class="page" title={page.url}>
                <span class="title" data-testid="timeline-page-title">
                  {page.title || shortUrl(page.url)}
                </span>
                <span class="url">{shortUrl(page.url)}</span>
              </span>
              <span class="spent" data-testid="timeline-page-time">
                {spent(page, live)}
              </span>
            </li>
          ))}
          {unlisted > 0 && <li class="more">{`and ${unlisted} more pages`}</li>}
        </ol>
      </details>
    </li>
  )
}

/**
 * The visitor's visits, newest first, the latest unfolded: each with when it began, how long
 * it lasted, where it came from, and its pages with title, URL and time on page.
 */
export function VisitList({ visits, current }: { visits: readonly TimelineVisit[]; current: number | undefined }) {
  return (
    <section class="visit-list" aria-labelledby="visit-list-heading">
      <h3 id="visit-list-heading">Visits</h3>
      {visits.length === 0 ? (
        <p class="placeholder">No visit recorded yet.</p>
      ) : (
        <ol class="visits">
          {visits.map((visit, i) => (
            <VisitEntry key={visit.n} visit={visit} live={visit.n === current} expanded={i === 0} />
          ))}
        </ol>
      )}
    </section>
  )
}
