import type { Bus, Subscription } from '../bus/bus.js'
import { conversationKey, inviteKey, messageLog, openKey, parseConversation } from '../chat/conversation.js'
import type { Logger } from '../logger.js'
import type { Store } from '../store/store.js'
import type { VisitorHub } from './visitor_hub.js'
import { profileKey } from './visitor_profile.js'

const ERASE_SUBJECT = 'beckon.erase'

interface EraseNotice {
  site: string
  visitor: string
}

/** What beckon holds about one visitor, as the export route returns it. */
export interface VisitorExport {
  site: string
  visitor: string
  /** The stored profile (as of its last save), with the current visit; null when none. */
  profile: unknown
  /** The visitor's timeline: its latest visits, newest first. */
  visits: unknown[]
  conversations: Array<{ conversation: unknown; messages: unknown[] }>
}

/**
 * Privacy requests a site must honour for a visitor: export everything stored about it, and
 * erase it everywhere. Erasure is cluster-wide: every node (bus subject `beckon.erase`) closes
 * the visitor's tabs and forgets its live state without saving, then deletes the profile and
 * timeline again, so a save that was under way on any node cannot bring them back.
 */
export class VisitorPrivacy {
  private readonly subscription: Subscription

  constructor(
    private readonly store: Store,
    private readonly bus: Bus,
    private readonly hub: VisitorHub,
    private readonly log: Logger,
    /** Erases what other parts derived from the visitor (its conversations' search records). */
    private readonly derived: (site: string, visitor: string) => Promise<void> = async () => {},
  ) {
    this.subscription = bus.subscribe(ERASE_SUBJECT, (msg) => {
      const { site, visitor } = msg as EraseNotice
      void this.forget(site, visitor).catch((error: unknown) =>
        log.error({ err: error, site, visitor }, 'erasing a live visitor failed'),
      )
    })
  }

  private async forget(site: string, visitor: string): Promise<void> {
    await this.hub.forget(site, visitor)
    await this.store.delete('profiles', profileKey(site, visitor))
    await this.hub.timeline.forget(site, visitor)
  }

  /**
   * The visitor's conversations. A scan of the site's conversations: there is no per-visitor
   * index, so this costs O(conversations of the site); privacy requests are rare.
   */
  private async conversationsOf(site: string, visitor: string) {
    const entries = await this.store.list<unknown>('conversations', `${site}.c.`)
    return entries.map((e) => parseConversation(e.value)).filter((c) => c.visitor === visitor)
  }

  async export(site: string, visitor: string): Promise<VisitorExport | undefined> {
    const profile = (await this.store.get<unknown>('profiles', profileKey(site, visitor)))?.value
    const conversations = await this.conversationsOf(site, visitor)
    const visits = await this.hub.timeline.visits(site, visitor)
    if (profile === undefined && conversations.length === 0 && visits.length === 0) return undefined
    return {
      site,
      visitor,
      profile: profile ?? null,
      visits,
      conversations: await Promise.all(
        conversations.map(async (conversation) => ({
          conversation,
          messages: (await this.store.read<unknown>(messageLog(site, conversation.id), 0)).map((r) => r.value),
        })),
      ),
    }
  }

  /** Erases the visitor everywhere; resolves with what was found, once the store no longer holds it. */
  async erase(site: string, visitor: string): Promise<{ profile: boolean; conversations: number }> {
    this.bus.publish(ERASE_SUBJECT, { site, visitor } satisfies EraseNotice)
    const key = profileKey(site, visitor)
    const profile = (await this.store.get('profiles', key)) !== undefined
    const conversations = await this.conversationsOf(site, visitor)
    await this.forget(site, visitor)
    await this.derived(site, visitor)
    for (const conversation of conversations) {
      await this.store.deleteLog(messageLog(site, conversation.id))
      await this.store.delete('conversations', conversationKey(site, conversation.id))
    }
    await this.store.delete('conversations', openKey(site, visitor))
    await this.store.delete('conversations', inviteKey(site, visitor))
    await this.store.delete('owners', key)
    this.log.info({ site, visitor, conversations: conversations.length }, 'visitor erased')
    return { profile, conversations: conversations.length }
  }

  close(): void {
    this.subscription.unsubscribe()
  }
}
