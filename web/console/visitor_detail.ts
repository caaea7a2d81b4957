import { UTM_KEYS, type VisitorSummary } from '../../shared/src/protocol.js'
import { el } from './dom.js'
import { clock, duration, joined, visitorLabel } from './format.js'

export interface InviteRequest {
  visitor: string
  text: string
  startChat: boolean
  assignToMe: boolean
}

export interface DetailActions {
  /** Returns false when it could not be sent (offline). */
  invite(request: InviteRequest): boolean
  openChat(visitor: VisitorSummary): void
}

const DEFAULT_INVITE = 'Hi! Can I help you with anything?'

/**
 * The selected visitor: every field of its summary, live, and the manual invitation form.
 * "Invite" lets the chat begin when the visitor replies (assigned to this operator when
 * "assign to me" is checked); "Invite + start chat" opens it at once, assigned to this operator.
 */
export class VisitorDetail {
  private visitor: VisitorSummary | undefined
  private left = false
  private readonly fields = el('dl', { className: 'fields' })
  private readonly heading = el('h2', { text: 'Visitor' })
  private readonly note = el('p', { className: 'note', testid: 'invite-note', attrs: { role: 'status' } })
  private readonly text = el('textarea', {
    testid: 'invite-text',
    attrs: { rows: '2', maxlength: '2000', 'aria-label': 'Invitation text' },
  })
  private readonly assignToMe = el('input', { testid: 'assign-to-me', attrs: { type: 'checkbox' } })
  private readonly inviteButton = el('button', { text: 'Invite', testid: 'invite', attrs: { type: 'button' } })
  private readonly startButton = el('button', {
    text: 'Invite + start chat',
    testid: 'invite-start',
    className: 'primary',
    attrs: { type: 'button' },
  })
  private readonly chatButton = el('button', { text: 'Open chat', testid: 'open-chat', attrs: { type: 'button' } })
  private readonly placeholder = el('p', {
    className: 'placeholder',
    text: 'Select a visitor in the table to see everything about them and to invite them to chat.',
  })
  private readonly body = el('div', { className: 'body' })
  private readonly time = el('dd')
  private readonly visitTime = el('dd')

  constructor(
    private readonly root: HTMLElement,
    private readonly actions: DetailActions,
  ) {
    this.text.value = DEFAULT_INVITE
    this.assignToMe.checked = true
    this.inviteButton.addEventListener('click', () => this.invite(false))
    this.startButton.addEventListener('click', () => this.invite(true))
    this.chatButton.addEventListener('click', () => this.visitor && this.actions.openChat(this.visitor))
    this.text.addEventListener('input', () => this.updateButtons())
    root.dataset.testid = 'detail'
    this.build()
    this.render()
  }

  get selected(): string | undefined {
    return this.visitor?.id
  }

  show(visitor: VisitorSummary): void {
    if (this.visitor?.id !== visitor.id) this.note.textContent = ''
    this.visitor = visitor
    this.left = false
    this.render()
  }

  /** A summary changed: redraws when it is the selected visitor. */
  update(visitor: VisitorSummary): void {
    if (this.visitor?.id !== visitor.id) return
    this.visitor = visitor
    this.left = false
    this.render()
  }

  /** The visitor went offline: the details stay readable, inviting is off. */
  gone(id: string): void {
    if (this.visitor?.id !== id) return
    this.left = true
    this.render()
  }

  tick(now: number): void {
    if (!this.visitor || this.left) return
    this.time.textContent = duration(now - this.visitor.pageSince)
    this.visitTime.textContent = duration(now - this.visitor.visitSince)
  }

  private invite(startChat: boolean): void {
    const v = this.visitor
    const text = this.text.value.trim()
    if (!v || !text || this.left) return
    const sent = this.actions.invite({
      visitor: v.id,
      text,
      startChat,
      assignToMe: startChat || this.assignToMe.checked,
    })
    this.note.textContent = !sent
      ? 'Not connected: the invitation was not sent.'
      : startChat
        ? 'Chat started.'
        : 'Invitation sent; the chat starts when the visitor replies.'
  }

  private updateButtons(): void {
    const off = !this.visitor || this.left || this.text.value.trim() === ''
    this.inviteButton.disabled = off
    this.startButton.disabled = off
  }

  /** Builds the panel once: redraws only replace the field list, so typing is never interrupted. */
  private build(): void {
    const form = el('div', { className: 'invite' }, [
      el('label', { className: 'stack' }, ['Invitation', this.text]),
      el('div', { className: 'row' }, [
        el('label', { className: 'check' }, [this.assignToMe, 'assign to me']),
        this.inviteButton,
        this.startButton,
      ]),
      this.note,
    ])
    this.root.replaceChildren(this.heading, this.placeholder, this.body)
    this.body.append(this.fields, el('div', { className: 'actions' }, [form, this.chatButton]))
  }

  private render(): void {
    const v = this.visitor
    this.root.classList.toggle('left', this.left)
    this.placeholder.hidden = v !== undefined
    this.body.hidden = v === undefined
    this.updateButtons()
    if (!v) return
    this.heading.textContent = visitorLabel(v, v.id) + (this.left ? ' (left)' : '')
    const now = Date.now()
    this.time.textContent = this.left ? '—' : duration(now - v.pageSince)
    this.visitTime.textContent = this.left ? '—' : duration(now - v.visitSince)
    const utm = UTM_KEYS.map((k) => (v.utm[k] ? `${k}=${v.utm[k]}` : undefined))
    const rows: Array<[string, HTMLElement | string]> = [
      ['Id', v.id],
      ['Name', v.name ?? '—'],
      ['Email', v.email ?? '—'],
      ['Authenticated', v.authenticated ? 'yes' : 'no'],
      ['Departments', joined(v.departments, ', ')],
      ['Page', v.page.title || '(untitled)'],
      ['URL', v.page.url],
      ['Page referrer', v.page.referrer ?? '—'],
      ['Time on page', this.time],
      ['Visit length', this.visitTime],
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
      ['Chat', v.chat ? joined([v.chat.state, v.chat.operator], ' · ') : 'none'],
    ]
    this.fields.replaceChildren(
      ...rows.map(([label, value]) =>
        el('div', { className: 'field' }, [
          el('dt', { text: label }),
          typeof value === 'string' ? el('dd', { text: value }) : value,
        ]),
      ),
    )
    this.chatButton.hidden = !v.chat
  }
}
