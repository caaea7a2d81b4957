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
  /** Visitor messages that arrived while the chat was not in view. */
  unread: number
  /** This operator took the chat (accept, invite + start, reply); until then an assignment is an offer. */
  confirmed: boolean
  /** The assignee, whoever it is, took the chat: it is no longer waiting. */
  accepted: boolean
  lastActivity: number
  /** When the conversation began (the node's clock; this console's until a frame says). */
  createdAt: number
  /** When this console saw it close (the Closed queue's order). */
  closedAt?: number
  /** It was announced as waiting for this operator and has not been looked at since. */
  fresh: boolean
  /** Tags of the campaign whose invitation started the chat. */
  tags?: readonly string[]
  /** The invitation that started the chat: the thread's first entry. */
  invitation?: ChatInvitation
  /** The visitor's rating of the chat. */
  rating?: Rating
  /** Who the visitor is, when the node knows (so a visitor out of the list still has a name). */
  visitorName?: string
  visitorEmail?: string
  /** An offline message's name and email: the operator answers by email, then closes it. */
  contact?: { name?: string; email: string }
}

/** The console's chat queues, in tab order. */
export const QUEUES = ['waiting', 'mine', 'team', 'offline', 'closed'] as const
export type Queue = (typeof QUEUES)[number]

/**
 * Waiting: nobody took it yet (open, or only offered); Mine: I took it; Team: another operator
 * took it; Offline: a message left while nobody was available; Closed: closed while this
 * console was open.
 */
export function queueOf(c: Conversation, me: string | undefined): Queue {
  if (c.state === 'closed') return 'closed'
  if (c.state === 'offline') return 'offline'
  if (c.state === 'assigned' && c.accepted) return c.operator === me ? 'mine' : 'team'
  return 'waiting'
}

/** What the operator should hear about: a chat now waiting for it, a visitor writing in one of its chats. */
export interface ChatAlert {
  kind: 'chat' | 'message'
  conversation: Conversation
  text: string
}

export interface ChatPort {
  /** Returns false when it could not be sent (offline). */
  send(action: OperatorAction): boolean
  /** The operator's own id, once authenticated. */
  me(): string | undefined
  /** Whether the operator can see the console now (the tab is visible). */
  visible(): boolean
  alert(alert: ChatAlert): void
}

/** Closed conversations kept in the list, most recent first. */
const KEEP_CLOSED = 50

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

  /** The queue tab on show. */
  readonly queue = signal<Queue>('waiting')
  /** The thread's composer takes the focus when a chat is picked by pointer, not by shortcut or by itself. */
  focusComposer = false
  /** Messages older than this console were read elsewhere (or never): they raise no count. */
  private readonly since = Date.now()
  /** The selection was the console's own choice, and the operator has not acted on it yet. */
  private provisional = false
  /**
   * Chats announced as waiting for me, so a second state frame, a replay or a reconnect does
   * not ring again; a chat leaves the set when it stops waiting for me (taken, or offered to
   * someone else), so a later offer to me rings anew.
   */
  private readonly announced = new Set<string>()
  /** Announced chats whose first message has not arrived: the alert waits for its text. */
  private readonly announceOnMessage = new Set<string>()

  /** Each queue's conversations: waiting and offline newest first, the rest by latest activity. */
  readonly queues = computed(() => {
    const me = this.port.me()
    const lists = Object.fromEntries(QUEUES.map((q) => [q, [] as Conversation[]])) as Record<Queue, Conversation[]>
    for (const c of this.conversations.value.values()) lists[queueOf(c, me)].push(c)
    lists.waiting.sort((a, b) => b.createdAt - a.createdAt)
    lists.offline.sort((a, b) => b.createdAt - a.createdAt)
    lists.mine.sort((a, b) => b.lastActivity - a.lastActivity)
    lists.team.sort((a, b) => b.lastActivity - a.lastActivity)
    lists.closed.sort((a, b) => (b.closedAt ?? 0) - (a.closedAt ?? 0))
    return lists
  })
  /** What the tab title counts: unseen chats waiting for me and unread visitor messages in my chats. */
  readonly attention = computed(() => {
    const me = this.port.me()
    const q = this.queues.value
    const forMe = q.waiting.filter((c) => c.operator === undefined || c.operator === me)
    return [...forMe, ...q.mine].reduce((sum, c) => sum + Math.max(c.unread, c.fresh ? 1 : 0), 0)
  })
  readonly current = computed(() => {
    const id = this.selected.value
    return id ? this.conversations.value.get(id) : undefined
  })

  /** The selected chat's visitor (changes only when another chat is selected). */
  readonly selectedVisitor = computed(() => this.current.value?.visitor)

  constructor(private readonly port: ChatPort) {}

  /** Whether this operator may only read the chat: another one took it and the token lacks `takeover_chats`. */
  readOnly(c: Conversation, takeover: boolean): boolean {
    return queueOf(c, this.port.me()) === 'team' && !takeover
  }

  /** Only a waiting chat can be accepted (another operator's is a conflict; an offline message is answered by email). */
  canAccept(c: Conversation | undefined): c is Conversation {
    return c !== undefined && queueOf(c, this.port.me()) === 'waiting'
  }

  canClose(c: Conversation | undefined, takeover: boolean): c is Conversation {
    return c !== undefined && c.state !== 'closed' && !this.readOnly(c, takeover)
  }

  showQueue(queue: Queue): void {
    this.queue.value = queue
  }

  /**
   * Moves the selection through the shown queue (`step` 1: the next, -1: the previous,
   * wrapping); in an empty queue, to the newest waiting chat.
   */
  step(step: 1 | -1): void {
    const list = this.queues.value[this.queue.value]
    if (list.length === 0) {
      this.selectNewestWaiting()
      return
    }
    const at = list.findIndex((c) => c.id === this.selected.value)
    const next = at < 0 ? (step === 1 ? 0 : list.length - 1) : (at + step + list.length) % list.length
    const c = list[next]
    if (c) this.select(c.id, false)
  }

  /** Selects the newest waiting chat, if any, and shows the Waiting queue; `auto`: the console chose, not the operator. */
  selectNewestWaiting(auto = false): boolean {
    const newest = this.queues.value.waiting[0]
    if (!newest) return false
    if (newest.id === this.selected.value) return true
    batch(() => {
      this.queue.value = 'waiting'
      if (auto) {
        // On screen, but not looked at: it keeps counting until the operator acts on it.
        this.focusComposer = false
        this.selected.value = newest.id
        this.provisional = true
      } else this.select(newest.id, false)
    })
    return true
  }

  /** The tab came back into view: the chat on screen is read now (unless the console only put it there). */
  viewed(): void {
    if (!this.provisional) this.markRead()
  }

  private markRead(): void {
    const c = this.current.value
    if (c && (c.unread > 0 || c.fresh)) this.put({ ...c, unread: 0, fresh: false })
  }

  /** The operator acted on the chat on screen (or went to write in it): it is its choice now, and read. */
  engage(): void {
    this.provisional = false
    this.markRead()
  }

  expect(visitor: string): void {
    this.awaiting = visitor
  }

  chatState(frame: ChatStateFrame): void {
    batch(() => {
      const c = this.conversation(frame.conversation, frame.visitor)
      const me = this.port.me()
      const accepted = frame.state === 'assigned' && frame.accepted === true
      let next: Conversation = {
        ...c,
        state: frame.state,
        operator: frame.operator,
        tags: frame.tags ?? c.tags,
        contact: frame.contact ?? c.contact,
        createdAt: frame.createdAt ?? c.createdAt,
        invitation: frame.invitation ?? c.invitation,
        rating: frame.rating ?? c.rating,
        visitorName: frame.visitorName ?? c.visitorName,
        visitorEmail: frame.visitorEmail ?? c.visitorEmail,
        lastActivity: Date.now(),
        accepted,
        confirmed: accepted && frame.operator === me,
        closedAt: frame.state === 'closed' ? (c.closedAt ?? Date.now()) : undefined,
      }
      if (this.awaiting === frame.visitor && frame.state !== 'closed') {
        this.awaiting = undefined
        this.provisional = false
        this.selected.value = c.id
      }
      // A chat open to anyone, or offered to me, is announced once while it waits for me.
      const forMe = queueOf(next, me) === 'waiting' && (frame.operator === undefined || frame.operator === me)
      if (!forMe) {
        next = { ...next, fresh: false }
        this.announced.delete(c.id)
        this.announceOnMessage.delete(c.id)
      } else if (!this.announced.has(c.id)) {
        this.announced.add(c.id)
        if (!this.inView(c.id)) next = { ...next, fresh: true }
        // A visitor's first message follows its chat frame: ring once, with its text.
        if (next.messages.length === 0) this.announceOnMessage.add(c.id)
        else this.port.alert({ kind: 'chat', conversation: next, text: this.lastVisitorText(next) })
        // A closed chat on screen is done with: the new one takes its place.
        if (this.current.value?.state === 'closed') this.provisional = true
      }
      // My own accept moves the chat to Mine: the queue follows it.
      if (this.selected.value === c.id && queueOf(c, me) === 'waiting' && queueOf(next, me) === 'mine')
        this.queue.value = 'mine'
      this.put(next)
      this.autoSelect()
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
      const counts = frame.from === 'visitor' && frame.at >= this.since && !this.inView(c.id)
      const next = {
        ...c,
        messages,
        lastActivity: Math.max(c.lastActivity, frame.at),
        unread: c.unread + Number(counts),
      }
      this.put(next)
      const queue = queueOf(next, this.port.me())
      if (this.announceOnMessage.delete(c.id)) this.port.alert({ kind: 'chat', conversation: next, text: frame.text })
      else if (counts && (queue === 'mine' || (queue === 'waiting' && next.operator === this.port.me())))
        this.port.alert({ kind: 'message', conversation: next, text: frame.text })
      this.autoSelect()
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
      else this.autoSelect()
    })
  }

  /** Shows a conversation; `byPointer` (a click) also puts the cursor into its composer. */
  select(id: string, byPointer = true): void {
    const c = this.conversations.value.get(id)
    if (!c) return
    batch(() => {
      this.focusComposer = byPointer
      this.provisional = false
      this.selected.value = id
      this.put({ ...c, unread: 0, fresh: false })
    })
  }

  /**
   * With nothing on screen, the newest waiting chat is shown; while that choice was the
   * console's and still waits, a newer one replaces it (a replay lists chats in key order,
   * not by age), so the console never sits on a stale chat.
   */
  private autoSelect(): void {
    const c = this.current.value
    if (c === undefined || (this.provisional && (c.state === 'closed' || queueOf(c, this.port.me()) === 'waiting')))
      this.selectNewestWaiting(true)
  }

  /** On screen and looked at: selected by the operator in a visible tab. */
  private inView(id: string): boolean {
    return id === this.selected.value && !this.provisional && this.port.visible()
  }

  private lastVisitorText(c: Conversation): string {
    return c.messages.findLast((m) => m.from === 'visitor')?.text ?? ''
  }

  act(kind: 'accept' | 'close'): void {
    const c = this.current.value
    if (!c) return
    this.engage()
    this.note.value = this.port.send({ t: kind, conversation: c.id })
      ? ''
      : 'Not connected: try again when back online.'
  }

  /** Sends a message into the selected conversation; false when there is nothing to send. */
  sendText(text: string): boolean {
    const c = this.current.value
    if (!c || !text || c.state === 'closed') return false
    this.engage()
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
    const now = Date.now()
    const c: Conversation = {
      id,
      visitor,
      state: 'open',
      messages: [],
      unread: 0,
      confirmed: false,
      accepted: false,
      fresh: false,
      lastActivity: now,
      createdAt: now,
    }
    this.put(c)
    return c
  }

  private put(c: Conversation): void {
    const next = new Map(this.conversations.value)
    next.set(c.id, c)
    const closed = [...next.values()]
      .filter((x) => x.state === 'closed')
      .sort((a, b) => (b.closedAt ?? 0) - (a.closedAt ?? 0))
    for (const old of closed.slice(KEEP_CLOSED)) {
      next.delete(old.id)
      if (this.selected.value === old.id) this.selected.value = undefined
    }
    this.conversations.value = next
  }
}
