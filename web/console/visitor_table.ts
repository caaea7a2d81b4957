import type { VisitorSummary } from '../../shared/src/protocol.js'
import { el } from './dom.js'
import { duration, host, joined, shortUrl, visitorLabel } from './format.js'

interface Row {
  summary: VisitorSummary
  tr: HTMLTableRowElement
  time: HTMLTableCellElement
}

const sub = (text: string): HTMLElement => el('span', { className: 'sub', text })

/** Column headers; each row fills the same columns in `fill()`. */
const COLUMNS = [
  'Visitor',
  'Page',
  'On page',
  'Visit',
  'Pages',
  'Location',
  'Device',
  'UTM',
  'Referrer',
  'Widget',
  'Chat',
]

/**
 * The live visitors table: one row per visitor, updated in place by upserts, newest visit
 * first. The time-on-page cells tick from `pageSince` without any traffic from the node.
 */
export class VisitorTable {
  private readonly rows = new Map<string, Row>()
  private readonly tbody: HTMLTableSectionElement
  private readonly empty: HTMLTableRowElement
  private selected: string | undefined

  constructor(
    table: HTMLTableElement,
    private readonly count: HTMLElement,
    private readonly onSelect: (id: string) => void,
  ) {
    const numeric = new Set(['On page', 'Visit', 'Pages'])
    table.replaceChildren(
      el('thead', {}, [
        el(
          'tr',
          {},
          COLUMNS.map((c) => el('th', { text: c, className: numeric.has(c) ? 'num' : '', attrs: { scope: 'col' } })),
        ),
      ]),
    )
    this.tbody = el('tbody')
    this.empty = el('tr', { className: 'empty' }, [
      el('td', { text: 'No visitors online right now.', attrs: { colspan: String(COLUMNS.length) } }),
    ])
    table.append(this.tbody)
    this.tbody.append(this.empty)
    this.updateCount()
  }

  /** Replaces every row with a snapshot (after each (re)connect). */
  replaceAll(list: VisitorSummary[]): void {
    for (const row of this.rows.values()) row.tr.remove()
    this.rows.clear()
    for (const summary of [...list].sort((a, b) => a.visitSince - b.visitSince)) this.upsert(summary)
    this.updateCount()
  }

  upsert(summary: VisitorSummary): void {
    let row = this.rows.get(summary.id)
    if (!row) {
      const tr = el('tr', { testid: 'visitor-row', dataset: { visitorId: summary.id }, attrs: { tabindex: '0' } })
      tr.addEventListener('click', () => this.onSelect(summary.id))
      tr.addEventListener('keydown', (event) => {
        if (event.key === 'Enter' || event.key === ' ') {
          event.preventDefault()
          this.onSelect(summary.id)
        }
      })
      row = { summary, tr, time: el('td') }
      this.rows.set(summary.id, row)
      this.tbody.prepend(tr)
      tr.classList.toggle('selected', summary.id === this.selected)
    }
    row.summary = summary
    this.fill(row)
    this.updateCount()
  }

  remove(id: string): void {
    this.rows.get(id)?.tr.remove()
    this.rows.delete(id)
    this.updateCount()
  }

  select(id: string | undefined): void {
    if (this.selected) this.rows.get(this.selected)?.tr.classList.remove('selected')
    this.selected = id
    if (id) this.rows.get(id)?.tr.classList.add('selected')
  }

  /** Advances the time-on-page cells (called every second). */
  tick(now: number): void {
    for (const row of this.rows.values()) row.time.textContent = duration(now - row.summary.pageSince)
  }

  private updateCount(): void {
    this.empty.hidden = this.rows.size > 0
    this.count.textContent = String(this.rows.size)
  }

  private fill(row: Row): void {
    const v = row.summary
    const name = el('td', { className: 'who' }, [el('strong', { text: visitorLabel(v, v.id) })])
    if (v.authenticated) name.append(el('span', { className: 'tag', text: 'user', title: 'Authenticated user' }))
    for (const d of v.departments) name.append(el('span', { className: 'tag dept', text: d }))
    const pageCell = el('td', { className: 'page', testid: 'visitor-page', title: v.page.url }, [
      el('span', { className: 'title', text: v.page.title || '(untitled)' }),
      el('span', { className: 'url', text: shortUrl(v.page.url) }),
    ])
    row.time.textContent = duration(Date.now() - v.pageSince)
    row.time.className = 'num'
    row.time.dataset.testid = 'time-on-page'
    const referrer = v.referrer ?? v.page.referrer
    const chat = v.chat
    row.tr.replaceChildren(
      name,
      pageCell,
      row.time,
      el('td', { className: 'num' }, [`#${v.visits}`, sub(v.visits > 1 ? 'returning' : 'new')]),
      el('td', { className: 'num', text: String(v.pageViews) }),
      el('td', { text: v.geo.country ?? '—' }, v.geo.city ? [sub(v.geo.city)] : []),
      el('td', { text: joined([v.device.os, v.device.browser], ' · ') }, [sub(v.device.platform)]),
      el(
        'td',
        { text: v.utm.source ?? '—', title: 'source, medium · campaign' },
        v.utm.medium || v.utm.campaign ? [sub(joined([v.utm.medium, v.utm.campaign], ' · '))] : [],
      ),
      el('td', { text: referrer ? host(referrer).replace(/^www\./, '') : 'direct', title: referrer ?? '' }),
      el('td', { text: v.widgetOpen ? 'open' : '—', className: v.widgetOpen ? 'on' : '' }),
      el(
        'td',
        { testid: 'visitor-chat' },
        chat
          ? [
              el('span', { className: `pill chat-${chat.state}`, text: chat.state }),
              ...(chat.operator ? [sub(chat.operator)] : []),
            ]
          : ['—'],
      ),
    )
  }
}
