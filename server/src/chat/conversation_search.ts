import type { Logger } from '../logger.js'
import type { Store } from '../store/store.js'
import type { Conversation, StoredMessage } from './conversation.js'
import {
  ConversationIndex,
  normalisedWords,
  type ConversationDoc,
  type ConversationQuery,
  type QueryResult,
} from './conversation_index.js'

/** A record of a site's history feed (log `SITE.history`): a doc (re)written, or a visitor erased. */
type FeedRecord = { id: string } | { erase: string }

export const searchDocKey = (site: string, id: string): string => `${site}.${id}`
/** Conversation ids begin with `c`, so this log never collides with a message log (`SITE.ID`). */
export const historyFeed = (site: string): string => `${site}.history`

const PREVIEW_CHARS = 140

export interface SearchOptions {
  /** BECKON_HISTORY_MAX_WORDS: distinct words indexed per conversation. */
  maxWords: number
}

/** The search record of a conversation as it closed. */
export function conversationDoc(
  c: Conversation,
  messages: readonly StoredMessage[],
  maxWords: number,
): ConversationDoc {
  const words = new Set<string>()
  const operators = new Set<string>(c.operator === undefined ? [] : [c.operator])
  const add = (text: string) => {
    for (const word of normalisedWords(text)) if (words.size < maxWords) words.add(word)
  }
  if (c.invitation) add(c.invitation.text)
  for (const m of messages) {
    add(m.text)
    if (m.operator !== undefined) operators.add(m.operator)
  }
  const first = messages.find((m) => m.from === 'visitor')?.text ?? c.invitation?.text ?? ''
  const name = c.visitorName ?? c.contact?.name
  const email = c.visitorEmail ?? c.contact?.email
  const doc: ConversationDoc = {
    id: c.id,
    visitor: c.visitor,
    operators: [...operators],
    departments: c.departments,
    createdAt: c.createdAt,
    closedAt: c.closedAt ?? Date.now(),
    messages: messages.length,
    preview: first.slice(0, PREVIEW_CHARS),
    words: [...words],
  }
  if (name !== undefined) doc.name = name
  if (email !== undefined) doc.email = email
  if (c.operator !== undefined) doc.operator = c.operator
  if (c.rating !== undefined) doc.rating = c.rating
  if (c.invitation !== undefined) doc.invitation = c.invitation
  if (c.contact !== undefined) doc.offline = true
  return doc
}

interface SiteHistory {
  index: ConversationIndex
  /** Last feed seq applied. */
  seq: number
}

/**
 * Closed conversations, searchable (History view, the visitor detail's past chats). Durable part, in the
 * Store so every node and a restarted one agree: a search doc per conversation (bucket
 * `search`, key `SITE.ID`, deleted on erasure) and the site's history feed, an append-only log
 * of which doc was written (or which visitor erased) in what order. Each node keeps an
 * in-memory ConversationIndex per site, loaded on first use (feed, then one scan of the docs)
 * and brought up to date from the feed before every read. Guarantee: a search sees every
 * conversation whose indexing resolved before it began, on any node.
 */
export class ConversationSearch {
  private readonly sites = new Map<string, Promise<SiteHistory>>()
  /** Catch-up per site, one at a time. */
  private readonly catchUps = new Map<string, Promise<SiteHistory>>()

  constructor(
    private readonly store: Store,
    private readonly options: SearchOptions,
    private readonly log: Logger,
  ) {}

  /** Indexes a conversation that just closed (doc, then feed: a feed record implies its doc). */
  async closed(c: Conversation, messages: readonly StoredMessage[]): Promise<void> {
    await this.write(c.site, conversationDoc(c, messages, this.options.maxWords))
  }

  /** Updates an indexed conversation's record (its rating); false when it is not indexed. */
  async rated(site: string, id: string, rating: NonNullable<ConversationDoc['rating']>): Promise<boolean> {
    const entry = await this.store.get<ConversationDoc>('search', searchDocKey(site, id))
    if (!entry) return false
    await this.write(site, { ...entry.value, rating })
    return true
  }

  private async write(site: string, doc: ConversationDoc): Promise<void> {
    await this.store.put('search', searchDocKey(site, doc.id), doc)
    await this.store.append<FeedRecord>(historyFeed(site), { id: doc.id })
  }

  async search(site: string, query: ConversationQuery): Promise<QueryResult> {
    return (await this.current(site)).index.search(query)
  }

  async get(site: string, id: string): Promise<ConversationDoc | undefined> {
    return (await this.current(site)).index.get(id)
  }

  /** The visitor's closed conversations, newest first. */
  async ofVisitor(site: string, visitor: string, limit: number): Promise<ConversationDoc[]> {
    return (await this.current(site)).index.ofVisitor(visitor, limit)
  }

  /** Erases a visitor's docs from the store; every node's index drops them from the feed. */
  async erase(site: string, visitor: string): Promise<void> {
    for (const doc of await this.ofVisitor(site, visitor, Number.MAX_SAFE_INTEGER))
      await this.store.delete('search', searchDocKey(site, doc.id))
    await this.store.append<FeedRecord>(historyFeed(site), { erase: visitor })
  }

  /** The site's index, loaded, with every feed record written so far applied. */
  private current(site: string): Promise<SiteHistory> {
    const next = (this.catchUps.get(site) ?? this.loaded(site)).then((history) => this.catchUp(site, history))
    const tail = next.catch(() => this.loaded(site))
    this.catchUps.set(site, tail)
    return next
  }

  private loaded(site: string): Promise<SiteHistory> {
    let history = this.sites.get(site)
    if (!history) {
      history = this.load(site)
      this.sites.set(site, history)
      // A failed load (store down) is tried again on the next read.
      history.catch(() => this.sites.delete(site))
    }
    return history
  }

  /** Feed first, then the docs: a doc written in between is picked up by the next catch-up. */
  private async load(site: string): Promise<SiteHistory> {
    const started = Date.now()
    const feed = await this.store.read<FeedRecord>(historyFeed(site), 0)
    const docs = new Map<string, ConversationDoc>()
    for (const entry of await this.store.scan<ConversationDoc>('search', `${site}.`))
      docs.set(entry.value.id, entry.value)
    const history: SiteHistory = { index: new ConversationIndex(), seq: 0 }
    for (const record of feed) this.apply(history, record.seq, record.value, docs.get.bind(docs))
    if (feed.length > 0) this.log.info({ site, docs: history.index.size, ms: Date.now() - started }, 'history loaded')
    return history
  }

  private async catchUp(site: string, history: SiteHistory): Promise<SiteHistory> {
    const records = await this.store.read<FeedRecord>(historyFeed(site), history.seq)
    if (records.length === 0) return history
    const docs = new Map<string, ConversationDoc>()
    await Promise.all(
      records.map(async ({ value }) => {
        if (!('id' in value)) return
        const entry = await this.store.get<ConversationDoc>('search', searchDocKey(site, value.id))
        if (entry) docs.set(value.id, entry.value)
      }),
    )
    for (const record of records) this.apply(history, record.seq, record.value, docs.get.bind(docs))
    return history
  }

  private apply(
    history: SiteHistory,
    seq: number,
    record: FeedRecord,
    doc: (id: string) => ConversationDoc | undefined,
  ): void {
    history.seq = seq
    if ('erase' in record) {
      history.index.erase(record.erase)
      return
    }
    const found = doc(record.id)
    // Erased since (its doc is gone): nothing to index.
    if (found) history.index.add(seq, found)
  }
}
