import type { Bus, Subscription } from '../bus/bus.js'
import { conversationKey, parseConversation, type Conversation } from '../chat/conversation.js'
import type { Logger } from '../logger.js'
import type { Store } from '../store/store.js'
import type { TeamPresence } from './team_presence.js'

/**
 * `team.available` per site: some online operator has a free chat slot, i.e. holds fewer
 * assigned open chats (offered or accepted) than `maxChats` (BECKON_OPERATOR_MAX_CHATS; per
 * operator settings come later). Every node follows every site's chat state changes on the
 * chat subjects, so the counts are cluster-wide; a site's counts are first read from the
 * store's open conversations when it is first asked about. `onChange` fires when a site's
 * availability flips.
 */
export class TeamCapacity {
  /** Site → conversation id → operator holding it. */
  private readonly held = new Map<string, Map<string, string>>()
  /** Sites being loaded → changes seen meanwhile (operator, or undefined when no longer held), applied after. */
  private readonly loading = new Map<string, Map<string, string | undefined>>()
  private readonly last = new Map<string, boolean>()
  private readonly subscription: Subscription

  constructor(
    bus: Bus,
    private readonly store: Store,
    private readonly presence: TeamPresence,
    private readonly maxChats: number,
    private readonly onChange: (site: string, available: boolean) => void,
    private readonly log: Logger,
  ) {
    this.subscription = bus.subscribe('beckon.chat.*', (msg) => {
      const event = msg as { kind?: unknown; conversation?: unknown }
      if (event?.kind !== 'state') return
      try {
        this.track(parseConversation(event.conversation))
      } catch {
        // Not a conversation record: nothing to count.
      }
    })
    presence.watch((site) => this.recheck(site))
  }

  /** Whether the site has an online operator with a free slot (false until its chats are loaded). */
  available(site: string): boolean {
    const held = this.held.get(site)
    if (!held) {
      this.load(site)
      return false
    }
    const load = new Map<string, number>()
    for (const operator of held.values()) load.set(operator, (load.get(operator) ?? 0) + 1)
    return this.presence.online(site).some((op) => (load.get(op.id) ?? 0) < this.maxChats)
  }

  private track(c: Conversation): void {
    const operator = c.state === 'assigned' ? c.operator : undefined
    const held = this.held.get(c.site)
    if (!held) {
      this.loading.get(c.site)?.set(c.id, operator)
      return
    }
    if (operator !== undefined) held.set(c.id, operator)
    else held.delete(c.id)
    this.recheck(c.site)
  }

  private recheck(site: string): void {
    if (!this.held.has(site)) return
    const available = this.available(site)
    if (this.last.get(site) === available) return
    this.last.set(site, available)
    this.onChange(site, available)
  }

  private load(site: string): void {
    if (this.loading.has(site)) return
    const seen = new Map<string, string | undefined>()
    this.loading.set(site, seen)
    void (async () => {
      const held = new Map<string, string>()
      for (const pointer of await this.store.list<{ conversation: string }>('conversations', `${site}.open.`)) {
        const entry = await this.store.get<unknown>('conversations', conversationKey(site, pointer.value.conversation))
        const c = entry && parseConversation(entry.value)
        if (c?.state === 'assigned' && c.operator !== undefined) held.set(c.id, c.operator)
      }
      // Changes that arrived while reading are newer than what was read.
      for (const [id, operator] of seen) {
        if (operator !== undefined) held.set(id, operator)
        else held.delete(id)
      }
      this.loading.delete(site)
      this.held.set(site, held)
      this.recheck(site)
    })().catch((error: unknown) => {
      this.loading.delete(site)
      this.log.error({ err: error, site }, 'team capacity not loaded')
    })
  }

  close(): void {
    this.subscription.unsubscribe()
  }
}
