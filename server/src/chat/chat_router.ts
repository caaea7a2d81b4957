import type { Logger } from '../logger.js'
import type { TeamCapacity } from '../operator/team_capacity.js'
import { departmentsAllow } from '../operator/operator_token.js'
import type { OnlineOperator, TeamPresence } from '../operator/team_presence.js'
import type { Conversation } from './conversation.js'

/**
 * Who gets an unaccepted chat. Only online operators who may see it, did not let it lapse
 * and have a free slot (assigned open chats < their maxChats) are candidates, fairest first:
 * fewest chats, then longest since their last assignment, then id. Chats nobody can take
 * wait in the queue; when a slot may have freed (a chat changed, an operator came online or
 * raised its maxChats) one node per site, the lowest node id with operators of the site
 * online, offers the waiting chats oldest first. Guarantee: every node ranks alike from the
 * same cluster-wide counts; two nodes can briefly disagree on the leader during a presence
 * change, which may put one chat over an operator's limit, never lose a chat.
 */
export class ChatRouter {
  private offerWaiting: ((site: string, conversation: string) => Promise<boolean>) | undefined
  /** Sites being drained → whether another pass was asked for meanwhile. */
  private readonly draining = new Map<string, boolean>()

  constructor(
    private readonly nodeId: string,
    private readonly presence: TeamPresence,
    private readonly capacity: TeamCapacity,
    private readonly log: Logger,
  ) {
    capacity.watch((site) => this.slotsChanged(site))
  }

  /** The chat service offers a waiting chat (resolves false when it was not offered). */
  onWaiting(offer: (site: string, conversation: string) => Promise<boolean>): void {
    this.offerWaiting = offer
  }

  /** The operator to offer `conversation` to next, or undefined when nobody has a free slot. */
  async pick(conversation: Conversation): Promise<OnlineOperator | undefined> {
    await this.capacity.ready(conversation.site)
    const chats = this.capacity.chats(conversation.site)
    const load = (op: OnlineOperator) => chats.get(op.id) ?? 0
    const since = (op: OnlineOperator) => this.capacity.lastAssigned(conversation.site, op.id)
    return this.presence
      .online(conversation.site)
      .filter(
        (op) =>
          !conversation.declined.includes(op.id) &&
          op.id !== conversation.operator &&
          departmentsAllow(op, conversation) &&
          load(op) < op.maxChats,
      )
      .sort((a, b) => load(a) - load(b) || since(a) - since(b) || (a.id < b.id ? -1 : 1))[0]
  }

  /** The chat's current holder's share: the capacity counts it as soon as this node wrote it. */
  wrote(conversation: Conversation): void {
    this.capacity.track(conversation)
  }

  private slotsChanged(site: string): void {
    if (this.capacity.waiting(site).length === 0) return
    const leader = this.presence.nodes(site).sort()[0]
    if (leader !== this.nodeId) return
    if (this.draining.has(site)) {
      this.draining.set(site, true)
      return
    }
    this.draining.set(site, false)
    void this.drain(site)
  }

  /** One pass over the queue, repeated while changes arrived during it. */
  private async drain(site: string): Promise<void> {
    try {
      do {
        this.draining.set(site, false)
        for (const id of this.capacity.waiting(site)) {
          if (!this.offerWaiting) return
          await this.offerWaiting(site, id)
        }
      } while (this.draining.get(site) === true)
    } catch (error) {
      this.log.error({ err: error, site }, 'offering waiting chats failed')
    } finally {
      this.draining.delete(site)
    }
  }
}
