import type { Rating } from '../../../shared/src/protocol.js'
import type { Invitation } from './conversation.js'

/** What the search index keeps of a closed conversation (bucket `search`, key `SITE.ID`). */
export interface ConversationDoc {
  id: string
  visitor: string
  name?: string
  email?: string
  /** The assignee when it closed. */
  operator?: string
  /** Every operator who wrote in it (and the assignee). */
  operators: string[]
  departments: string[]
  createdAt: number
  closedAt: number
  messages: number
  /** The visitor's first message (or the invitation), cut to 140 characters. */
  preview: string
  rating?: Rating
  invitation?: Invitation
  /** An offline message's contact form. */
  offline?: boolean
  /** Distinct normalised words of the messages and the invitation text (BECKON_HISTORY_MAX_WORDS). */
  words: string[]
}

/** A search; every given part must match (AND). */
export interface ConversationQuery {
  /** Words that each begin a word of the visitor's id, name or email. */
  visitor?: string[]
  operator?: string
  /** Words that each begin a word of the messages or the invitation. */
  q?: string[]
  /** `createdAt` within [from, to] (epoch ms). */
  from?: number
  to?: number
  /** Undefined: all departments (admin, sees_all_online_visitors). */
  departments?: readonly string[]
  limit: number
  /** Only docs indexed before this seq (the previous page's `next`). */
  before?: number
}

export interface QueryResult {
  docs: ConversationDoc[]
  /** The seq to pass as `before` for the next page, when there may be one. */
  next?: number
}

/** No character beyond U+007F (checked by code unit, no control-character regex). */
const ASCII = /^[^\u0080-\uffff]*$/

/** Lowercased words without diacritics: what both indexing and queries compare. */
export function normalisedWords(text: string): string[] {
  // Most chat text is ASCII: the Unicode path (decomposition, property classes) costs ~10x more.
  const words = ASCII.test(text)
    ? text.toLowerCase().split(/[^a-z0-9]+/)
    : text
        .normalize('NFKD')
        .replace(/\p{M}/gu, '')
        .toLowerCase()
        .split(/[^\p{L}\p{N}]+/u)
  return words.filter((w) => w.length > 0)
}

/** Query words: normalised, at least 2 characters (shorter ones would match nearly everything). */
export const queryWords = (text: string): string[] => normalisedWords(text).filter((w) => w.length >= 2)

/** Words indexed for the visitor part of a doc. */
export const visitorWords = (doc: Pick<ConversationDoc, 'visitor' | 'name' | 'email'>): string[] => [
  ...new Set([
    ...normalisedWords(doc.visitor),
    ...normalisedWords(doc.name ?? ''),
    ...normalisedWords(doc.email ?? ''),
  ]),
]

const DAY_MS = 86_400_000
/** Date ranges up to this many days are answered from the per-day keys; longer ones filter. */
const MAX_DAY_LISTS = 400

/** Terms added since the sorted list was last merged; merged past this many. */
const UNSORTED_TERMS = 1024

/** Distinct terms with a posting list each, for exact and prefix look-ups. */
class TermIndex {
  private readonly postings = new Map<string, number[]>()
  private sorted: string[] = []
  /** New terms not in `sorted` yet (scanned linearly): inserting each into the sorted list would cost O(terms). */
  private unsorted: string[] = []

  add(term: string, slot: number): void {
    const list = this.postings.get(term)
    if (list) {
      if (list[list.length - 1] !== slot) list.push(slot)
      return
    }
    this.postings.set(term, [slot])
    this.unsorted.push(term)
    if (this.unsorted.length > UNSORTED_TERMS) this.merge()
  }

  private merge(): void {
    this.sorted = [...this.sorted, ...this.unsorted].sort()
    this.unsorted = []
  }

  /** Docs having a term that begins with `prefix`: an upper-bound count, and their slots (ascending) on demand. */
  prefixKey(prefix: string): { size: number; slots: () => number[] } {
    const lists: number[][] = []
    for (let i = firstAtLeast(this.sorted, prefix); i < this.sorted.length; i++) {
      const term = this.sorted[i] as string
      if (!term.startsWith(prefix)) break
      lists.push(this.postings.get(term) as number[])
    }
    for (const term of this.unsorted) if (term.startsWith(prefix)) lists.push(this.postings.get(term) as number[])
    return unionKey(lists)
  }

  get terms(): number {
    return this.postings.size
  }
}

/** The sorted, distinct union of ascending slot lists. */
function union(lists: number[][]): number[] {
  if (lists.length === 0) return []
  if (lists.length === 1) return lists[0] as number[]
  let total = 0
  for (const list of lists) total += list.length
  const all = new Uint32Array(total)
  let at = 0
  for (const list of lists) {
    all.set(list, at)
    at += list.length
  }
  all.sort()
  const out: number[] = []
  for (let i = 0; i < all.length; i++) if (i === 0 || all[i] !== all[i - 1]) out.push(all[i] as number)
  return out
}

/**
 * In-memory inverted index of one site's closed conversations. Docs get slots in the order
 * of their seq (the site's history feed), so every posting list is ascending and results come
 * newest-closed first by walking slots downwards. Keys: message words (prefix look-up over a
 * sorted term list), visitor words, operator, department, and the UTC day of `createdAt`.
 * A query walks the docs of its most selective key, newest first, and stops after `limit`
 * hits: its cost follows the smallest matching key, not the site's size.
 */
export class ConversationIndex {
  private readonly docs: Array<ConversationDoc | undefined> = []
  /** visitorWords() of each slot's doc, for checking candidates. */
  private readonly who: string[][] = []
  private readonly seqs: number[] = []
  private readonly slotOf = new Map<string, number>()
  private readonly words = new TermIndex()
  private readonly visitors = new TermIndex()
  private readonly visitorSlots = new Map<string, number[]>()
  private readonly operators = new Map<string, number[]>()
  private readonly departments = new Map<string, number[]>()
  /** Docs with no department: every operator of the site sees them. */
  private readonly siteWide: number[] = []
  private readonly days = new Map<number, number[]>()

  get size(): number {
    return this.slotOf.size
  }

  /** The number of distinct message words (the bench prints it). */
  get terms(): number {
    return this.words.terms
  }

  /** Highest seq indexed so far (0: none). */
  get lastSeq(): number {
    return this.seqs[this.seqs.length - 1] ?? 0
  }

  /**
   * Indexes `doc` at `seq` (strictly above every seq before). A conversation indexed again
   * (rated after closing) keeps its place and keys; its record is replaced and new words added.
   */
  add(seq: number, doc: ConversationDoc): void {
    const known = this.slotOf.get(doc.id)
    if (known !== undefined) {
      this.docs[known] = doc
      for (const word of doc.words) this.words.add(word, known)
      return
    }
    if (seq <= this.lastSeq) throw new Error(`seq ${seq} not above ${this.lastSeq}`)
    const slot = this.docs.length
    this.docs.push(doc)
    this.seqs.push(seq)
    this.slotOf.set(doc.id, slot)
    for (const word of doc.words) this.words.add(word, slot)
    const who = visitorWords(doc)
    this.who.push(who)
    for (const word of who) this.visitors.add(word, slot)
    push(this.visitorSlots, doc.visitor, slot)
    for (const operator of doc.operators) push(this.operators, operator, slot)
    if (doc.departments.length === 0) this.siteWide.push(slot)
    for (const department of doc.departments) push(this.departments, department, slot)
    push(this.days, Math.floor(doc.createdAt / DAY_MS), slot)
  }

  get(id: string): ConversationDoc | undefined {
    const slot = this.slotOf.get(id)
    return slot === undefined ? undefined : this.docs[slot]
  }

  /** The visitor's conversations, newest first. */
  ofVisitor(visitor: string, limit: number): ConversationDoc[] {
    const slots = this.visitorSlots.get(visitor) ?? []
    const out: ConversationDoc[] = []
    for (let i = slots.length - 1; i >= 0 && out.length < limit; i--) {
      const doc = this.docs[slots[i] as number]
      if (doc) out.push(doc)
    }
    return out
  }

  /** Drops a visitor's docs (erasure); their slots stay empty. */
  erase(visitor: string): number {
    let erased = 0
    for (const slot of this.visitorSlots.get(visitor) ?? []) {
      const doc = this.docs[slot]
      if (!doc) continue
      this.docs[slot] = undefined
      this.slotOf.delete(doc.id)
      erased++
    }
    this.visitorSlots.delete(visitor)
    return erased
  }

  /**
   * Plans, then runs: each constraint's key gives an (upper-bound) count of the docs it
   * matches. When the most selective key is small against the walk it would spare, its docs
   * are the candidates (newest first); otherwise matches are dense and walking the newest docs
   * finds a page sooner. Either way every candidate is checked against every constraint.
   */
  search(query: ConversationQuery): QueryResult {
    const keys: Array<{ size: number; slots: () => number[] }> = []
    for (const word of query.q ?? []) keys.push(this.words.prefixKey(word))
    for (const word of query.visitor ?? []) keys.push(this.visitors.prefixKey(word))
    if (query.operator !== undefined) keys.push(listKey(this.operators.get(query.operator) ?? []))
    const departments = query.departments
    if (departments !== undefined)
      keys.push(unionKey([this.siteWide, ...departments.map((d) => this.departments.get(d) ?? [])]))
    if (query.from !== undefined && query.to !== undefined) {
      const first = Math.floor(query.from / DAY_MS)
      const last = Math.floor(query.to / DAY_MS)
      if (last - first < MAX_DAY_LISTS) {
        const days: number[][] = []
        for (let day = first; day <= last; day++) days.push(this.days.get(day) ?? [])
        keys.push(unionKey(days))
      }
    }
    const total = Math.max(1, this.docs.length)
    let lead: (typeof keys)[number] | undefined
    let expected = total
    for (const key of keys) {
      expected *= key.size / total
      if (!lead || key.size < lead.size) lead = key
    }
    // Docs a walk visits to fill a page, each costing a few checks more than a list step.
    const walk = (query.limit * total) / Math.max(expected, 1e-9)
    const candidates = lead && walk * WALK_COST > lead.size ? lead.slots() : undefined

    let top = this.docs.length - 1
    if (query.before !== undefined) top = firstAtLeast(this.seqs, query.before) - 1
    const docs: ConversationDoc[] = []
    let lastSlot = -1
    let next: number | undefined
    /** Takes a matching slot; true once a match beyond the page shows there is a next page. */
    const consider = (slot: number): boolean => {
      const doc = this.docs[slot]
      if (!doc || !matches(doc, this.who[slot] as string[], query)) return false
      if (docs.length === query.limit) {
        next = this.seqs[lastSlot]
        return true
      }
      docs.push(doc)
      lastSlot = slot
      return false
    }
    if (candidates === undefined) {
      for (let slot = top; slot >= 0; slot--) if (consider(slot)) break
    } else {
      for (let i = firstAtLeast(candidates, top + 1) - 1; i >= 0; i--) if (consider(candidates[i] as number)) break
    }
    return next === undefined ? { docs } : { docs, next }
  }

  /** The unindexed baseline the bench compares with: every doc, newest first, checked against the query. */
  scan(query: ConversationQuery): ConversationDoc[] {
    const out: ConversationDoc[] = []
    for (let slot = this.docs.length - 1; slot >= 0 && out.length < query.limit; slot--) {
      const doc = this.docs[slot]
      if (doc && matches(doc, visitorWords(doc), query)) out.push(doc)
    }
    return out
  }
}

/** A list step costs about this many times less than checking a doc against a query. */
const WALK_COST = 8

/** Whether `doc` (with its visitorWords `who`) satisfies every constraint of `query` (`before` and `limit` aside). */
function matches(doc: ConversationDoc, who: readonly string[], query: ConversationQuery): boolean {
  if (query.from !== undefined && doc.createdAt < query.from) return false
  if (query.to !== undefined && doc.createdAt > query.to) return false
  if (query.operator !== undefined && !doc.operators.includes(query.operator)) return false
  const allowed = query.departments
  if (allowed && doc.departments.length > 0 && !doc.departments.some((d) => allowed.includes(d))) return false
  if (query.q && !query.q.every((w) => doc.words.some((d) => d.startsWith(w)))) return false
  if (query.visitor && !query.visitor.every((w) => who.some((d) => d.startsWith(w)))) return false
  return true
}

const listKey = (list: number[]) => ({ size: list.length, slots: () => list })

function unionKey(lists: number[][]) {
  let size = 0
  for (const list of lists) size += list.length
  return { size, slots: () => union(lists) }
}

function push<K>(map: Map<K, number[]>, key: K, slot: number): void {
  const list = map.get(key)
  if (!list) map.set(key, [slot])
  else if (list[list.length - 1] !== slot) list.push(slot)
}

/** First index of ascending `list` whose value is >= `value`. */
function firstAtLeast<T extends string | number>(list: readonly T[], value: T): number {
  let lo = 0
  let hi = list.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if ((list[mid] as T) < value) lo = mid + 1
    else hi = mid
  }
  return lo
}
