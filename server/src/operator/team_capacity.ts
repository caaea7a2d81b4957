import type { Bus, Subscription } from '../bus/bus.js'
import { conversationKey, parseConversation, type Conversation } from '../chat/conversation.js'
import type { Logger } from '../logger.js'
import type { Store } from '../store/store.js'
import type { TeamPresence } from './team_presence.js'

/**
 * `team.available` per site: some online operator has a free chat slot, i.e. holds fewer
 * assigned open chats (offered or accepted) than its own `maxChats` (operator settings, carried
 * by presence). Every node follows every site's chat state changes on the chat subjects, so
 * the counts are cluster-wide; a site's counts are first read from the store's open
 * conversations when it is first asked about or its team first shows up in presence.
 * `onChange` fires when a site's availability flips (from false, before the counts are loaded).
 */
export class TeamCapacity {
  /** Site → conversation id → operator holding it. */
  private readonly held = new Map<string, Map<string, string>>()
  /** Site → operator → when it was last given a chat (this node's clock), for fair routing. */
  private readonly assignedAt = new Map<string, Map<string, number>>()
  private readonly loaded = new Map<string, Promise<void>>()
  /** Site → open chats nobody is assigned to (the queue), oldest first. */
  private readonly queue = new Map<string, Set<string>>()
  private readonly watchers: Array<(site: string) => void> = []
  /** Sites being loaded → the latest record seen meanwhile per chat, applied after. */
  private readonly loading = new Map<string, Map<string, Conversation>>()
  private readonly last = new Map<string, boolean>()
  private readonly subscription: Subscription

  constructor(
    bus: Bus,
    private readonly store: Store,
    private readonly presence: TeamPresence,
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
    presence.watch((site) => {
      if (this.held.has(site)) this.recheck(site)
      else void this.ready(site)
    })
  }

  /** Whether the site has an online operator with a free slot (false until its chats are loaded). */
  available(site: string): boolean {
    if (!this.held.has(site)) {
      void this.ready(site)
      return false
    }
    const chats = this.chats(site)
    return this.presence.online(site).some((op) => (chats.get(op.id) ?? 0) < op.maxChats)
  }

  /** Resolves once the site's counts are loaded. */
  ready(site: string): Promise<void> {
    let loaded = this.loaded.get(site)
    if (!loaded) {
      loaded = this.load(site)
      this.loaded.set(site, loaded)
    }
    return loaded
  }

  /** Assigned open chats (offered or accepted) per operator of a loaded site. */
  chats(site: string): Map<string, number> {
    const counts = new Map<string, number>()
    for (const operator of this.held.get(site)?.values() ?? []) counts.set(operator, (counts.get(operator) ?? 0) + 1)
    return counts
  }

  /** Open chats of a loaded site that wait for an operator, oldest first. */
  waiting(site: string): string[] {
    return [...(this.queue.get(site) ?? [])]
  }

  /** Calls `listener` after a loaded site's chats or team changed (a slot may have freed). */
  watch(listener: (site: string) => void): void {
    this.watchers.push(listener)
  }

  /**
   * Applies a chat's new state. The chat subjects deliver every change to every node; the node
   * that wrote a change also applies it at once, so its next routing decision counts it.
   */
  track(c: Conversation): void {
    const held = this.held.get(c.site)
    if (!held) {
      this.loading.get(c.site)?.set(c.id, c)
      return
    }
    this.apply(held, c, Date.now())
    this.recheck(c.site)
  }

  /** When `operator` was last given a chat, 0 if never since this node started. */
  lastAssigned(site: string, operator: string): number {
    return this.assignedAt.get(site)?.get(operator) ?? 0
  }

  private apply(held: Map<string, string>, c: Conversation, at: number): void {
    const operator = c.state === 'assigned' ? c.operator : undefined
    if (operator !== undefined && held.get(c.id) !== operator) {
      let times = this.assignedAt.get(c.site)
      if (!times) this.assignedAt.set(c.site, (times = new Map()))
      times.set(operator, at)
    }
    if (operator !== undefined) held.set(c.id, operator)
    else held.delete(c.id)
    let queue = this.queue.get(c.site)
    if (c.state === 'open' && c.operator === undefined) {
      if (!queue) this.queue.set(c.site, (queue = new Set()))
      queue.add(c.id)
    } else queue?.delete(c.id)
  }

  private recheck(site: string): void {
    if (!this.held.has(site)) return
    for (const watcher of this.watchers) watcher(site)
    const available = this.available(site)
    // Before the load available() answered false: only a change from that is news.
    if ((this.last.get(site) ?? false) === available) return
    this.last.set(site, available)
    this.onChange(site, available)
  }

  private load(site: string): Promise<void> {
    const seen = new Map<string, Conversation>()
    this.loading.set(site, seen)
    return (async () => {
      const held = new Map<string, string>()
      const open: Conversation[] = []
      for (const pointer of await this.store.list<{ conversation: string }>('conversations', `${site}.open.`)) {
        const entry = await this.store.get<unknown>('conversations', conversationKey(site, pointer.value.conversation))
        if (entry) open.push(parseConversation(entry.value))
      }
      open.sort((a, b) => a.createdAt - b.createdAt)
      // Changes that arrived while reading are newer than what was read.
      for (const c of open) this.apply(held, c, c.createdAt)
      for (const c of seen.values()) this.apply(held, c, Date.now())
      this.loading.delete(site)
      this.held.set(site, held)
      this.recheck(site)
    })().catch((error: unknown) => {
      this.loading.delete(site)
      this.loaded.delete(site)
      this.log.error({ err: error, site }, 'team capacity not loaded')
    })
  }

  close(): void {
    this.subscription.unsubscribe()
  }
}
