import './visitor_list.css'
import type { VisitorSummary } from '../../../../shared/src/protocol.js'
import { useConsole } from '../../state/console_context.js'
import { duration, host, joined, shortUrl, visitorLabel } from '../../state/format.js'

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

/** A second line in a cell; the space keeps the cell's text readable when copied. */
const Sub = ({ text }: { text: string }) => (
  <>
    {' '}
    <span class="sub">{text}</span>
  </>
)

function VisitorRow({
  v,
  now,
  selected,
  onSelect,
}: {
  v: VisitorSummary
  now: number
  selected: boolean
  onSelect: (id: string) => void
}) {
  const store = useConsole()
  const referrer = v.referrer ?? v.page.referrer
  const chat = v.chat
  return (
    <tr
      data-testid="visitor-row"
      data-visitor-id={v.id}
      tabIndex={0}
      class={selected ? 'selected' : undefined}
      onClick={() => onSelect(v.id)}
      onKeyDown={(event) => {
        if (event.key === 'Enter' || event.key === ' ') {
          event.preventDefault()
          onSelect(v.id)
        }
      }}
    >
      <td class="who">
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
      <td class="num">
        {`#${v.visits}`}
        <Sub text={v.visits > 1 ? 'returning' : 'new'} />
      </td>
      <td class="num">{String(v.pageViews)}</td>
      <td>
        {v.geo.country ?? '—'}
        {v.geo.city && <Sub text={v.geo.city} />}
      </td>
      <td>
        {joined([v.device.os, v.device.browser], ' · ')}
        <Sub text={v.device.platform} />
      </td>
      <td title="source, medium · campaign">
        {v.utm.source ?? '—'}
        {(v.utm.medium || v.utm.campaign) && <Sub text={joined([v.utm.medium, v.utm.campaign], ' · ')} />}
      </td>
      <td title={referrer ?? ''}>{referrer ? host(referrer).replace(/^www\./, '') : 'direct'}</td>
      <td class={v.widgetOpen ? 'on' : undefined}>{v.widgetOpen ? 'open' : '—'}</td>
      <td data-testid="visitor-chat">
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

/**
 * The live visitors table: one row per visitor, newest visit first, updated in place by
 * upserts. The time-on-page cells tick from `pageSince` without any traffic from the node.
 */
export function VisitorList() {
  const store = useConsole()
  const list = store.visitorList.value
  const now = store.now.value
  const selected = store.selected.value?.summary.id
  const onSelect = (id: string) => store.select(id)
  return (
    <section class="card visitors">
      <h2>
        Visitors online{' '}
        <span class="count" data-testid="visitor-count">
          {String(list.length)}
        </span>
      </h2>
      <div class="scroll">
        <table class="grid">
          <thead>
            <tr>
              {COLUMNS.map((c) => (
                <th key={c} scope="col" class={NUMERIC.has(c) ? 'num' : undefined}>
                  {c}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {list.length === 0 ? (
              <tr class="empty">
                <td colSpan={COLUMNS.length}>No visitors online right now.</td>
              </tr>
            ) : (
              list.map((v) => (
                <VisitorRow key={v.id} v={v} now={now} selected={v.id === selected} onSelect={onSelect} />
              ))
            )}
          </tbody>
        </table>
      </div>
    </section>
  )
}
