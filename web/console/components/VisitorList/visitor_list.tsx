import './visitor_list.css'
import { useSignal, useSignalEffect } from '@preact/signals'
import { useEffect, useLayoutEffect, useRef } from 'preact/hooks'
import type { VisitorSummary } from '../../../../shared/src/protocol.js'
import { useConsole } from '../../state/console_context.js'
import { duration, joined, referrerLabel, shortUrl, visitorLabel } from '../../state/format.js'
import { VisitorFilters } from '../VisitorFilters/visitor_filters.js'

/** Column headers; VisitorRow fills the same columns. */
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
const NUMERIC = new Set(['On page', 'Visit', 'Pages'])
/** Every row is this tall (px, as in visitor_list.css), so row i sits at i × ROW_PX. */
const ROW_PX = 44
/** Rows rendered beyond each edge of the viewport, so fast scrolling shows no blank. */
const OVERSCAN = 8
const PAGE_KEYS: Record<string, (index: number, page: number, total: number) => number> = {
  ArrowDown: (i) => i + 1,
  ArrowUp: (i) => i - 1,
  PageDown: (i, page) => i + page,
  PageUp: (i, page) => i - page,
  Home: () => 0,
  End: (_i, _page, total) => total - 1,
}
const COUNT = new Intl.NumberFormat('en-US')

/** A second line in a cell; the space keeps the cell's text readable when copied. */
const Sub = ({ text }: { text: string }) => (
  <>
    {' '}
    <span class="sub">{text}</span>
  </>
)

const rowId = (id: string) => `visitor-row-${id}`

function VisitorRow({ v, index, now, selected }: { v: VisitorSummary; index: number; now: number; selected: boolean }) {
  const store = useConsole()
  const referrer = v.referrer ?? v.page.referrer
  const chat = v.chat
  return (
    <tr
      id={rowId(v.id)}
      aria-rowindex={index + 2}
      aria-selected={selected}
      data-testid="visitor-row"
      data-visitor-id={v.id}
      data-index={index}
      class={selected ? 'vrow selected' : 'vrow'}
      style={{ top: `${index * ROW_PX}px` }}
    >
      <td class="who" title={visitorLabel(v, v.id)}>
        <strong>{visitorLabel(v, v.id)}</strong>
        {v.authenticated && (
          <span class="tag" title="Authenticated user">
            user
          </span>
        )}
        {v.departments.map((d) => (
          <span key={d} class="tag dept">
            {d}
          </span>
        ))}
      </td>
      <td class="page" data-testid="visitor-page" title={v.page.url}>
        <span class="title">{v.page.title || '(untitled)'}</span>
        <span class="url">{shortUrl(v.page.url)}</span>
      </td>
      <td class="num" data-testid="time-on-page">
        {duration(now - v.pageSince)}
      </td>
      <td class="num" title={`visit ${v.visits}, ${v.visits > 1 ? 'returning' : 'new'}`}>
        {`#${v.visits}`}
        <Sub text={v.visits > 1 ? 'returning' : 'new'} />
      </td>
      <td class="num" data-testid="visitor-pages">
        {String(v.pageViews)}
      </td>
      <td title={joined([v.geo.city, v.geo.region, v.geo.country], ', ')}>
        {v.geo.country ?? '—'}
        {v.geo.city && <Sub text={v.geo.city} />}
      </td>
      <td title={joined([v.device.os, v.device.browser, v.device.platform], ' · ')}>
        {joined([v.device.os, v.device.browser], ' · ')}
        <Sub text={v.device.platform} />
      </td>
      <td title="source, medium · campaign">
        {v.utm.source ?? '—'}
        {(v.utm.medium || v.utm.campaign) && <Sub text={joined([v.utm.medium, v.utm.campaign], ' · ')} />}
      </td>
      <td class="referrer" title={referrer ?? ''}>
        {referrerLabel(referrer)}
      </td>
      <td class={v.widgetOpen ? 'on' : undefined}>{v.widgetOpen ? 'open' : '—'}</td>
      <td
        data-testid="visitor-chat"
        title={chat ? joined([chat.state, chat.operator && store.operatorLabel(chat.operator)], ' · ') : ''}
      >
        {chat ? (
          <>
            <span class={`pill chat-${chat.state}`}>{chat.state}</span>
            {chat.operator && <Sub text={store.operatorLabel(chat.operator)} />}
          </>
        ) : (
          '—'
        )}
      </td>
    </tr>
  )
}

/** A row whose visitor the node has not sent yet (the window is moving there). */
const PendingRow = ({ index }: { index: number }) => (
  <tr aria-rowindex={index + 2} class="vrow pending" style={{ top: `${index * ROW_PX}px` }}>
    <td colSpan={COLUMNS.length}>Loading…</td>
  </tr>
)

/**
 * The live visitors, sorted and filtered by the node: a grid of `total` fixed-height rows
 * that renders only those in view (and a few more), from the window the node sends. Arrow
 * keys, Page Up/Down, Home and End move the selection. Time on page ticks from `pageSince`.
 */
export function VisitorList() {
  const store = useConsole()
  const list = store.list
  const scroller = useRef<HTMLDivElement>(null)
  const top = useSignal(0)
  const height = useSignal(ROW_PX * 12)
  /** A row the keyboard moved to before its visitor arrived. */
  const pending = useRef<number | undefined>(undefined)

  const total = list.total.value
  const offset = list.offset.value
  const ids = list.ids.value
  const rows = list.rows.value
  const now = store.now.value
  const selected = store.selected.value?.summary.id
  const first = Math.floor(top.value / ROW_PX)
  const count = Math.ceil(height.value / ROW_PX) + 1
  const from = Math.max(0, first - OVERSCAN)
  const to = Math.min(total, first + count + OVERSCAN)
  const at = (index: number): VisitorSummary | undefined => {
    const id = ids[index - offset]
    return id === undefined ? undefined : rows.get(id)
  }

  useLayoutEffect(() => {
    const el = scroller.current
    if (!el) return
    const header = el.querySelector('.vhead')
    const observer = new ResizeObserver(() => {
      height.value = el.clientHeight - (header?.clientHeight ?? 0)
    })
    observer.observe(el)
    return () => observer.disconnect()
  }, [])
  useEffect(() => list.viewport(first, count), [first, count, total])
  // New filters or sort: back to the top, where the new snapshot starts.
  useSignalEffect(() => {
    list.filter.value
    list.sort.value
    if (scroller.current) scroller.current.scrollTop = 0
  })
  useEffect(() => {
    const index = pending.current
    const v = index === undefined ? undefined : at(index)
    if (v) {
      pending.current = undefined
      store.select(v.id)
    }
  })

  const reveal = (index: number) => {
    const el = scroller.current
    if (!el) return
    const y = index * ROW_PX
    if (y < el.scrollTop) el.scrollTop = y
    else if (y + ROW_PX > el.scrollTop + height.value) el.scrollTop = y + ROW_PX - height.value
  }
  const onKeyDown = (event: KeyboardEvent) => {
    const step = PAGE_KEYS[event.key]
    if (!step || total === 0) return
    event.preventDefault()
    const current = selected === undefined ? -1 : ids.indexOf(selected)
    const index = current < 0 ? first - (event.key === 'ArrowDown' ? 1 : 0) : offset + current
    const target = Math.max(0, Math.min(total - 1, step(index, count - 1, total)))
    reveal(target)
    const v = at(target)
    pending.current = v ? undefined : target
    if (v) store.select(v.id)
  }

  const shown: preact.JSX.Element[] = []
  for (let i = from; i < to; i++) {
    const v = at(i)
    shown.push(
      v ? (
        <VisitorRow key={v.id} v={v} index={i} now={now} selected={v.id === selected} />
      ) : (
        <PendingRow key={`pending-${i}`} index={i} />
      ),
    )
  }
  const active = selected !== undefined && shown.some((r) => r.key === selected) ? rowId(selected) : undefined
  const filtered = Object.keys(list.filter.value).length > 0
  return (
    <section class="card visitors">
      <h2>
        Visitors online{' '}
        <span class="count" data-testid="visitor-count">
          {`${COUNT.format(total)} ${total === 1 ? 'visitor' : 'visitors'}`}
        </span>
      </h2>
      <VisitorFilters />
      <div ref={scroller} class="vscroll" onScroll={(e) => (top.value = e.currentTarget.scrollTop)}>
        <table
          class="vgrid"
          // biome-ignore lint/a11y/noNoninteractiveElementToInteractiveRole: ARIA allows grid on a table; its rows are selected by keyboard
          role="grid"
          tabIndex={0}
          aria-label="Visitors online"
          aria-rowcount={total + 1}
          aria-colcount={COLUMNS.length}
          aria-activedescendant={active}
          aria-busy={list.loading.value}
          data-testid="visitor-grid"
          onKeyDown={onKeyDown}
          onClick={(e) => {
            const id = (e.target as Element).closest('[data-visitor-id]')?.getAttribute('data-visitor-id')
            if (id) store.select(id)
          }}
        >
          <thead class="vhead">
            <tr aria-rowindex={1} class="vrow">
              {COLUMNS.map((c) => (
                <th key={c} scope="col" class={NUMERIC.has(c) ? 'num' : undefined}>
                  {c}
                </th>
              ))}
            </tr>
          </thead>
          <tbody class="vbody" style={{ height: `${Math.max(1, total) * ROW_PX}px` }}>
            {total === 0 ? (
              <tr class="vrow empty">
                <td colSpan={COLUMNS.length}>
                  {filtered ? 'No visitors match these filters.' : 'No visitors online right now.'}
                </td>
              </tr>
            ) : (
              shown
            )}
          </tbody>
        </table>
      </div>
    </section>
  )
}
