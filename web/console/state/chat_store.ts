import { batch, computed, signal } from '@preact/signals'
import type { ChatInvitation, ChatState, ErrorFrame, Rating, VisitorSummary } from '../../../shared/src/protocol.js'
import type { OperatorAction } from './operator_connection.js'
import type { ChatMessageFrame, ChatStateFrame } from './server_frame.js'

/**
 * A message this operator typed that the node has not echoed back yet (`pending`), or that
 * it refused or could not receive (`failed`, with the reason); the thread shows both after
 * the delivered messages and offers a retry for the failed ones.
 */
export interface OutgoingMessage {
  local: string
  conversation: string
  text: string
  at: number
  status: 'pending' | 'failed'
  reason?: string
  /** Times it was sent, retries included. */
  attempts: number
}

export interface Conversation {
  id: string
  visitor: string
  state: ChatState
  operator?: string
  messages: readonly ChatMessageFrame[]
  unread: number
  /** This operator took the chat (accept, invite + start, reply); until then an assignment is an offer. */
  confirmed: boolean
  lastActivity: number
  /** Tags of the campaign whose invitation started the chat. */
  tags?: readonly string[]
  /** The invitation that started the chat: the thread's first entry. */
  invitation?: ChatInvitation
  /** The visitor's rating of the chat. */
  rating?: Rating
  /** Who the visitor is, when the node knows (so a visitor out of the list still has a name). */
  visitorName?: string
  visitorEmail?: string
}

export interface ChatPort {
  /** Returns false when it could not be sent (offline). */
  send(action: OperatorAction): boolean
  /** The operator's own id, once authenticated. */
  me(): string | undefined
}

/** Closed conversations kept in the list, most recent first. */
const KEEP_CLOSED = 30

/** Orders a conversation's messages: log order, which ids (`CONV-SEQ`) and times both follow. */
function seq(id: string): number {
  const n = Number(id.slice(id.lastIndexOf('-') + 1))
  return Number.isFinite(n) ? n : 0
}

let localIds = 0

/**
 * The operator's conversations, the selected one and the messages in flight. Messages are
 * deduplicated by id, because the node replays the open chats of this operator on every
 * reconnect. An outgoing message stays `pending` until the node echoes it; an error frame
 * with `ref: "msg"` fails the oldest pending one (the node answers a socket's frames in
 * order), and a lost connection fails every pending one, so no message disappears silently.
 */
export class ChatStore {
  readonly conversations = signal<ReadonlyMap<string, Conversation>>(new Map())
  readonly selected = signal<string | undefined>(undefined)
  readonly outgoing = signal<readonly OutgoingMessage[]>([])
  /** Why the last accept/close could not be sent. */
  readonly note = signal('')
  /** Select the conversation of this visitor as soon as it appears (after invite + start). */
  private awaiting: string | undefined

  readonly ordered = computed(() =>
    [...this.conversations.value.values()].sort(
      (a, b) => Number(a.state === 'closed') - Number(b.state === 'closed') || b.lastActivity - a.lastActivity,
    ),
  )
  readonly current = computed(() => {
    const id = this.selected.value
    return id ? this.conversations.value.get(id) : undefined
  })

  /** The selected chat's visitor (changes only when another chat is selected). */
  readonly selectedVisitor = computed(() => this.current.value?.visitor)

  constructor(private readonly port: ChatPort) {}

  expect(visitor: string): void {
    this.awaiting = visitor
  }

  chatState(frame: ChatStateFrame): void {
    batch(() => {
      const c = this.conversation(frame.conversation, frame.visitor)
      const me = this.port.me()
      const next = {
        ...c,
        state: frame.state,
        operator: frame.operator,
        tags: frame.tags ?? c.tags,
        invitation: frame.invitation ?? c.invitation,
        rating: frame.rating ?? c.rating,
        visitorName: frame.visitorName ?? c.visitorName,
        visitorEmail: frame.visitorEmail ?? c.visitorEmail,
        lastActivity: Date.now(),
        confirmed: frame.state === 'assigned' && frame.operator === me && frame.accepted === true,
      }
      if (this.awaiting === frame.visitor && frame.state !== 'closed') {
        this.awaiting = undefined
        this.selected.value = c.id
      }
      this.put(next)
    })
  }

  message(frame: ChatMessageFrame): void {
    batch(() => {
      const c = this.conversation(frame.conversation, frame.visitor)
      if (frame.from === 'operator' && frame.operator === this.port.me()) this.delivered(frame)
      if (c.messages.some((m) => m.id === frame.id)) return
      const messages = [...c.messages, frame]
      const last = c.messages[c.messages.length - 1]
      if (last && (last.at > frame.at || seq(last.id) > seq(frame.id)))
        messages.sort((a, b) => a.at - b.at || seq(a.id) - seq(b.id))
      this.put({
        ...c,
        messages,
        lastActivity: Math.max(c.lastActivity, frame.at),
        unread: c.unread + (c.id !== this.selected.value && frame.from === 'visitor' ? 1 : 0),
      })
    })
  }

  /**
   * The visitor list tells of chats the node does not replay to this operator: an unassigned
   * one is listed so it can be accepted; the detail panel can open any other.
   */
  fromSummary(visitor: VisitorSummary, open = false): void {
    const chat = visitor.chat
    if (!chat) return
    const known = this.conversations.value.get(chat.conversation)
    if (!known && chat.state !== 'open' && !open) return
    batch(() => {
      const c = this.conversation(chat.conversation, visitor.id)
      if (!known) this.put({ ...c, state: chat.state, operator: chat.operator })
      if (open) this.select(c.id)
    })
  }

  select(id: string): void {
    const c = this.conversations.value.get(id)
    if (!c) return
    batch(() => {
      this.selected.value = id
      this.put({ ...c, unread: 0 })
    })
  }

  act(kind: 'accept' | 'close'): void {
    const c = this.current.value
    if (!c) return
    this.note.value = this.port.send({ t: kind, conversation: c.id })
      ? ''
      : 'Not connected: try again when back online.'
  }

  /** Sends a message into the selected conversation; false when there is nothing to send. */
  sendText(text: string): boolean {
    const c = this.current.value
    if (!c || !text || c.state === 'closed') return false
    const message: OutgoingMessage = {
      local: `local-${++localIds}`,
      conversation: c.id,
      text,
      at: Date.now(),
      status: 'pending',
      attempts: 1,
    }
    this.outgoing.value = [...this.outgoing.value, message]
    this.transmit(message)
    return true
  }

  retry(local: string): void {
    const message = this.outgoing.value.find((m) => m.local === local && m.status === 'failed')
    if (!message) return
    const again = { ...message, status: 'pending' as const, reason: undefined, attempts: message.attempts + 1 }
    this.outgoing.value = [...this.outgoing.value.filter((m) => m !== message), again]
    this.transmit(again)
  }

  discard(local: string): void {
    this.outgoing.value = this.outgoing.value.filter((m) => m.local !== local)
  }

  /** An error frame from the node: a refused message is marked failed with its reason. */
  refused(frame: ErrorFrame): boolean {
    if (frame.ref !== 'msg') return false
    const oldest = this.outgoing.value.find((m) => m.status === 'pending')
    if (!oldest) return false
    this.fail((m) => m === oldest, `${frame.message} (${frame.code})`)
    return true
  }

  /** The socket closed: what the node has not confirmed may not have arrived. */
  disconnected(): void {
    this.fail((m) => m.status === 'pending', 'connection lost before the node confirmed it')
  }

  private transmit(message: OutgoingMessage): void {
    if (!this.port.send({ t: 'msg', conversation: message.conversation, text: message.text }))
      this.fail((m) => m.local === message.local, 'not connected')
  }

  private fail(which: (m: OutgoingMessage) => boolean, reason: string): void {
    this.outgoing.value = this.outgoing.value.map((m) => (which(m) ? { ...m, status: 'failed', reason } : m))
  }

  /** The node echoed one of this operator's messages: the oldest matching one in flight is done. */
  private delivered(frame: ChatMessageFrame): void {
    const list = this.outgoing.value
    const match = (status: OutgoingMessage['status']) =>
      list.find((m) => m.status === status && m.conversation === frame.conversation && m.text === frame.text)
    // A message failed by a dropped socket may have arrived after all: the replay then confirms it.
    const done = match('pending') ?? match('failed')
    if (done) this.outgoing.value = list.filter((m) => m !== done)
  }

  private conversation(id: string, visitor: string): Conversation {
    const known = this.conversations.value.get(id)
    if (known) return known
    const c: Conversation = {
      id,
      visitor,
      state: 'open',
      messages: [],
      unread: 0,
      confirmed: false,
      lastActivity: Date.now(),
    }
    this.put(c)
    if (this.selected.value === undefined) this.selected.value = id
    return c
  }

  private put(c: Conversation): void {
    const next = new Map(this.conversations.value)
    next.set(c.id, c)
    const closed = [...next.values()]
      .filter((x) => x.state === 'closed')
      .sort((a, b) => b.lastActivity - a.lastActivity)
    for (const old of closed.slice(KEEP_CLOSED)) {
      next.delete(old.id)
      if (this.selected.value === old.id) this.selected.value = undefined
    }
    this.conversations.value = next
  }
}
