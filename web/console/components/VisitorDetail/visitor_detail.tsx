import './visitor_detail.css'
import { useSignal } from '@preact/signals'
import { useEffect } from 'preact/hooks'
import { UTM_KEYS, type VisitorSummary } from '../../../../shared/src/protocol.js'
import { useConsole } from '../../state/console_context.js'
import { clock, duration, joined, visitorLabel } from '../../state/format.js'
import { VisitorTimeline } from '../VisitorTimeline/visitor_timeline.js'

const DEFAULT_INVITE = 'Hi! Can I help you with anything?'

function fields(
  v: VisitorSummary,
  left: boolean,
  now: number,
  operator: (id: string) => string,
): Array<[string, string]> {
  const utm = UTM_KEYS.map((k) => (v.utm[k] ? `${k}=${v.utm[k]}` : undefined))
  return [
    ['Id', v.id],
    ['Name', v.name ?? '—'],
    ['Email', v.email ?? '—'],
    ['Authenticated', v.authenticated ? 'yes' : 'no'],
    ['Departments', joined(v.departments, ', ')],
    ['Page', v.page.title || '(untitled)'],
    ['URL', v.page.url],
    ['Page referrer', v.page.referrer ?? '—'],
    ['Time on page', left ? '—' : duration(now - v.pageSince)],
    ['Visit length', left ? '—' : duration(now - v.visitSince)],
    ['Visit started', clock(v.visitSince)],
    ['Visits', v.visits > 1 ? `${v.visits} (returning)` : '1 (new)'],
    ['Pages this visit', String(v.pageViews)],
    ['Visit referrer', v.referrer ?? 'direct'],
    ['Landing page', v.source ?? '—'],
    ['UTM', joined(utm, ', ')],
    ['Location', joined([v.geo.country, v.geo.region, v.geo.city], ', ')],
    ['Device', joined([v.device.platform, v.device.os, v.device.browser])],
    ['Language', v.language ?? '—'],
    ['Widget', v.widgetOpen ? 'open' : 'closed'],
    ['Tabs', String(v.tabs)],
    ['Chat', v.chat ? joined([v.chat.state, v.chat.operator && operator(v.chat.operator)], ' · ') : 'none'],
  ]
}

/** The manual invitation: "Invite" lets the chat begin when the visitor replies, "Invite + start chat" opens it now. */
function InviteForm({ visitor, left }: { visitor: VisitorSummary; left: boolean }) {
  const store = useConsole()
  const text = useSignal(DEFAULT_INVITE)
  const assignToMe = useSignal(true)
  const note = useSignal('')
  useEffect(() => {
    note.value = ''
  }, [visitor.id])
  const off = left || text.value.trim() === ''
  const invite = (startChat: boolean) => {
    const body = text.value.trim()
    if (off) return
    const sent = store.invite({
      visitor: visitor.id,
      text: body,
      startChat,
      assignToMe: startChat || assignToMe.value,
    })
    note.value = !sent
      ? 'Not connected: the invitation was not sent.'
      : startChat
        ? 'Chat started.'
        : 'Invitation sent; the chat starts when the visitor replies.'
  }
  return (
    <div class="invite">
      <label class="stack">
        Invitation
        <textarea
          data-testid="invite-text"
          rows={2}
          maxLength={2000}
          aria-label="Invitation text"
          value={text.value}
          onInput={(e) => (text.value = e.currentTarget.value)}
        />
      </label>
      <div class="row">
        <label class="check">
          <input
            type="checkbox"
            data-testid="assign-to-me"
            checked={assignToMe.value}
            onChange={(e) => (assignToMe.value = e.currentTarget.checked)}
          />
          assign to me
        </label>
        <button type="button" data-testid="invite" disabled={off} onClick={() => invite(false)}>
          Invite
        </button>
        <button type="button" class="primary" data-testid="invite-start" disabled={off} onClick={() => invite(true)}>
          Invite + start chat
        </button>
      </div>
      <p class="note" data-testid="invite-note" role="status">
        {note.value}
      </p>
    </div>
  )
}

/** The selected visitor: every field of its summary, live, the manual invitation form and its timeline. */
export function VisitorDetail() {
  const store = useConsole()
  const selected = store.selected.value
  const now = store.now.value
  if (!selected) {
    return (
      <section class="card detail" data-testid="detail">
        <h2>Visitor</h2>
        <p class="placeholder">
          Select a visitor in the table to see everything about them and to invite them to chat.
        </p>
      </section>
    )
  }
  const { summary: v, left } = selected
  return (
    <section class={`card detail${left ? ' left' : ''}`} data-testid="detail">
      <h2>{visitorLabel(v, v.id) + (left ? ' (left)' : '')}</h2>
      <div class="body">
        <dl class="fields">
          {fields(v, left, now, (id) => store.operatorLabel(id)).map(([label, value]) => (
            <div class="field" key={label}>
              <dt>{label}</dt>
              <dd>{value}</dd>
            </div>
          ))}
        </dl>
        <div class="actions">
          <InviteForm visitor={v} left={left} />
          {v.chat && (
            <button type="button" data-testid="open-chat" onClick={() => store.chats.fromSummary(v, true)}>
              Open chat
            </button>
          )}
        </div>
      </div>
      <VisitorTimeline visitor={v} left={left} />
    </section>
  )
}
