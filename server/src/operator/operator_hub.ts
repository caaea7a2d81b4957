import { CLOSE_CODE, type OperatorFrame } from '../../../shared/src/protocol.js'
import type { Site } from '../site/site.js'
import type { ChatService } from '../chat/chat_service.js'
import type { TypingRelay } from '../chat/typing_relay.js'
import type { OperatorActions, OperatorSession } from './operator_session.js'
import { presenceOf, type OperatorSettings } from './operator_settings.js'
import type { TeamPresence } from './team_presence.js'
import type { TeamRoster } from './team_roster.js'
import type { VisitorWatch } from './visitor_watch.js'

/**
 * This node's operator sockets: registers them with team presence, hands `watch` to the
 * VisitorWatch (snapshot and deltas, filtered by what the operator may see); chat actions
 * go to the ChatService.
 */
export class OperatorHub implements OperatorActions {
  private readonly sessions = new Map<string, Set<OperatorSession>>()
  private chat: ChatService | undefined
  private roster: TeamRoster | undefined
  private typing: TypingRelay | undefined

  constructor(
    private readonly lists: VisitorWatch,
    private readonly presence: TeamPresence,
    private readonly settings: OperatorSettings,
  ) {}

  /** Wires the chat service and the roster (they need this hub's sessions, so they are built after). */
  useChat(chat: ChatService, roster: TeamRoster): void {
    this.chat = chat
    this.roster = roster
  }

  useTyping(typing: TypingRelay): void {
    this.typing = typing
  }

  private get chatService(): ChatService {
    if (!this.chat) throw new Error('chat service not wired')
    return this.chat
  }

  sessionsOf(site: string): Iterable<OperatorSession> {
    return this.sessions.get(site) ?? []
  }

  /** Online (presence) with its settings, so routing and names are right from its first moment. */
  async authenticated(session: OperatorSession): Promise<void> {
    const op = session.operator
    const prefs = await this.settings.get(op.site, op.id)
    if (session.closed) return
    let set = this.sessions.get(op.site)
    if (!set) this.sessions.set(op.site, (set = new Set()))
    set.add(session)
    this.presence.add(op.site, presenceOf(op, prefs))
    this.roster?.sendTo(session)
    await this.chatService.replayToOperator(session)
  }

  watch(session: OperatorSession, view: unknown): Promise<void> {
    return this.lists.watch(session, view)
  }

  async frame(session: OperatorSession, frame: Exclude<OperatorFrame, { t: 'auth' | 'watch' }>): Promise<void> {
    const chat = this.chatService
    switch (frame.t) {
      case 'invite':
        return chat.invite(session, frame)
      case 'msg':
        return chat.operatorMessage(session, frame.conversation, frame.text, frame.ref)
      case 'accept':
        return chat.accept(session, frame.conversation)
      case 'close':
        return chat.close(session, frame.conversation)
      case 'transfer':
        return chat.transfer(session, frame)
      case 'typing':
        if (!this.typing) throw new Error('typing relay not wired')
        return this.typing.operatorTyping(session, frame.conversation, frame.on)
    }
  }

  /**
   * A site changed on this node: sessions whose token no longer holds (secret rotated,
   * operator revoked, site gone) close with 4001 at once.
   */
  siteChanged(before: Site | undefined, after: Site | undefined): void {
    if (!before) return
    for (const session of [...this.sessionsOf(before.id)]) {
      if (session.stillAuthorized(before, after)) continue
      const reason =
        after && after.secret !== before.secret ? 'site secret rotated: sign in again' : 'session ended by an admin'
      session.close(CLOSE_CODE.unauthorized, reason)
    }
  }

  closed(session: OperatorSession): void {
    const op = session.operator
    this.lists.closed(session)
    // Closed before its settings were read: it never went online.
    if (this.sessions.get(op.site)?.delete(session)) this.presence.remove(op.site, op.id)
  }
}
