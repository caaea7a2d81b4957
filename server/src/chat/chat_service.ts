import {
  type ChatFrame,
  ERROR_CODE,
  type ChatState,
  type InviteFrame,
  type OperatorInviteFrame,
  type ServerToVisitorFrame,
  type TransferFrame,
} from '../../../shared/src/protocol.js'
import { FrameError } from '../../../shared/src/frame_parser.js'
import type { Bus, Subscription } from '../bus/bus.js'
import type { Logger } from '../logger.js'
import type { Metrics } from '../metrics.js'
import type { OperatorSession } from '../operator/operator_session.js'
import { departmentsAllow, type OperatorIdentity } from '../operator/operator_token.js'
import type { TeamPresence } from '../operator/team_presence.js'
import type { VisitorOwnership } from '../cluster/visitor_ownership.js'
import type { VisitorDirectory } from '../operator/visitor_directory.js'
import { visitorDepartments } from '../operator/visitor_feed.js'
import type { SiteRegistry } from '../site/site_registry.js'
import type { Store } from '../store/store.js'
import type { WebhookSink } from '../webhook/webhook_outbox.js'
import type { ChatRouter } from './chat_router.js'
import type { LiveVisitor } from '../visitor/live_visitor.js'
import type { VisitorHub } from '../visitor/visitor_hub.js'
import { parseProfile, profileKey } from '../visitor/visitor_profile.js'
import type { Rating } from '../../../shared/src/protocol.js'
import {
  chatFrame,
  conversationData,
  conversationKey,
  inviteKey,
  messageLog,
  msgFrame,
  newConversationId,
  offlineKey,
  openKey,
  parseConversation,
  parseStoredMessage,
  type Conversation,
  type Invitation,
  type PendingInvite,
  type StoredMessage,
} from './conversation.js'

/** The visitor's name and email as the console shows them, unless `c` already has them. */
function knownAs(
  who: { name?: string; email?: string } | undefined,
  c: Pick<Conversation, 'visitorName' | 'visitorEmail'> = {},
): Pick<Conversation, 'visitorName' | 'visitorEmail'> {
  const known: Pick<Conversation, 'visitorName' | 'visitorEmail'> = {}
  const name = c.visitorName ?? who?.name
  const email = c.visitorEmail ?? who?.email
  if (name !== undefined) known.visitorName = name
  if (email !== undefined) known.visitorEmail = email
  return known
}

/** Cluster events of a site's chats (subject `beckon.chat.<site>`). */
type ChatEvent =
  /** `also`: operators who get the frame though they may no longer see the chat (the previous assignee); `replay`: the operator who also gets the recent messages (a transfer's target). */
  | { kind: 'state'; conversation: Conversation; also?: string[]; replay?: string }
  | { kind: 'msg'; conversation: Conversation; msg: StoredMessage }
  | { kind: 'invite'; visitor: string; frame: InviteFrame }

/** An offline message is answered outside the chat (its email); operators only close it. */
const offlineOnly = (ref: string): FrameError =>
  new FrameError(ERROR_CODE.conflict, 'an offline message cannot be chatted in: answer by email, then close it', ref)

const chatSubject = (site: string): string => `beckon.chat.${site}`

/** Where closed conversations go to be searchable (ConversationSearch). */
export interface ClosedChats {
  closed(conversation: Conversation, messages: StoredMessage[]): Promise<void>
  rated(site: string, id: string, rating: Rating): Promise<boolean>
  /** The visitor's latest closed conversation, for a rating given after the close. */
  ofVisitor(site: string, visitor: string, limit: number): Promise<Array<{ id: string }>>
}

/** Where chat frames go on this node. */
export interface ChatDelivery {
  /** Operator sessions of this node for a site. */
  operators(site: string): Iterable<OperatorSession>
  /** A manual invitation reached a visitor of this node. */
  invited(visitor: LiveVisitor, frame: InviteFrame): void
  /** What visitors see of an operator (its settings' display name and avatar), if known. */
  operatorIdentity(site: string, operator: string): { name?: string; avatar?: string }
}

export interface ChatOptions {
  /** How long an auto-assigned operator has to accept before the next one is offered the chat. */
  acceptTimeoutMs: number
  /** Messages replayed to a reconnecting visitor or operator. */
  replayMessages: number
}

/**
 * Conversations and their messages, consistent cluster-wide: records change by
 * compare-and-set in the Store, messages are appended to a durable log before anyone sees
 * them, and every change is then published to all nodes, which deliver to their own
 * visitor tabs and operator sockets. Guarantee: a message that was delivered is stored;
 * within one conversation, messages carry increasing ids in log order.
 * Ownership: a chat whose assignee accepted it is that operator's alone: only they may reply,
 * close, transfer or start an invitation into it; another operator gets `forbidden` unless its
 * token holds `takeover_chats` (then acting takes the chat over). An offered, not yet
 * accepted chat may be taken by any operator who sees it.
 */
export class ChatService {
  private readonly subscription: Subscription
  private readonly offerTimers = new Map<string, NodeJS.Timeout>()
  /** The last pending message write per visitor (`SITE.VISITOR`). */
  private readonly visitorWrites = new Map<string, Promise<void>>()
  private history: ClosedChats | undefined

  constructor(
    private readonly store: Store,
    private readonly bus: Bus,
    private readonly hub: VisitorHub,
    private readonly sites: SiteRegistry,
    private readonly directory: VisitorDirectory,
    private readonly presence: TeamPresence,
    private readonly router: ChatRouter,
    private readonly ownership: VisitorOwnership,
    private readonly delivery: ChatDelivery,
    private readonly options: ChatOptions,
    private readonly metrics: Metrics,
    private readonly webhooks: WebhookSink,
    private readonly log: Logger,
  ) {
    this.subscription = bus.subscribe('beckon.chat.*', (msg, subject) =>
      this.deliver(subject.slice('beckon.chat.'.length), msg as ChatEvent),
    )
    router.onWaiting((site, id) => this.offerWaiting(site, id))
  }

  /** Indexes every conversation that closes, before the close is announced (it is searchable then). */
  indexWith(history: ClosedChats): void {
    this.history = history
  }

  // ---- visitor side

  /**
   * A visitor wrote: into its open conversation, or a new one (assigned per pending invite,
   * else offered) carrying `tags` (those of the campaign invitation it answers). Stores one at
   * a time per visitor (the owner node handles all its tabs' messages), so a burst (a flushed
   * offline queue) is stored in order and never races to open two conversations.
   */
  visitorMessage(
    visitor: LiveVisitor,
    text: string,
    opts: { ref?: string; tags?: string[]; invitation?: Invitation } = {},
  ): Promise<void> {
    const key = `${visitor.site}.${visitor.id}`
    const write = (this.visitorWrites.get(key) ?? Promise.resolve()).then(() =>
      this.storeVisitorMessage(visitor, text, opts),
    )
    const tail = write.catch(() => undefined)
    this.visitorWrites.set(key, tail)
    void tail.then(() => {
      if (this.visitorWrites.get(key) === tail) this.visitorWrites.delete(key)
    })
    return write
  }

  private async storeVisitorMessage(
    visitor: LiveVisitor,
    text: string,
    { ref, tags, invitation }: { ref?: string; tags?: string[]; invitation?: Invitation },
  ): Promise<void> {
    let conversation = await this.openConversation(visitor.site, visitor.id)
    if (!conversation) conversation = await this.startConversation(visitor, tags, invitation)
    await this.append(conversation, ref === undefined ? { from: 'visitor', text } : { from: 'visitor', text, ref })
  }

  private async startConversation(
    visitor: LiveVisitor,
    tags: string[] | undefined,
    campaignInvitation: Invitation | undefined,
  ): Promise<Conversation> {
    const site = visitor.site
    const invite = await this.store.get<PendingInvite>('conversations', inviteKey(site, visitor.id))
    // The operator's pending invitation is the one this reply answers; else the campaign's.
    const invitation: Invitation | undefined =
      invite?.value.text !== undefined
        ? { text: invite.value.text, at: invite.value.at, operator: invite.value.operator }
        : campaignInvitation
    const conversation: Conversation = {
      ...this.newVisitorConversation(visitor, 'open'),
      ...(tags?.length ? { tags } : {}),
      ...(invitation ? { invitation } : {}),
    }
    if (invite?.value.assignToMe) {
      // Assigned to the inviting operator even if it went offline since: it asked for this chat.
      conversation.state = 'assigned'
      conversation.operator = invite.value.operator
      conversation.accepted = true
    }
    const claimed = await this.store.create('conversations', openKey(site, visitor.id), {
      conversation: conversation.id,
    })
    if (claimed === false) {
      // Another tab or node opened one first: use it.
      const existing = await this.openConversation(site, visitor.id)
      if (existing) return existing
      throw new FrameError(ERROR_CODE.conflict, 'conversation is being opened, try again')
    }
    await this.store.put('conversations', conversationKey(site, conversation.id), conversation)
    if (invite) await this.store.delete('conversations', inviteKey(site, visitor.id))
    this.publish(site, { kind: 'state', conversation })
    this.started(conversation, visitor.profile)
    if (!conversation.accepted) await this.offer(conversation)
    return conversation
  }

  /**
   * A message left through the offline form: stored as a conversation in state `offline`
   * (with the name and email) and its one message, shown to the operators who may see it (the
   * console's Offline queue) until one closes it. Resolves with the conversation id.
   */
  async offlineMessage(visitor: LiveVisitor, contact: { name?: string; email: string }, text: string): Promise<string> {
    const site = visitor.site
    const conversation: Conversation = { ...this.newVisitorConversation(visitor, 'offline'), contact }
    await this.store.put('conversations', conversationKey(site, conversation.id), conversation)
    await this.store.put('conversations', offlineKey(site, conversation.id), { conversation: conversation.id })
    this.publish(site, { kind: 'state', conversation })
    await this.append(conversation, { from: 'visitor', text })
    this.webhooks.emit(site, 'offline_message', {
      conversation: conversationData(conversation),
      visitor: { id: visitor.id, ...contact },
      text,
    })
    return conversation.id
  }

  /** A conversation the visitor starts, in the visitor's departments, not yet accepted by anyone. */
  private newVisitorConversation(visitor: LiveVisitor, state: 'open' | 'offline'): Conversation {
    return {
      id: newConversationId(),
      site: visitor.site,
      visitor: visitor.id,
      departments: visitorDepartments(visitor, this.sites.get(visitor.site)?.departments ?? []),
      state,
      accepted: false,
      declined: [],
      createdAt: Date.now(),
      ...knownAs(visitor.profile),
    }
  }

  /** Replays the open conversation (state and recent messages) to a tab that just attached. */
  async replayToVisitor(visitor: LiveVisitor, send: (frame: ServerToVisitorFrame) => void): Promise<void> {
    const conversation = await this.openConversation(visitor.site, visitor.id)
    if (!conversation) return
    visitor.chat = { conversation: conversation.id, state: conversation.state, operator: conversation.operator }
    send(this.toVisitor(conversation))
    for (const message of await this.recent(conversation)) send(this.toVisitor(conversation, message))
  }

  /**
   * A frame as the visitor gets it: without the team's tags, with the operator's display name
   * (`chat` also its avatar) when it set them.
   */
  private toVisitor(conversation: Conversation, message?: StoredMessage): ServerToVisitorFrame {
    const operator = message ? message.operator : conversation.operator
    const who = operator === undefined ? {} : this.delivery.operatorIdentity(conversation.site, operator)
    if (message) {
      const frame = msgFrame(conversation, message)
      return who.name === undefined ? frame : { ...frame, operatorName: who.name }
    }
    const { tags: _tags, ...untagged } = conversation
    const frame: ChatFrame = chatFrame(untagged)
    if (who.name !== undefined) frame.operatorName = who.name
    if (who.avatar !== undefined) frame.operatorAvatar = who.avatar
    return frame
  }

  /**
   * The visitor rated its chat: the open one, else its latest closed one (the widget offers the
   * rating once the chat ends). Stored on the conversation and its search record; operators
   * get the chat frame with `rating`.
   */
  async rate(visitor: LiveVisitor, rating: Rating): Promise<void> {
    let conversation = await this.openConversation(visitor.site, visitor.id)
    if (!conversation && this.history) {
      const [latest] = await this.history.ofVisitor(visitor.site, visitor.id, 1)
      conversation = latest && (await this.load(visitor.site, latest.id))
    }
    if (!conversation || conversation.state === 'offline') return
    const rated = await this.change(conversation, (c) => ({ ...c, rating, ...knownAs(visitor.profile, c) }))
    if (rated.state === 'closed') await this.history?.rated(rated.site, rated.id, rating)
  }

  // ---- operator side

  /** A manual invitation: the chat starts now (assigned to the sender) or when the visitor replies. */
  async invite(session: OperatorSession, frame: OperatorInviteFrame): Promise<void> {
    const op = session.operator
    const summary = await this.directory.find(op.site, frame.visitor)
    if (!summary || !session.canSee(summary))
      throw new FrameError(ERROR_CODE.notFound, `no visitor ${frame.visitor} online`, 'invite')
    const now = Date.now()
    const invite: InviteFrame = {
      t: 'invite',
      id: `m${now.toString(36)}${Math.random().toString(36).slice(2, 8)}`,
      operator: op.name,
      text: frame.text,
      startChat: frame.startChat,
      at: now,
    }
    this.metrics.invitations.inc({ origin: 'operator' })
    this.webhooks.emit(op.site, 'invitation.sent', {
      invitation: { id: invite.id, operator: op.id, text: invite.text, startChat: invite.startChat },
      visitor: { id: frame.visitor },
    })
    if (!frame.startChat) {
      const pending: PendingInvite = { operator: op.id, assignToMe: frame.assignToMe, at: now, text: frame.text }
      await this.store.put('conversations', inviteKey(op.site, frame.visitor), pending)
      this.publish(op.site, { kind: 'invite', visitor: frame.visitor, frame: invite })
      return
    }
    let conversation = await this.openConversation(op.site, frame.visitor)
    if (conversation) {
      // Starting a chat into an existing one joins it: only its assignee may, or a takeover.
      this.ensureMayAct(session, conversation, 'invite')
      if (conversation.operator !== op.id || !conversation.accepted) conversation = await this.assign(conversation, op)
    } else {
      conversation = {
        id: newConversationId(),
        site: op.site,
        visitor: frame.visitor,
        departments: summary.departments,
        state: 'assigned',
        operator: op.id,
        accepted: true,
        declined: [],
        createdAt: now,
        // No `invitation`: its text is the thread's first operator message (appended below).
        ...knownAs(this.hub.get(op.site, frame.visitor)?.profile ?? summary),
      }
      if (
        (await this.store.create('conversations', openKey(op.site, frame.visitor), {
          conversation: conversation.id,
        })) === false
      ) {
        throw new FrameError(ERROR_CODE.conflict, 'the visitor is already in a chat', 'invite')
      }
      await this.store.put('conversations', conversationKey(op.site, conversation.id), conversation)
      this.publish(op.site, { kind: 'state', conversation })
      this.started(conversation, this.hub.get(op.site, frame.visitor)?.profile)
    }
    this.publish(op.site, { kind: 'invite', visitor: frame.visitor, frame: invite })
    await this.append(conversation, { from: 'operator', operator: op.id, text: frame.text })
  }

  async operatorMessage(session: OperatorSession, conversationId: string, text: string, ref?: string): Promise<void> {
    const op = session.operator
    let conversation = await this.reachable(session, conversationId)
    if (conversation.state === 'closed') throw new FrameError(ERROR_CODE.conflict, 'conversation is closed', 'msg')
    if (conversation.state === 'offline') throw offlineOnly('msg')
    this.ensureMayAct(session, conversation, 'msg')
    if (conversation.operator !== op.id || !conversation.accepted) conversation = await this.assign(conversation, op)
    const message = { from: 'operator' as const, operator: op.id, text }
    await this.append(conversation, ref === undefined ? message : { ...message, ref })
  }

  /**
   * Hands a chat on. To an operator: it must be online and allowed to see the chat; the chat
   * is offered to it (assigned, not accepted, `transferredBy` set, recent messages replayed)
   * and goes to auto-assignment if it lets the offer lapse. To a department of the site: the
   * chat moves to that department and is offered to its online operators in turn (never
   * back to the sender); with none online it waits there, open.
   */
  async transfer(session: OperatorSession, frame: TransferFrame): Promise<void> {
    const op = session.operator
    const conversation = await this.reachable(session, frame.conversation)
    if (conversation.state === 'closed') throw new FrameError(ERROR_CODE.conflict, 'conversation is closed', 'transfer')
    if (conversation.state === 'offline') throw offlineOnly('transfer')
    this.ensureMayAct(session, conversation, 'transfer')
    const to = frame.to
    if ('operator' in to) {
      if (to.operator === op.id) throw new FrameError(ERROR_CODE.conflict, 'the chat is already yours', 'transfer')
      const target = this.presence.online(op.site).find((o) => o.id === to.operator)
      if (!target) throw new FrameError(ERROR_CODE.notFound, `operator ${to.operator} is not online`, 'transfer')
      if (!departmentsAllow(target, conversation))
        throw new FrameError(
          ERROR_CODE.forbidden,
          `operator ${to.operator} may not see this chat's department`,
          'transfer',
        )
      this.clearOffer(conversation.id)
      const moved = await this.change(
        conversation,
        (c) => ({
          ...c,
          state: 'assigned',
          operator: target.id,
          accepted: false,
          declined: [op.id],
          transferredBy: op.id,
        }),
        target.id,
      )
      this.armOffer(moved)
      return
    }
    if (!this.sites.get(op.site)?.departments.includes(to.department))
      throw new FrameError(ERROR_CODE.notFound, `no department ${to.department} on site ${op.site}`, 'transfer')
    this.clearOffer(conversation.id)
    const moved = await this.change(conversation, ({ operator: _operator, ...c }) => ({
      ...c,
      departments: [to.department],
      state: 'open',
      accepted: false,
      declined: [op.id],
      transferredBy: op.id,
    }))
    await this.offer(moved, true)
  }

  async accept(session: OperatorSession, conversationId: string): Promise<void> {
    const conversation = await this.reachable(session, conversationId)
    if (conversation.state === 'closed') throw new FrameError(ERROR_CODE.conflict, 'conversation is closed', 'accept')
    if (conversation.state === 'offline') throw offlineOnly('accept')
    if (conversation.accepted && conversation.operator !== session.operator.id) {
      throw new FrameError(ERROR_CODE.conflict, `already taken by ${conversation.operator}`, 'accept')
    }
    await this.assign(conversation, session.operator)
  }

  async close(session: OperatorSession, conversationId: string): Promise<void> {
    const conversation = await this.reachable(session, conversationId)
    if (conversation.state === 'closed') return
    this.ensureMayAct(session, conversation, 'close')
    const closed = await this.change(conversation, (c) => ({ ...c, state: 'closed', closedAt: Date.now() }))
    await this.afterClose(closed, conversation.state, { closedBy: session.operator.id })
  }

  /**
   * Closes an open chat on the node's own behalf, with a system note (`from: "system"`).
   * One compare-and-set on the record: of nodes racing to close the same chat one wins, and
   * only the winner writes the note. False when the chat is gone, closed, an offline message,
   * or changed since it was read (the caller looks again later).
   */
  async closeBySystem(site: string, id: string, note: string, reason: string): Promise<boolean> {
    const key = conversationKey(site, id)
    const entry = await this.store.get<unknown>('conversations', key)
    if (!entry) return false
    const current = parseConversation(entry.value)
    if (current.state === 'closed' || current.state === 'offline') return false
    const closed: Conversation = { ...current, state: 'closed', closedAt: Date.now() }
    if ((await this.store.update('conversations', key, closed, entry.revision)) === false) return false
    this.publish(site, { kind: 'state', conversation: closed })
    await this.append(closed, { from: 'system', text: note })
    await this.afterClose(closed, current.state, { closedBy: 'system', reason })
    return true
  }

  /** Frees the chat's pointer, stops its offer, sends `chat.closed` with the transcript, counts it. */
  private async afterClose(closed: Conversation, was: ChatState, by: Record<string, string>): Promise<void> {
    // An offline message never held the visitor's open-chat pointer.
    if (was === 'offline') await this.store.delete('conversations', offlineKey(closed.site, closed.id))
    else await this.store.delete('conversations', openKey(closed.site, closed.visitor))
    this.clearOffer(closed.id)
    const transcript = await this.store.read<Record<string, unknown>>(messageLog(closed.site, closed.id), 0)
    this.webhooks.emit(closed.site, 'chat.closed', {
      conversation: conversationData(closed),
      ...by,
      transcript: transcript.map((r) => parseStoredMessage({ ...r.value, id: `${closed.id}-${r.seq}` })),
    })
    await this.countClosedWhileAway(closed.site, closed.visitor)
  }

  /**
   * `chat.history` counts closed chats. A live visitor's owner counts it when the close event
   * reaches it; a visitor live nowhere (no owner lease) gets it added to its stored profile.
   */
  private async countClosedWhileAway(site: string, visitor: string): Promise<void> {
    const key = profileKey(site, visitor)
    if (this.hub.get(site, visitor) || (await this.ownership.owner(site, visitor)) !== undefined) return
    for (let attempt = 0; attempt < 10; attempt++) {
      const entry = await this.store.get<unknown>('profiles', key)
      if (!entry) return
      const profile = parseProfile(entry.value)
      profile.chatHistory += 1
      if ((await this.store.update('profiles', key, profile, entry.revision)) !== false) return
    }
    this.log.warn({ site, visitor }, 'chat history not counted: profile contended')
  }

  /**
   * Replays, after an operator authenticated, the open conversations it is assigned to or may
   * see (the console's Waiting, Mine and Team queues) and the offline messages it may see (the
   * Offline queue), oldest first.
   */
  async replayToOperator(session: OperatorSession): Promise<void> {
    const op = session.operator
    for (const pointer of await this.store.list<{ conversation: string }>('conversations', `${op.site}.offline.`)) {
      const conversation = await this.load(op.site, pointer.value.conversation)
      if (conversation?.state !== 'offline' || !session.canSee(conversation)) continue
      session.send(chatFrame(conversation))
      for (const message of await this.recent(conversation)) session.send(msgFrame(conversation, message))
    }
    for (const pointer of await this.store.list<{ conversation: string }>('conversations', `${op.site}.open.`)) {
      const conversation = await this.load(op.site, pointer.value.conversation)
      if (!conversation || (conversation.operator !== op.id && !session.canSee(conversation))) continue
      session.send(chatFrame(conversation))
      for (const message of await this.recent(conversation)) session.send(msgFrame(conversation, message))
    }
  }

  // ---- internals

  private started(conversation: Conversation, user: { name?: string; email?: string } | undefined): void {
    const visitor: Record<string, string> = { id: conversation.visitor }
    if (user?.name !== undefined) visitor.name = user.name
    if (user?.email !== undefined) visitor.email = user.email
    this.webhooks.emit(conversation.site, 'chat.started', { conversation: conversationData(conversation), visitor })
  }

  private async reachable(session: OperatorSession, conversationId: string): Promise<Conversation> {
    const op = session.operator
    const conversation = await this.load(op.site, conversationId)
    if (!conversation || (conversation.operator !== op.id && !session.canSee(conversation))) {
      throw new FrameError(ERROR_CODE.notFound, `no conversation ${conversationId}`)
    }
    return conversation
  }

  /** Throws `forbidden` when another operator accepted the chat and this one may not take it over. */
  private ensureMayAct(session: OperatorSession, conversation: Conversation, ref: string): void {
    const op = session.operator
    const owner = conversation.accepted ? conversation.operator : undefined
    if (owner === undefined || owner === op.id || op.takeover) return
    throw new FrameError(
      ERROR_CODE.forbidden,
      `chat ${conversation.id} is assigned to ${owner}: taking it over needs the takeover_chats permission`,
      ref,
    )
  }

  private assign(conversation: Conversation, op: Pick<OperatorIdentity, 'id'>): Promise<Conversation> {
    this.clearOffer(conversation.id)
    return this.change(conversation, ({ transferredBy: _by, ...c }) => ({
      ...c,
      state: 'assigned',
      operator: op.id,
      accepted: true,
    }))
  }

  /**
   * Offers an unaccepted conversation to the operator the router picks (ChatRouter: a free
   * slot, fair order); the offer lapses after acceptTimeoutMs, unless that operator has
   * auto-accept on, which takes the chat at once. Resolves false when nobody could take it
   * (it waits in the queue) or it changed meanwhile (another node routed it).
   */
  private async offer(conversation: Conversation, replay = false): Promise<boolean> {
    const next = await this.router.pick(conversation)
    if (!next) return false
    const offered = await this.change(
      conversation,
      (c) =>
        c.accepted || c.operator !== conversation.operator || (c.state !== 'open' && c.state !== 'assigned')
          ? undefined
          : {
              ...c,
              state: 'assigned',
              operator: next.id,
              accepted: next.autoAccept,
              declined: c.operator && !c.declined.includes(c.operator) ? [...c.declined, c.operator] : c.declined,
            },
      replay ? next.id : undefined,
    )
    if (offered && !offered.accepted) this.armOffer(offered)
    return offered !== undefined
  }

  /** A chat of the queue, when a slot may have freed; its target gets the thread (it may have joined since). */
  private async offerWaiting(site: string, id: string): Promise<boolean> {
    const conversation = await this.load(site, id)
    if (conversation?.state !== 'open' || conversation.operator !== undefined) return false
    return this.offer(conversation, true)
  }

  /** The offer to the chat's assignee lapses after acceptTimeoutMs unless accepted. */
  private armOffer(offered: Conversation): void {
    this.clearOffer(offered.id)
    this.offerTimers.set(
      offered.id,
      setTimeout(() => {
        this.offerTimers.delete(offered.id)
        void this.lapse(offered).catch((error: unknown) => this.log.error({ err: error }, 'reassignment failed'))
      }, this.options.acceptTimeoutMs),
    )
  }

  private async lapse(offered: Conversation): Promise<void> {
    const current = await this.load(offered.site, offered.id)
    if (!current || current.accepted || current.state === 'closed' || current.operator !== offered.operator) return
    await this.offer(current)
  }

  private clearOffer(id: string): void {
    clearTimeout(this.offerTimers.get(id))
    this.offerTimers.delete(id)
  }

  /**
   * Compare-and-set loop on the conversation record; publishes the new state (replayed with
   * messages to `replay`). An update answering undefined leaves the record as it is.
   */
  private change(
    conversation: Conversation,
    update: (c: Conversation) => Conversation,
    replay?: string,
  ): Promise<Conversation>
  private change(
    conversation: Conversation,
    update: (c: Conversation) => Conversation | undefined,
    replay?: string,
  ): Promise<Conversation | undefined>
  private async change(
    conversation: Conversation,
    update: (c: Conversation) => Conversation | undefined,
    replay?: string,
  ): Promise<Conversation | undefined> {
    const key = conversationKey(conversation.site, conversation.id)
    for (let attempt = 0; attempt < 10; attempt++) {
      const entry = await this.store.get<unknown>('conversations', key)
      if (!entry) throw new FrameError(ERROR_CODE.notFound, `no conversation ${conversation.id}`)
      const current = parseConversation(entry.value)
      const next = update(current)
      if (!next) return undefined
      if ((await this.store.update('conversations', key, next, entry.revision)) !== false) {
        this.router.wrote(next)
        if (current.state !== 'closed' && next.state === 'closed') await this.indexClosed(next)
        const event: ChatEvent = { kind: 'state', conversation: next }
        if (current.operator !== undefined && current.operator !== next.operator) event.also = [current.operator]
        if (replay !== undefined) event.replay = replay
        this.publish(next.site, event)
        return next
      }
    }
    throw new FrameError(ERROR_CODE.conflict, 'conversation changed concurrently, try again')
  }

  private async indexClosed(closed: Conversation): Promise<void> {
    if (!this.history) return
    try {
      const records = await this.store.read<Record<string, unknown>>(messageLog(closed.site, closed.id), 0)
      const messages = records.map((r) => parseStoredMessage({ ...r.value, id: `${closed.id}-${r.seq}` }))
      await this.history.closed(closed, messages)
    } catch (error) {
      // The chat still closes; it is missing from History until it is indexed again (a rating).
      this.log.error({ err: error, conversation: closed.id }, 'closed chat not indexed')
    }
  }

  private async append(conversation: Conversation, message: Omit<StoredMessage, 'id' | 'at'>): Promise<void> {
    const at = Date.now()
    const log = messageLog(conversation.site, conversation.id)
    // The id needs the log seq, known only after the append: store the message, then derive its id.
    const seq = await this.store.append(log, { ...message, at })
    this.publish(conversation.site, {
      kind: 'msg',
      conversation,
      msg: { id: `${conversation.id}-${seq}`, ...message, at },
    })
  }

  private async recent(conversation: Conversation): Promise<StoredMessage[]> {
    const records = await this.store.read<Record<string, unknown>>(messageLog(conversation.site, conversation.id), 0)
    return records
      .slice(-this.options.replayMessages)
      .map((r) => parseStoredMessage({ ...r.value, id: `${conversation.id}-${r.seq}` }))
  }

  private async openConversation(site: string, visitor: string): Promise<Conversation | undefined> {
    const pointer = await this.store.get<{ conversation: string }>('conversations', openKey(site, visitor))
    return pointer ? this.load(site, pointer.value.conversation) : undefined
  }

  private async load(site: string, id: string): Promise<Conversation | undefined> {
    const entry = await this.store.get<unknown>('conversations', conversationKey(site, id))
    return entry ? parseConversation(entry.value) : undefined
  }

  private publish(site: string, event: ChatEvent): void {
    this.bus.publish(chatSubject(site), event)
  }

  /** Every node: hand a chat event to this node's tabs and operator sockets that may see it. */
  private deliver(site: string, event: ChatEvent): void {
    if (event.kind === 'invite') {
      const visitor = this.hub.get(site, event.visitor)
      if (visitor) this.delivery.invited(visitor, event.frame)
      return
    }
    const conversation = event.conversation
    const message = event.kind === 'msg' ? event.msg : undefined
    const frame = message ? msgFrame(conversation, message) : chatFrame(conversation)
    // An offline message is the operators' only: the tab got its `offline {ok}` answer.
    const visitor = conversation.contact !== undefined ? undefined : this.hub.get(site, conversation.visitor)
    if (visitor) {
      if (event.kind === 'state') {
        visitor.chatUpdate(conversation.id, conversation.state, conversation.operator)
      } else if (event.msg.from !== 'system') {
        visitor.chatMessage(event.msg.from, event.msg.at)
      }
      visitor.broadcast(this.toVisitor(conversation, message))
      this.hub.emit(visitor)
    }
    for (const session of this.delivery.operators(site)) {
      if (!session.ready) continue
      const id = session.operator.id
      if (
        conversation.operator === id ||
        session.canSee(conversation) ||
        (event.kind === 'state' && event.also?.includes(id))
      )
        session.send(frame)
      if (event.kind === 'state' && event.replay === id) this.replayMessages(session, conversation)
    }
  }

  /** A transfer's target gets the thread so far, after the chat frame (ids let clients drop what they have). */
  private replayMessages(session: OperatorSession, conversation: Conversation): void {
    this.recent(conversation)
      .then((messages) => {
        for (const message of messages) session.send(msgFrame(conversation, message))
      })
      .catch((error: unknown) => this.log.error({ err: error }, 'transfer replay failed'))
  }

  stop(): void {
    for (const timer of this.offerTimers.values()) clearTimeout(timer)
    this.subscription.unsubscribe()
  }
}
