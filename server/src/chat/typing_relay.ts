import { ERROR_CODE, type TypingFrame } from '../../../shared/src/protocol.js'
import { FrameError } from '../../../shared/src/frame_parser.js'
import type { Bus, Subscription } from '../bus/bus.js'
import type { OperatorSession } from '../operator/operator_session.js'
import { visitorDepartments } from '../operator/visitor_feed.js'
import type { SiteRegistry } from '../site/site_registry.js'
import type { Store } from '../store/store.js'
import type { LiveVisitor } from '../visitor/live_visitor.js'
import type { VisitorHub } from '../visitor/visitor_hub.js'
import { conversationKey, parseConversation } from './conversation.js'

/** Subject `beckon.typing.<site>`: every node delivers to its own operator sockets and visitor tabs. */
type TypingEvent =
  /** To the chat's assignee, or (no assignee yet) to every operator who may see `departments`. */
  | { from: 'visitor'; conversation: string; visitor: string; on: boolean; operator?: string; departments: string[] }
  /** To the visitor's tabs, through its owner node (which relays to tabs on other nodes). */
  | { from: 'operator'; conversation: string; visitor: string; on: boolean; operator: string }

const typingSubject = (site: string): string => `beckon.typing.${site}`

/**
 * Typing indicators between a chat's visitor and its operators, across nodes. Best effort and
 * never stored: a lost frame only leaves an indicator that expires by itself (TYPING_SHOWN_MS).
 * Sockets throttle `typing` before it reaches this relay (SocketSession.typingAllowed).
 */
export class TypingRelay {
  private readonly subscription: Subscription

  constructor(
    private readonly store: Store,
    private readonly bus: Bus,
    private readonly hub: VisitorHub,
    private readonly sites: SiteRegistry,
    private readonly operators: (site: string) => Iterable<OperatorSession>,
  ) {
    this.subscription = bus.subscribe('beckon.typing.*', (msg, subject) =>
      this.deliver(subject.slice('beckon.typing.'.length), msg as TypingEvent),
    )
  }

  /** On the visitor's owner node: relayed only while it has an open chat (nobody to tell otherwise). */
  visitorTyping(visitor: LiveVisitor, on: boolean): void {
    const chat = visitor.chat
    if (!chat || (chat.state !== 'open' && chat.state !== 'assigned')) return
    const event: TypingEvent = {
      from: 'visitor',
      conversation: chat.conversation,
      visitor: visitor.id,
      on,
      departments: visitorDepartments(visitor, this.sites.get(visitor.site)?.departments ?? []),
    }
    if (chat.operator !== undefined) event.operator = chat.operator
    this.bus.publish(typingSubject(visitor.site), event)
  }

  /**
   * An operator types into a chat it may see; `not_found` as for any chat it may not. A chat
   * that closed meanwhile is ignored: the console raced the close.
   */
  async operatorTyping(session: OperatorSession, conversationId: string, on: boolean): Promise<void> {
    const op = session.operator
    const entry = await this.store.get<unknown>('conversations', conversationKey(op.site, conversationId))
    const conversation = entry ? parseConversation(entry.value) : undefined
    if (!conversation || (conversation.operator !== op.id && !session.canSee(conversation)))
      throw new FrameError(ERROR_CODE.notFound, `no conversation ${conversationId}`, 'typing')
    if (conversation.state !== 'open' && conversation.state !== 'assigned') return
    this.bus.publish(typingSubject(op.site), {
      from: 'operator',
      conversation: conversation.id,
      visitor: conversation.visitor,
      on,
      operator: op.id,
    } satisfies TypingEvent)
  }

  private deliver(site: string, event: TypingEvent): void {
    const frame: TypingFrame = { t: 'typing', conversation: event.conversation, on: event.on }
    if (event.from === 'operator') {
      const visitor = this.hub.get(site, event.visitor)
      if (visitor?.chat?.conversation === event.conversation) visitor.broadcast({ ...frame, operator: event.operator })
      return
    }
    const toOperators: TypingFrame = { ...frame, visitor: event.visitor }
    const audience = { site, departments: event.departments }
    for (const session of this.operators(site)) {
      if (!session.ready) continue
      if (event.operator === undefined ? session.canSee(audience) : session.operator.id === event.operator)
        session.send(toOperators)
    }
  }

  stop(): void {
    this.subscription.unsubscribe()
  }
}
