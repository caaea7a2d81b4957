import type { Clock, FactValue } from './facts.js'
import { FIELDS } from './fields.js'

type Fact = FactValue | Clock

/** Fixed field name → its slot in every FactTable (shared by all). */
const SLOT: ReadonlyMap<string, number> = new Map(Object.keys(FIELDS).map((name, i) => [name, i]))
const NAMES: readonly string[] = Object.keys(FIELDS)

/**
 * A visitor's present facts (Facts, a read-only Map by field name) in compact form: the
 * fixed fields of fields.ts in one array indexed by field, `context.*` fields in a Map made
 * when the first one is set. A Map of some twenty facts costs an idle visitor about 1 KB;
 * this about a third of it. Iteration: fixed fields in catalogue order, then context fields
 * in insertion order. Absent facts are not stored (set() takes only present values).
 */
export class FactTable implements ReadonlyMap<string, Fact> {
  private readonly fixed: Array<Fact | undefined> = new Array(NAMES.length).fill(undefined)
  private context: Map<string, Fact> | undefined
  private fixedCount = 0

  get size(): number {
    return this.fixedCount + (this.context?.size ?? 0)
  }

  get(field: string): Fact | undefined {
    const slot = SLOT.get(field)
    return slot === undefined ? this.context?.get(field) : this.fixed[slot]
  }

  has(field: string): boolean {
    return this.get(field) !== undefined
  }

  set(field: string, value: Fact): this {
    const slot = SLOT.get(field)
    if (slot === undefined) {
      ;(this.context ??= new Map()).set(field, value)
      return this
    }
    if (this.fixed[slot] === undefined) this.fixedCount += 1
    this.fixed[slot] = value
    return this
  }

  /** Whether the field was present. */
  delete(field: string): boolean {
    const slot = SLOT.get(field)
    if (slot === undefined) return this.context?.delete(field) ?? false
    if (this.fixed[slot] === undefined) return false
    this.fixed[slot] = undefined
    this.fixedCount -= 1
    return true
  }

  *entries(): MapIterator<[string, Fact]> {
    for (let i = 0; i < NAMES.length; i++) {
      const value = this.fixed[i]
      if (value !== undefined) yield [NAMES[i] as string, value]
    }
    if (this.context) yield* this.context
  }

  *keys(): MapIterator<string> {
    for (const [field] of this.entries()) yield field
  }

  *values(): MapIterator<Fact> {
    for (const [, value] of this.entries()) yield value
  }

  [Symbol.iterator](): MapIterator<[string, Fact]> {
    return this.entries()
  }

  forEach(callback: (value: Fact, field: string, map: ReadonlyMap<string, Fact>) => void, thisArg?: unknown): void {
    for (const [field, value] of this.entries()) callback.call(thisArg, value, field, this)
  }
}
