import type { NodeLiveness } from '../cluster/node_liveness.js'
import type { VisitorOwnership } from '../cluster/visitor_ownership.js'
import type { Logger } from '../logger.js'
import type { SiteRegistry } from '../site/site_registry.js'
import type { Store } from '../store/store.js'
import type { VisitorHub } from '../visitor/visitor_hub.js'
import { profileKey } from '../visitor/visitor_profile.js'
import type { ChatService } from './chat_service.js'
import { conversationKey, messageLog, openKey, parseConversation, type Conversation } from './conversation.js'

export interface IdleCloseOptions {
  /** BECKON_CHAT_IDLE_CLOSE_MINUTES in ms; 0 switches idle close off. */
  idleMs: number
}

/** Why a chat closed itself, as `chat.closed` webhooks carry it (`reason`). */
export const IDLE_REASON = 'visitor_idle'

/** How often a node looks: a tenth of the idle time, within 100 ms and a minute. */
export const sweepInterval = (idleMs: number): number => Math.min(60_000, Math.max(100, Math.round(idleMs / 10)))

/** "30 minutes", "1 minute", "3 seconds": the idle time as the system note says it. */
export function idleText(idleMs: number): string {
  const minutes = idleMs / 60_000
  if (minutes >= 1 && Number.isInteger(minutes)) return `${minutes} minute${minutes === 1 ? '' : 's'}`
  const seconds = Math.max(1, Math.round(idleMs / 1000))
  return `${seconds} second${seconds === 1 ? '' : 's'}`
}

/**
 * Closes open chats whose visitor has had no connected tab for `idleMs`, with a system note.
 * Every node sweeps the stored open-chat pointers of every site; when the visitor was last
 * seen comes from stored data, so a restart or a node's death changes nothing:
 * - live on this node (it owns the visitor): present while it has a tab, else gone since its
 *   profile's `lastSeenAt` (set when the last tab left);
 * - owned by another live node: that node decides;
 * - owned by no live node: gone since the stored profile's `lastSeenAt` (an ephemeral visitor,
 *   never stored: since the chat's last message).
 * Never before the chat began. ChatService.closeBySystem() compares-and-sets the record, so of
 * nodes deciding at once exactly one closes the chat and writes the note.
 */
export class IdleCloser {
  private timer: NodeJS.Timeout | undefined
  private sweeping: Promise<string[]> | undefined
  private readonly note: string

  constructor(
    private readonly store: Store,
    private readonly hub: VisitorHub,
    private readonly ownership: VisitorOwnership,
    private readonly liveness: NodeLiveness,
    private readonly sites: SiteRegistry,
    private readonly chat: ChatService,
    private readonly options: IdleCloseOptions,
    private readonly log: Logger,
  ) {
    this.note = `Chat closed automatically: the visitor was away for ${idleText(options.idleMs)}.`
  }

  start(): void {
    if (this.options.idleMs <= 0 || this.timer) return
    this.timer = setInterval(() => void this.sweep(), sweepInterval(this.options.idleMs))
    this.timer.unref()
    void this.sweep()
  }

  /** One pass over every site; resolves with the ids this node closed. Passes never overlap. */
  sweep(): Promise<string[]> {
    this.sweeping ??= this.sweepAll()
      .catch((error: unknown) => {
        this.log.error({ err: error }, 'idle close sweep failed')
        return []
      })
      .finally(() => {
        this.sweeping = undefined
      })
    return this.sweeping
  }

  private async sweepAll(): Promise<string[]> {
    const closed: string[] = []
    for (const site of this.sites.all()) {
      for (const pointer of await this.store.list<{ conversation: string }>('conversations', `${site.id}.open.`)) {
        const id = pointer.value.conversation
        if (await this.closeIfIdle(site.id, pointer.key, id)) closed.push(id)
      }
    }
    return closed
  }

  private async closeIfIdle(site: string, pointerKey: string, id: string): Promise<boolean> {
    const entry = await this.store.get<unknown>('conversations', conversationKey(site, id))
    if (!entry) return false
    const conversation = parseConversation(entry.value)
    if (conversation.state === 'closed') {
      // A close interrupted between the record and its pointer: free the visitor for a new chat.
      if (pointerKey === openKey(site, conversation.visitor)) await this.store.delete('conversations', pointerKey)
      return false
    }
    const since = await this.goneSince(conversation)
    if (since === undefined || Date.now() - Math.max(since, conversation.createdAt) < this.options.idleMs) return false
    return this.chat.closeBySystem(site, id, this.note, IDLE_REASON)
  }

  /** When the visitor's last tab left; undefined while it has one or another live node owns it. */
  private async goneSince(conversation: Conversation): Promise<number | undefined> {
    const { site, visitor } = conversation
    const live = this.hub.get(site, visitor)
    if (live) return live.tabs.size > 0 ? undefined : live.profile.lastSeenAt
    const owner = await this.ownership.owner(site, visitor)
    if (owner !== undefined && owner !== this.liveness.nodeId && (await this.liveness.isAlive(owner))) return undefined
    // A visitor that just left this node may still have its last-seen write in flight.
    await this.hub.written({ site, id: visitor })
    const profile = await this.store.get<{ lastSeenAt?: unknown }>('profiles', profileKey(site, visitor))
    const seen = profile?.value.lastSeenAt
    if (typeof seen === 'number') return seen
    const messages = await this.store.read<{ at?: unknown }>(messageLog(site, conversation.id), 0)
    const last = messages[messages.length - 1]?.value.at
    return typeof last === 'number' ? last : conversation.createdAt
  }

  /** Stops sweeping; resolves once a pass in flight is done (the store may close then). */
  async stop(): Promise<void> {
    clearInterval(this.timer)
    this.timer = undefined
    await this.sweeping
  }
}
