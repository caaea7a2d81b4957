import { AhoCorasick } from './aho_corasick.js'
import type { Leaf, Norm, NormScalar } from './compiled_campaign.js'
import { isClock } from './facts.js'

/** Prefixed to starts_with patterns and to searched texts, so the automaton also finds prefixes. */
const ANCHOR = '\u0000'

export interface Threshold {
  /** The number (or clock reachMs) the fact must reach. */
  readonly at: number
  /** gt: the fact must exceed `at`. Clock thresholds are never strict (reachMs folds it in). */
  readonly strict: boolean
  readonly pred: number
}

/**
 * The discrimination index of one field over the gate predicates of every campaign of a
 * site (deduplicated: campaigns with the same leaf share one predicate). Given a value it
 * yields the predicates that hold without looking at the others: eq/in through a hash map,
 * contains/contains_any/starts_with through one Aho–Corasick automaton (and a hash map for
 * list facts, where contains means membership), gt/gte as a sorted threshold list whose
 * holding entries are a prefix, exists as a single predicate.
 */
export class FieldIndex {
  private readonly byKey = new Map<string, number>()
  private readonly hash = new Map<NormScalar, number[]>()
  private readonly members = new Map<NormScalar, number[]>()
  private readonly patterns: string[] = []
  private readonly patternIds = new Map<string, number>()
  private readonly patternPreds: number[][] = []
  private automaton: AhoCorasick | undefined
  /** Sorted so that, for any value, the thresholds that hold are a prefix. */
  readonly thresholds: Threshold[] = []
  private exists = -1
  private readonly scratch: number[] = []

  constructor(readonly clock: boolean) {}

  /** The predicate id of a gate leaf on this field, registering it under `next()` when new. */
  add(leaf: Leaf, next: () => number): number {
    const operand =
      leaf.op === 'in' || leaf.op === 'contains_any'
        ? [...leaf.values].map(typed).sort().join('\u0000')
        : leaf.clock
          ? leaf.reachMs
          : `${typed(leaf.value)}${leaf.num}`
    const key = `${leaf.op}\u0000${operand}`
    const known = this.byKey.get(key)
    if (known !== undefined) return known
    const pred = next()
    this.byKey.set(key, pred)
    switch (leaf.op) {
      case 'exists':
        this.exists = pred
        break
      case 'eq':
        if (leaf.value !== undefined) push(this.hash, leaf.value, pred)
        break
      case 'in':
        for (const v of leaf.values) push(this.hash, v, pred)
        break
      case 'contains':
        this.pattern(leaf.text, pred)
        if (leaf.value !== undefined) push(this.members, leaf.value, pred)
        break
      case 'contains_any':
        for (const text of leaf.texts) this.pattern(text, pred)
        for (const v of leaf.values) push(this.members, v, pred)
        break
      case 'starts_with':
        this.pattern(ANCHOR + leaf.text, pred)
        break
      case 'gt':
      case 'gte':
        this.thresholds.push(
          leaf.clock ? { at: leaf.reachMs, strict: false, pred } : { at: leaf.num, strict: leaf.op === 'gt', pred },
        )
        break
      default:
        throw new Error(`operator ${leaf.op} cannot be indexed`)
    }
    return pred
  }

  private pattern(text: string, pred: number): void {
    let id = this.patternIds.get(text)
    if (id === undefined) {
      id = this.patterns.push(text) - 1
      this.patternIds.set(text, id)
      this.patternPreds.push([])
    }
    this.patternPreds[id]?.push(pred)
  }

  /** Call once after the last add(). */
  seal(): void {
    this.thresholds.sort((a, b) => a.at - b.at || Number(a.strict) - Number(b.strict))
    if (this.patterns.length > 0) this.automaton = new AhoCorasick(this.patterns)
  }

  /** Appends the exists/eq/in/contains/starts_with predicates that hold for `v` (may repeat one). */
  collect(v: Norm | undefined, out: number[]): void {
    if (v === undefined) return
    if (this.exists >= 0) out.push(this.exists)
    if (isClock(v)) return
    if (!Array.isArray(v)) {
      appendAll(out, this.hash.get(v))
      if (typeof v === 'string') this.search(v, false, out)
      return
    }
    for (const e of v) {
      appendAll(out, this.hash.get(e))
      if (typeof e !== 'string') continue
      appendAll(out, this.members.get(e))
      this.search(e, true, out)
    }
  }

  private search(text: string, prefixesOnly: boolean, out: number[]): void {
    if (!this.automaton) return
    const hits = this.scratch
    hits.length = 0
    this.automaton.search(ANCHOR + text, hits)
    for (const id of hits) {
      if (prefixesOnly && !this.patterns[id]?.startsWith(ANCHOR)) continue
      appendAll(out, this.patternPreds[id])
    }
  }

  /** How many thresholds hold for a non-clock value (a list: its largest number). */
  prefix(v: Norm | undefined): number {
    if (this.thresholds.length === 0 || v === undefined || isClock(v)) return 0
    let x = -Infinity
    for (const e of Array.isArray(v) ? v : [v]) if (typeof e === 'number' && e > x) x = e
    if (x === -Infinity) return 0
    return this.firstFailing((t) => t.at < x || (t.at === x && !t.strict))
  }

  /** How many thresholds hold once a clock has run `elapsedMs`. */
  clockPrefix(elapsedMs: number): number {
    return this.firstFailing((t) => t.at <= elapsedMs)
  }

  private firstFailing(passes: (t: Threshold) => boolean): number {
    let lo = 0
    let hi = this.thresholds.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (passes(this.thresholds[mid] as Threshold)) lo = mid + 1
      else hi = mid
    }
    return lo
  }
}

/** A predicate's operand as text for deduplication, keeping its type ("5" ≠ 5). */
function typed(x: NormScalar | undefined): string {
  return `${typeof x}:${String(x)}`
}

function push(map: Map<NormScalar, number[]>, key: NormScalar, pred: number): void {
  const list = map.get(key)
  if (list) list.push(pred)
  else map.set(key, [pred])
}

function appendAll(out: number[], preds: readonly number[] | undefined): void {
  if (preds) for (const p of preds) out.push(p)
}
