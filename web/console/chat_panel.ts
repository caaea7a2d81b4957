import type { ChatState, VisitorSummary } from '../../shared/src/protocol.js'
import { el } from './dom.js'
import { clock } from './format.js'
import type { OperatorAction } from './operator_connection.js'
import type { ChatMessageFrame, ChatStateFrame } from './server_frame.js'

interface Conversation {
  id: string
  visitor: string
  state: ChatState
  operator?: string
  messages: ChatMessageFrame[]
  ids: Set<string>
  unread: number
  /** This operator took the chat (accept, invite + start, reply); until then an assignment is an offer. */
  confirmed: boolean
  lastActivity: number
}

export interface ChatActions {
  /** Returns false when it could not be sent (offline). */
  send(action: OperatorAction): boolean
  /** The operator's own id, once authenticated. */
  me(): string | undefined
  /** How to name a visitor (name or short id). */
  label(visitor: string): string
}

/** Closed conversations kept in the list, most recent first. */
const KEEP_CLOSED = 30

/** Orders a conversation's messages: log order, which ids (`CONV-SEQ`) and times both follow. */
function seq(id: string): number {
  const n = Number(id.slice(id.lastIndexOf('-') + 1))
  return Number.isFinite(n) ? n : 0
}

/**
 * The operator's conversations and the selected one's messages. Messages are deduplicated
 * by id, because the node replays the open chats of this operator on every reconnect.
 */
export class ChatPanel {
  private readonly conversations = new Map<string, Conversation>()
  private selected: string | undefined
  /** Select the conversation of this visitor as soon as it appears (after invite + start). */
  private awaiting: string | undefined
  private readonly list = el('ul', { className: 'conversations', testid: 'conversations' })
  private readonly title = el('h3', { text: 'No conversation selected' })
  private readonly state = el('span', { className: 'pill', testid: 'chat-state' })
  private readonly acceptButton = el('button', { text: 'Accept', testid: 'accept', attrs: { type: 'button' } })
  private readonly closeButton = el('button', { text: 'Close chat', testid: 'close-chat', attrs: { type: 'button' } })
  private readonly messages = el('div', {
    className: 'messages',
    testid: 'chat-messages',
    attrs: { role: 'log', 'aria-live': 'polite' },
  })
  private readonly input = el('input', {
    testid: 'chat-input',
    attrs: { type: 'text', maxlength: '2000', placeholder: 'Type a message…', 'aria-label': 'Message' },
  })
  private readonly sendButton = el('button', {
    text: 'Send',
    testid: 'chat-send',
    className: 'primary',
    attrs: { type: 'submit' },
  })
  private readonly note = el('p', { className: 'note', attrs: { role: 'status' } })

  constructor(
    root: HTMLElement,
    private readonly actions: ChatActions,
  ) {
    const form = el('form', { className: 'compose' }, [this.input, this.sendButton])
    form.addEventListener('submit', (event) => {
      event.preventDefault()
      this.sendMessage()
    })
    this.acceptButton.addEventListener('click', () => this.act('accept'))
    this.closeButton.addEventListener('click', () => this.act('close'))
    const thread = el('div', { className: 'thread' }, [
      el('div', { className: 'thread-head' }, [
        this.title,
        this.state,
        el('span', { className: 'spacer' }),
        this.acceptButton,
        this.closeButton,
      ]),
      this.messages,
      form,
      this.note,
    ])
    root.replaceChildren(el('h2', { text: 'Chats' }), el('div', { className: 'chat-body' }, [this.list, thread]))
    this.renderList()
    this.renderThread()
  }

  /** Selects this visitor's conversation when it appears (the operator just started it). */
  expect(visitor: string): void {
    this.awaiting = visitor
  }

  chatState(frame: ChatStateFrame): void {
    const c = this.conversation(frame.conversation, frame.visitor)
    c.state = frame.state
    c.operator = frame.operator
    c.lastActivity = Date.now()
    c.confirmed = frame.state === 'assigned' && frame.operator === this.actions.me() && frame.accepted === true
    if (this.awaiting === frame.visitor && frame.state !== 'closed') {
      this.awaiting = undefined
      this.selected = c.id
    }
    this.changed(c)
  }

  message(frame: ChatMessageFrame): void {
    const c = this.conversation(frame.conversation, frame.visitor)
    if (c.ids.has(frame.id)) return
    c.ids.add(frame.id)
    const last = c.messages[c.messages.length - 1]
    c.messages.push(frame)
    if (last && (last.at > frame.at || seq(last.id) > seq(frame.id)))
      c.messages.sort((a, b) => a.at - b.at || seq(a.id) - seq(b.id))
    c.lastActivity = Math.max(c.lastActivity, frame.at)
    if (c.id !== this.selected && frame.from === 'visitor') c.unread += 1
    this.changed(c)
  }

  /**
   * The visitor list tells of chats the node does not replay to this operator: an unassigned
   * one is listed so it can be accepted; the detail panel can open any other.
   */
  fromSummary(visitor: VisitorSummary, open = false): void {
    const chat = visitor.chat
    if (!chat) return
    const known = this.conversations.get(chat.conversation)
    if (!known && chat.state !== 'open' && !open) return
    const c = this.conversation(chat.conversation, visitor.id)
    if (!known) {
      c.state = chat.state
      c.operator = chat.operator
    }
    if (open) this.select(c.id)
    else this.changed(c)
  }

  /** Visitor names changed: relabels the list and the thread. */
  relabel(): void {
    this.renderList()
    this.renderThread()
  }

  select(id: string): void {
    const c = this.conversations.get(id)
    if (!c) return
    this.selected = id
    c.unread = 0
    this.renderList()
    this.renderThread()
    this.input.focus()
  }

  private conversation(id: string, visitor: string): Conversation {
    let c = this.conversations.get(id)
    if (!c) {
      c = {
        id,
        visitor,
        state: 'open',
        messages: [],
        ids: new Set(),
        unread: 0,
        confirmed: false,
        lastActivity: Date.now(),
      }
      this.conversations.set(id, c)
      this.selected ??= id
    }
    return c
  }

  private changed(c: Conversation): void {
    this.prune()
    this.renderList()
    if (c.id === this.selected) this.renderThread()
  }

  private prune(): void {
    const closed = [...this.conversations.values()]
      .filter((c) => c.state === 'closed')
      .sort((a, b) => b.lastActivity - a.lastActivity)
    for (const c of closed.slice(KEEP_CLOSED)) {
      this.conversations.delete(c.id)
      if (this.selected === c.id) this.selected = undefined
    }
  }

  private act(kind: 'accept' | 'close'): void {
    const c = this.selected ? this.conversations.get(this.selected) : undefined
    if (!c) return
    if (!this.actions.send({ t: kind, conversation: c.id })) {
      this.note.textContent = 'Not connected: try again when back online.'
      return
    }
    this.note.textContent = ''
  }

  private sendMessage(): void {
    const c = this.selected ? this.conversations.get(this.selected) : undefined
    const text = this.input.value.trim()
    if (!c || !text || c.state === 'closed') return
    if (!this.actions.send({ t: 'msg', conversation: c.id, text })) {
      this.note.textContent = 'Not connected: the message was not sent.'
      return
    }
    this.note.textContent = ''
    this.input.value = ''
  }

  private renderList(): void {
    const me = this.actions.me()
    const ordered = [...this.conversations.values()].sort(
      (a, b) => Number(a.state === 'closed') - Number(b.state === 'closed') || b.lastActivity - a.lastActivity,
    )
    this.list.replaceChildren(
      ...ordered.map((c) => {
        const item = el(
          'li',
          { testid: 'conversation', dataset: { conversationId: c.id, state: c.state }, attrs: { tabindex: '0' } },
          [
            el('span', { className: 'who', text: this.actions.label(c.visitor) }),
            el('span', {
              className: `pill chat-${c.state}`,
              text: c.state === 'assigned' ? (c.operator === me ? 'mine' : (c.operator ?? 'assigned')) : c.state,
            }),
          ],
        )
        if (c.unread > 0)
          item.append(el('span', { className: 'badge', text: String(c.unread), title: 'Unread visitor messages' }))
        item.classList.toggle('selected', c.id === this.selected)
        item.addEventListener('click', () => this.select(c.id))
        item.addEventListener('keydown', (event) => event.key === 'Enter' && this.select(c.id))
        return item
      }),
    )
    if (ordered.length === 0) this.list.append(el('li', { className: 'placeholder', text: 'No chats yet.' }))
  }

  private renderThread(): void {
    const c = this.selected ? this.conversations.get(this.selected) : undefined
    const me = this.actions.me()
    this.title.textContent = c ? this.actions.label(c.visitor) : 'No conversation selected'
    this.state.hidden = !c
    if (c) {
      this.state.className = `pill chat-${c.state}`
      this.state.textContent =
        c.state === 'assigned'
          ? c.operator === me
            ? c.confirmed
              ? 'assigned to you'
              : 'offered to you'
            : `with ${c.operator ?? 'another operator'}`
          : c.state === 'open'
            ? 'waiting for an operator'
            : 'closed'
    }
    const live = c !== undefined && c.state !== 'closed'
    this.acceptButton.disabled = !live || (c.operator === me && c.confirmed)
    this.closeButton.disabled = !live
    this.input.disabled = !live
    this.sendButton.disabled = !live
    const atBottom = this.messages.scrollHeight - this.messages.scrollTop - this.messages.clientHeight < 24
    this.messages.replaceChildren(
      ...(c?.messages ?? []).map((m) =>
        el(
          'div',
          { className: `message from-${m.from}`, testid: 'chat-message', dataset: { from: m.from, id: m.id } },
          [
            el('span', {
              className: 'meta',
              text: `${m.from === 'visitor' ? this.actions.label(c?.visitor ?? m.visitor) : (m.operator ?? 'operator')} · ${clock(m.at)}`,
            }),
            el('span', { className: 'text', text: m.text }),
          ],
        ),
      ),
    )
    if (c && c.messages.length === 0)
      this.messages.append(
        el('p', { className: 'placeholder', text: c.state === 'closed' ? 'This chat is closed.' : 'No messages yet.' }),
      )
    if (atBottom) this.messages.scrollTop = this.messages.scrollHeight
  }
}
