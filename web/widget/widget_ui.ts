import type {
  InvitationAction,
  InviteButton,
  InviteFrame,
  Rating,
  TeamState,
  TypingFrame,
} from '../../shared/src/protocol.js'
import { TYPING_SHOWN_MS, TypingSender } from '../../shared/src/typing_policy.js'
import type { ConnectionState } from './connection.js'
import { MAX_TEXT_LENGTH, MAX_USER_FIELD } from './limits.js'
import type { WidgetChatFrame, WidgetMsgFrame } from './server_frame.js'
import { WIDGET_CSS } from './widget_styles.js'

/** What the visitor did, for the widget to turn into frames. */
export interface UiActions {
  panel(open: boolean): void
  invitation(id: string, action: InvitationAction, button?: number): void
  contact(details: { name?: string; email?: string }): void
  /** `ref` names the message until the server stores it (or refuses it, naming the same ref). */
  message(text: string, ref: string): void
  rate(value: Rating): void
  /** A message left through the offline form (no operator available). */
  offline(details: OfflineDetails): void
  typing(on: boolean): void
}

export interface OfflineDetails {
  name?: string
  email: string
  text: string
}

const RATINGS: ReadonlyArray<[Rating, string]> = [
  ['great', 'Great'],
  ['average', 'Average'],
  ['poor', 'Poor'],
]

// Static markup only: every server-provided string is set with textContent. Buttons outside a
// form need no type; lines are not indented, as every byte counts against the budget.
const TEMPLATE = `<div class="root">
<section class="panel card" data-testid="panel" role="dialog" aria-modal="true" aria-labelledby="t" hidden>
<header><strong id="t">Chat with us</strong><span class="state" data-testid="chat-state"></span>
<button class="x" data-testid="panel-close" aria-label="Close chat">&times;</button></header>
<ol class="messages" data-testid="messages" aria-live="polite"></ol>
<p class="typing" data-testid="typing" hidden></p>
<div class="rating" data-testid="rating" hidden><span>How was this chat?</span>
${RATINGS.map(([value, label]) => `<button data-testid="rate-${value}" data-value="${value}">${label}</button>`).join('')}</div>
<form class="composer" data-testid="composer">
<input data-testid="input" maxlength="${MAX_TEXT_LENGTH}" placeholder="Write a message…" aria-label="Message" autocomplete="off">
<button class="primary" data-testid="send">Send</button></form>
<form class="offline" data-testid="offline-form" novalidate>
<p>Nobody is free right now: we will reply by email.</p>
<label>Name (optional)<input name="name" data-testid="offline-name" maxlength="${MAX_USER_FIELD}" autocomplete="name"></label>
<label>Email<input name="email" type="email" required data-testid="offline-email" maxlength="${MAX_USER_FIELD}" autocomplete="email"></label>
<label>Message<textarea name="text" required rows="4" data-testid="offline-text" maxlength="${MAX_TEXT_LENGTH}"></textarea></label>
<p class="error" data-testid="offline-error" role="alert" hidden></p>
<button class="primary" data-testid="offline-send"></button></form>
<p class="done" data-testid="offline-done" role="status"></p>
</section>
<p class="sr" data-testid="announcer" aria-live="polite"></p>
<div class="bubble card" data-testid="bubble" role="region" aria-label="Invitation" hidden>
<button class="x" data-testid="bubble-dismiss" aria-label="Dismiss">&times;</button>
<img class="media" data-testid="bubble-media" hidden>
<p class="text" data-testid="bubble-text"></p><p class="follow" data-testid="bubble-followup"></p>
<div class="buttons" data-testid="bubble-buttons"></div>
<form data-testid="bubble-form">
<input name="name" data-testid="bubble-name" placeholder="Your name" maxlength="${MAX_USER_FIELD}" autocomplete="name" hidden>
<input name="email" type="email" data-testid="bubble-email" placeholder="Your email" maxlength="${MAX_USER_FIELD}" autocomplete="email" hidden>
<button class="primary" data-testid="bubble-open">Chat with us</button></form>
</div>
<button class="launcher" data-testid="launcher" aria-label="Open chat" aria-expanded="false">
<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M21 12a8 8 0 0 1-11.6 7.1L4 20l1-4.6A8 8 0 1 1 21 12z"/></svg>
<span class="badge" data-testid="unread" hidden></span></button>
</div>`

/** What the panel shows: the chat, the offline form, or the offline form's confirmation. */
type View = 'chat' | 'offline' | 'sent'

const live = (chat: WidgetChatFrame | undefined): boolean => chat?.state === 'open' || chat?.state === 'assigned'

/**
 * The bubble (invitation), launcher and chat panel inside a shadow root. Renders what the
 * server sends and reports the visitor's actions; message ids are rendered once, so replays
 * and other tabs' echoes do not duplicate lines.
 */
export class WidgetUi {
  readonly host: HTMLElement
  private readonly shadow: ShadowRoot
  private invite: InviteFrame | undefined
  private chat: WidgetChatFrame | undefined
  private rated: string | undefined
  private team: TeamState | undefined
  /** The offline form was sent (`true` once acknowledged) with these details. */
  private offlineSent: { details: OfflineDetails; done: boolean } | undefined
  /** The email of an invitation form, until the server confirms it. */
  private leadEmail: string | undefined
  private readonly typingOut: TypingSender
  private typingTimer: ReturnType<typeof setTimeout> | undefined
  private connection: ConnectionState = 'online'
  private unread = 0
  private readonly seen = new Set<string>()
  isOpen = false

  constructor(private readonly actions: UiActions) {
    this.typingOut = new TypingSender((on) => actions.typing(on))
    this.host = document.createElement('beckon-widget')
    this.shadow = this.host.attachShadow({ mode: 'open' })
    const style = document.createElement('style')
    style.textContent = WIDGET_CSS
    this.shadow.append(style)
    const template = document.createElement('template')
    template.innerHTML = TEMPLATE
    this.shadow.append(template.content)

    const on = (part: string, type: string, listener: (event: Event) => void) =>
      this.part(part).addEventListener(type, (event) => {
        if (type === 'submit') event.preventDefault()
        listener(event)
      })
    on('launcher', 'click', () => (this.isOpen ? this.close() : this.open()))
    on('panel-close', 'click', () => this.close())
    on('bubble-dismiss', 'click', () => this.dismissInvite())
    on('bubble-form', 'submit', () => this.acceptInvite())
    on('composer', 'submit', () => this.submitMessage())
    on('input', 'input', () => {
      if (live(this.chat)) this.typingOut.input(this.part<HTMLInputElement>('input').value)
    })
    on('offline-form', 'submit', () => this.submitOffline())
    on('offline-form', 'input', (event) => (event.target as HTMLElement).removeAttribute('aria-invalid'))
    on('rating', 'click', (event) => {
      const value = (event.target as HTMLElement).closest('button')?.dataset.value
      const rating = RATINGS.find(([r]) => r === value)?.[0]
      if (rating) this.rate(rating)
    })
    this.shadow.addEventListener('keydown', (event) => this.key(event as KeyboardEvent))
    this.renderView()
  }

  /** Escape closes the panel; Tab and Shift+Tab cycle through its controls while focus is inside. */
  private key(event: KeyboardEvent): void {
    if (!this.isOpen) return
    if (event.key === 'Escape') return this.close()
    const panel = this.part('panel')
    const active = this.shadow.activeElement
    if (event.key !== 'Tab' || !active || !panel.contains(active)) return
    const controls = [...panel.querySelectorAll<HTMLElement>('button,input,textarea,a[href]')].filter(
      (c) => !(c as HTMLButtonElement).disabled && c.offsetParent,
    )
    const edge = event.shiftKey ? controls[0] : controls.at(-1)
    if (active !== edge) return
    event.preventDefault()
    ;(event.shiftKey ? controls.at(-1) : controls[0])?.focus()
  }

  private part<T extends HTMLElement = HTMLElement>(testId: string): T {
    // The template is static: every part exists.
    return this.shadow.querySelector<T>(`[data-testid="${testId}"]`) as T
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
    this.toggle(true)
    this.setUnread(0)
    this.scrollDown()
    if (focus) this.part(this.view() === 'offline' ? 'offline-name' : 'input').focus()
  }

  /** Closes the panel; focus inside it goes back to the launcher. */
  close(): void {
    if (!this.isOpen) return
    const focused = this.part('panel').contains(this.shadow.activeElement)
    this.toggle(false)
    if (focused) this.part('launcher').focus()
  }

  private toggle(open: boolean): void {
    this.isOpen = open
    this.part('panel').hidden = !open
    this.host.classList.toggle('open', open)
    this.part('launcher').setAttribute('aria-expanded', String(open))
    this.actions.panel(open)
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
    this.announce(invite.text)
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
    }
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
    if (details.name !== undefined || details.email !== undefined) {
      this.leadEmail = details.email
      this.actions.contact(details)
    }
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
  addMessage(msg: WidgetMsgFrame): void {
    if (this.seen.has(msg.id)) return
    this.seen.add(msg.id)
    const own = msg.from === 'visitor' ? this.own(msg.ref, msg.text) : undefined
    if (own) {
      own.classList.remove('pending', 'failed')
      own.querySelector('button')?.remove()
    } else this.line(msg.from === 'system' ? 'note' : msg.from, msg.text)
    if (msg.from !== 'operator') return
    this.showTyping(false)
    if (this.isOpen) return
    this.setUnread(this.unread + 1)
    this.announce(`New message: ${msg.text}`)
  }

  /** The operator of the open chat started or stopped typing. */
  typing(frame: TypingFrame): void {
    if (frame.conversation === this.chat?.conversation) this.showTyping(frame.on)
  }

  /** "… is typing" until `off`, the operator's message, or TYPING_SHOWN_MS without a fresh `on`. */
  private showTyping(on: boolean): void {
    clearTimeout(this.typingTimer)
    const typing = this.part('typing')
    typing.hidden = !on
    typing.textContent = `${this.chat?.operatorName ?? 'Operator'} is typing…`
    if (on) this.typingTimer = setTimeout(() => this.showTyping(false), TYPING_SHOWN_MS)
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
    retry.dataset.testid = 'retry'
    retry.textContent = 'Not sent · Retry'
    retry.addEventListener('click', () => {
      retry.remove()
      li.classList.replace('failed', 'pending')
      this.actions.message(li.firstChild?.textContent ?? '', ref)
    })
    li.append(retry)
  }

  /**
   * A chat state: its invitation becomes the transcript's first entry (once), and "… joined
   * the chat" is noted when an operator accepts while this page watches (a replay only sets
   * the header).
   */
  setChat(chat: WidgetChatFrame): void {
    const before = this.chat?.conversation === chat.conversation ? this.chat : undefined
    this.chat = chat
    const invitation = chat.invitation?.text
    const messages = this.part('messages')
    if (invitation && ![...messages.querySelectorAll('.invite')].some((li) => li.textContent === invitation))
      messages.prepend(this.item('operator invite', invitation))
    const joined = chat.state === 'assigned' && chat.accepted === true
    // Without an earlier state on this page, only a chat this page's message is starting.
    const watched = before
      ? !(before.accepted && before.operator === chat.operator)
      : messages.querySelector('.visitor.pending') !== null
    if (joined && watched) this.line('note', `${chat.operatorName ?? 'An operator'} joined the chat`)
    if (!live(chat)) {
      this.showTyping(false)
      this.typingOut.stop()
    }
    this.part('rating').hidden = chat.state !== 'closed' || this.rated === chat.conversation
    this.renderView()
  }

  /** Whether an operator is online and available (welcome `team` and `team` frames). */
  setTeam(team: TeamState): void {
    this.team = team
    this.renderView()
  }

  /** The offline message was stored (`offline {ok}`). */
  offlineStored(): void {
    if (this.offlineSent) this.offlineSent.done = true
    this.renderView()
  }

  /** The offline message was refused or lost: the form comes back with the reason. */
  offlineFailed(reason: string): void {
    this.offlineSent = undefined
    this.renderView()
    this.showOfflineError(`Not sent (${reason}): please try again.`)
  }

  /** The invitation form's details were stored as a lead (`contact {ok}`). */
  leadStored(): void {
    if (this.leadEmail) this.line('note', `Thanks! We will reply to ${this.leadEmail} if we miss you.`)
    this.leadEmail = undefined
  }

  /** Offline form while nobody can take a chat and none is running; its confirmation once sent. */
  private view(): View {
    if (this.offlineSent?.done) return 'sent'
    return this.team && !this.team.available && !live(this.chat) ? 'offline' : 'chat'
  }

  private renderView(): void {
    const view = this.view()
    const panel = this.part('panel')
    panel.dataset.view = view
    const sent = this.offlineSent
    const button = this.part<HTMLButtonElement>('offline-send')
    button.disabled = sent !== undefined
    button.textContent = sent ? 'Sending…' : 'Send message'
    if (sent?.done) {
      const { name, email } = sent.details
      this.part('offline-done').textContent =
        `Thanks${name ? `, ${name}` : ''}! We got your message and will reply to ${email}.`
    }
    this.renderState()
  }

  /** Shows whether the chat can reach the server right now. */
  setConnection(state: ConnectionState): void {
    this.connection = state
    this.renderState()
  }

  private renderState(): void {
    const chat = this.chat
    const connection = this.connection
    this.part('chat-state').textContent =
      connection === 'reconnecting'
        ? 'Reconnecting…'
        : connection === 'stopped'
          ? 'Chat unavailable'
          : this.view() !== 'chat'
            ? this.offlineSent?.done
              ? 'Message sent'
              : 'Leave us a message'
            : chat?.state === 'closed'
              ? 'Chat ended'
              : chat?.state === 'assigned' && chat.accepted
                ? `${chat.operatorName ?? 'An operator'} is with you`
                : chat
                  ? 'Waiting for an operator…'
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
    const text = input.value.trim().slice(0, MAX_TEXT_LENGTH)
    if (!text) return
    input.value = ''
    this.typingOut.stop()
    this.send(text)
  }

  private submitOffline(): void {
    const form = this.part<HTMLFormElement>('offline-form')
    const fields = [...form.querySelectorAll<HTMLInputElement | HTMLTextAreaElement>('input,textarea')]
    const invalid = fields.find((field) => !field.checkValidity())
    if (invalid) {
      invalid.setAttribute('aria-invalid', 'true')
      invalid.focus()
      // The browser's own message, in the visitor's language; the server checks the email again.
      return this.showOfflineError(invalid.validationMessage)
    }
    this.part('offline-error').hidden = true
    const [name, email, text] = fields.map((field) => field.value.trim()) as [string, string, string]
    const details: OfflineDetails = name ? { name, email, text } : { email, text }
    this.offlineSent = { details, done: false }
    this.renderView()
    this.actions.offline(details)
  }

  private showOfflineError(text: string): void {
    const error = this.part('offline-error')
    error.textContent = text
    error.hidden = false
  }

  /** Tells screen readers about something outside the open panel's live log. */
  private announce(text: string): void {
    this.part('announcer').textContent = text
  }

  /** Shows the visitor's message as pending under a fresh ref, matched by the server's answer. */
  private send(text: string): void {
    const ref = `w${Date.now().toString(36)}${Math.random().toString(36).slice(2, 10)}`
    this.line('visitor pending', text).dataset.ref = ref
    this.actions.message(text, ref)
  }

  private line(classes: string, text: string): HTMLElement {
    const li = this.item(classes, text)
    this.part('messages').append(li)
    this.scrollDown()
    return li
  }

  private item(classes: string, text: string): HTMLElement {
    const li = document.createElement('li')
    li.className = classes
    li.dataset.testid = 'message'
    li.dataset.from = classes.split(' ')[0]
    li.append(text)
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
