import type {
  ChatFrame,
  InvitationAction,
  InviteButton,
  InviteFrame,
  MsgFrame,
  Rating,
} from '../../shared/src/protocol.js'
import type { ConnectionState } from './connection.js'
import { WIDGET_LIMITS } from './limits.js'
import { WIDGET_CSS } from './widget_styles.js'

/** What the visitor did, for the widget to turn into frames. */
export interface UiActions {
  panel(open: boolean): void
  invitation(id: string, action: InvitationAction, button?: number): void
  contact(details: { name?: string; email?: string }): void
  /** `ref` names the message until the server stores it (or refuses it, naming the same ref). */
  message(text: string, ref: string): void
  rate(value: Rating): void
}

const RATINGS: ReadonlyArray<[Rating, string]> = [
  ['great', 'Great'],
  ['average', 'Average'],
  ['poor', 'Poor'],
]

// Static markup only: every server-provided string is set with textContent.
const TEMPLATE = `
<div class="root">
  <section class="panel card" data-testid="panel" role="dialog" aria-label="Chat" hidden>
    <header><strong>Chat with us</strong><span class="state" data-testid="chat-state"></span>
      <button type="button" class="x" data-testid="panel-close" aria-label="Close chat">&times;</button></header>
    <ol class="messages" data-testid="messages" aria-live="polite"></ol>
    <div class="rating" data-testid="rating" hidden><span>How was this chat?</span>
      ${RATINGS.map(([value, label]) => `<button type="button" data-testid="rate-${value}" data-value="${value}">${label}</button>`).join('')}</div>
    <form class="composer" data-testid="composer">
      <input data-testid="input" maxlength="${WIDGET_LIMITS.maxTextLength}" placeholder="Write a message…" aria-label="Message" autocomplete="off">
      <button type="submit" class="primary" data-testid="send">Send</button></form>
  </section>
  <div class="bubble card" data-testid="bubble" role="status" hidden>
    <button type="button" class="x" data-testid="bubble-dismiss" aria-label="Dismiss">&times;</button>
    <img class="media" data-testid="bubble-media" hidden>
    <p class="text" data-testid="bubble-text"></p><p class="follow" data-testid="bubble-followup"></p>
    <div class="buttons" data-testid="bubble-buttons"></div>
    <form data-testid="bubble-form">
      <input name="name" data-testid="bubble-name" placeholder="Your name" maxlength="${WIDGET_LIMITS.maxUserField}" autocomplete="name" hidden>
      <input name="email" type="email" data-testid="bubble-email" placeholder="Your email" maxlength="${WIDGET_LIMITS.maxUserField}" autocomplete="email" hidden>
      <button type="submit" class="primary" data-testid="bubble-open">Chat with us</button></form>
  </div>
  <button type="button" class="launcher" data-testid="launcher" aria-label="Open chat" aria-expanded="false">
    <svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="M21 12a8 8 0 0 1-11.6 7.1L4 20l1-4.6A8 8 0 1 1 21 12z"/></svg>
    <span class="badge" data-testid="unread" hidden></span></button>
</div>`

const CHAT_STATE_TEXT = {
  open: 'Waiting for an operator…',
  assigned: 'An operator is with you',
  closed: 'Chat ended',
  offline: 'Message sent: we will reply by email',
} as const

/**
 * The bubble (invitation), launcher and chat panel inside a shadow root. Renders what the
 * server sends and reports the visitor's actions; message ids are rendered once, so replays
 * and other tabs' echoes do not duplicate lines.
 */
export class WidgetUi {
  readonly host: HTMLElement
  private readonly shadow: ShadowRoot
  private invite: InviteFrame | undefined
  private chat: ChatFrame | undefined
  private rated: string | undefined
  private connection: ConnectionState = 'online'
  private unread = 0
  private readonly seen = new Set<string>()
  isOpen = false

  constructor(private readonly actions: UiActions) {
    this.host = document.createElement('beckon-widget')
    this.shadow = this.host.attachShadow({ mode: 'open' })
    const style = document.createElement('style')
    style.textContent = WIDGET_CSS
    this.shadow.append(style)
    const template = document.createElement('template')
    template.innerHTML = TEMPLATE
    this.shadow.append(template.content)

    this.part('launcher').addEventListener('click', () => (this.isOpen ? this.close() : this.open()))
    this.part('panel-close').addEventListener('click', () => this.close())
    this.part('bubble-dismiss').addEventListener('click', () => this.dismissInvite())
    this.part<HTMLFormElement>('bubble-form').addEventListener('submit', (event) => {
      event.preventDefault()
      this.acceptInvite()
    })
    this.part<HTMLFormElement>('composer').addEventListener('submit', (event) => {
      event.preventDefault()
      this.submitMessage()
    })
    this.part('rating').addEventListener('click', (event) => {
      const value = (event.target as HTMLElement).closest('button')?.dataset.value
      const rating = RATINGS.find(([r]) => r === value)?.[0]
      if (rating) this.rate(rating)
    })
    this.shadow.addEventListener('keydown', (event) => {
      if ((event as KeyboardEvent).key === 'Escape' && this.isOpen) this.close()
    })
  }

  private part<T extends HTMLElement = HTMLElement>(testId: string): T {
    const element = this.shadow.querySelector<T>(`[data-testid="${testId}"]`)
    if (!element) throw new Error(`beckon: widget part ${testId} missing`)
    return element
  }

  /** Adds the widget to the page; call once document.body exists. */
  mount(): void {
    if (!this.host.isConnected) document.body.append(this.host)
  }

  /** Opens the panel; `focus` false restores it without taking the page's focus. */
  open(focus = true): void {
    if (this.isOpen) return
    const invite = this.invite
    if (invite) {
      this.hideInvite()
      this.actions.invitation(invite.id, 'opened')
      this.line('operator invite', invite.text)
    }
    this.isOpen = true
    this.part('panel').hidden = false
    this.part('launcher').setAttribute('aria-expanded', 'true')
    this.setUnread(0)
    this.scrollDown()
    if (focus) this.part('input').focus()
    this.actions.panel(true)
  }

  close(): void {
    if (!this.isOpen) return
    this.isOpen = false
    this.part('panel').hidden = true
    this.part('launcher').setAttribute('aria-expanded', 'false')
    this.actions.panel(false)
  }

  /**
   * Shows an invitation: as the bubble, or inside the panel when the chat is already open. A
   * pending invitation comes again (`redelivered`) on every page load and reconnect; this page
   * shows each id once; false when it already did.
   */
  showInvite(invite: InviteFrame): boolean {
    if (this.seen.has(invite.id)) return false
    this.seen.add(invite.id)
    if (this.isOpen) {
      this.line('operator invite', invite.text)
      this.actions.invitation(invite.id, 'shown')
      return true
    }
    this.invite = invite
    this.part('bubble-text').textContent = invite.text
    const followUp = this.part('bubble-followup')
    followUp.textContent = invite.followUp ?? ''
    followUp.hidden = !invite.followUp
    for (const field of ['name', 'email'] as const) {
      const input = this.part<HTMLInputElement>(`bubble-${field}`)
      input.hidden = !invite.collect?.includes(field)
      input.value = ''
    }
    const media = this.part<HTMLImageElement>('bubble-media')
    media.hidden = !invite.media
    if (invite.media) {
      media.src = invite.media.url
      media.alt = invite.media.alt
    } else media.removeAttribute('src')
    this.part('bubble-buttons').replaceChildren(...(invite.buttons ?? []).map((b, i) => this.button(invite, b, i)))
    this.part('bubble').hidden = false
    this.actions.invitation(invite.id, 'shown')
    return true
  }

  /** A link opens its (already checked) url in a new tab; a quick reply starts the chat with its label. */
  private button(invite: InviteFrame, button: InviteButton, index: number): HTMLElement {
    const link = 'url' in button
    const element = document.createElement(link ? 'a' : 'button')
    element.textContent = button.label
    element.dataset.testid = 'bubble-button'
    if (link) {
      Object.assign(element, { href: button.url, target: '_blank', rel: 'noopener noreferrer' })
    } else element.setAttribute('type', 'button')
    element.addEventListener('click', () => {
      this.actions.invitation(invite.id, 'clicked', index)
      if (link) return
      this.open()
      this.send(button.label)
    })
    return element
  }

  private acceptInvite(): void {
    if (!this.invite) return
    const form = this.part<HTMLFormElement>('bubble-form')
    if (!form.reportValidity()) return
    const details: { name?: string; email?: string } = {}
    for (const field of ['name', 'email'] as const) {
      const input = this.part<HTMLInputElement>(`bubble-${field}`)
      const value = input.value.trim()
      if (!input.hidden && value) details[field] = value
    }
    if (details.name !== undefined || details.email !== undefined) this.actions.contact(details)
    this.open()
  }

  private dismissInvite(): void {
    const invite = this.invite
    if (!invite) return
    this.hideInvite()
    this.actions.invitation(invite.id, 'dismissed')
  }

  private hideInvite(): void {
    this.invite = undefined
    this.part('bubble').hidden = true
  }

  /** A chat message from the server (either side); the visitor's own echo replaces its pending line. */
  addMessage(msg: MsgFrame): void {
    if (this.seen.has(msg.id)) return
    this.seen.add(msg.id)
    const own = msg.from === 'visitor' ? this.own(msg.ref, msg.text) : undefined
    if (own) {
      own.classList.remove('pending', 'failed')
      own.querySelector('button')?.remove()
    } else this.line(msg.from, msg.text)
    if (msg.from === 'operator' && !this.isOpen) this.setUnread(this.unread + 1)
  }

  /** The visitor's line for `ref` (else the first pending one with this text, from an older server). */
  private own(ref: string | undefined, text?: string): HTMLElement | undefined {
    const lines = [...this.part('messages').querySelectorAll<HTMLElement>('li.visitor')]
    return (
      lines.find((li) => ref !== undefined && li.dataset.ref === ref) ??
      lines.find((li) => li.classList.contains('pending') && li.firstChild?.textContent === text)
    )
  }

  /** The server refused (or the widget could not send) message `ref`: show it failed, with a retry. */
  messageFailed(ref: string): void {
    const li = this.own(ref)
    if (!li?.classList.contains('pending')) return
    li.classList.replace('pending', 'failed')
    const retry = document.createElement('button')
    retry.type = 'button'
    retry.dataset.testid = 'retry'
    retry.textContent = 'Not sent · Retry'
    retry.addEventListener('click', () => {
      retry.remove()
      li.classList.replace('failed', 'pending')
      this.actions.message(li.firstChild?.textContent ?? '', ref)
    })
    li.append(retry)
  }

  setChat(chat: ChatFrame): void {
    this.chat = chat
    this.part('rating').hidden = chat.state !== 'closed' || this.rated === chat.conversation
    this.renderState()
  }

  /** Shows whether the chat can reach the server right now. */
  setConnection(state: ConnectionState): void {
    this.connection = state
    this.renderState()
  }

  private renderState(): void {
    this.part('chat-state').textContent =
      this.connection === 'reconnecting'
        ? 'Reconnecting…'
        : this.connection === 'stopped'
          ? 'Chat unavailable'
          : this.chat
            ? CHAT_STATE_TEXT[this.chat.state]
            : ''
  }

  private rate(value: Rating): void {
    if (!this.chat) return
    this.rated = this.chat.conversation
    this.part('rating').hidden = true
    this.actions.rate(value)
    this.line('note', 'Thanks for your feedback!')
  }

  private submitMessage(): void {
    const input = this.part<HTMLInputElement>('input')
    const text = input.value.trim().slice(0, WIDGET_LIMITS.maxTextLength)
    if (!text) return
    input.value = ''
    this.send(text)
  }

  /** Shows the visitor's message as pending under a fresh ref, matched by the server's answer. */
  private send(text: string): void {
    const ref = `w${Date.now().toString(36)}${Math.random().toString(36).slice(2, 10)}`
    this.line('visitor pending', text).dataset.ref = ref
    this.actions.message(text, ref)
  }

  private line(classes: string, text: string): HTMLElement {
    const li = document.createElement('li')
    li.className = classes
    li.dataset.testid = 'message'
    li.dataset.from = classes.split(' ')[0]
    li.append(text)
    this.part('messages').append(li)
    this.scrollDown()
    return li
  }

  private scrollDown(): void {
    const list = this.part('messages')
    list.scrollTop = list.scrollHeight
  }

  private setUnread(count: number): void {
    this.unread = count
    const badge = this.part('unread')
    badge.textContent = String(count)
    badge.hidden = count === 0
  }
}
