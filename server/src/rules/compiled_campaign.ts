import type { Audience, Campaign, CampaignMessage, Condition, Frequency, Operator, Team } from './campaign.js'
import { isClock, type Clock, type FactValue } from './facts.js'
import { fieldSpec, type FieldSpec } from './fields.js'
import { ScheduleWindow } from './schedule_window.js'

/** A fact as matching sees it: strings lowercased, absent values (undefined) dropped. */
export type NormScalar = string | number | boolean
export type Norm = NormScalar | NormScalar[] | Clock

function normScalar(value: unknown): NormScalar | undefined {
  if (typeof value === 'string') return value === '' ? undefined : value.toLowerCase()
  if (typeof value === 'number') return Number.isNaN(value) ? undefined : value
  if (typeof value === 'boolean') return value
  return undefined
}

/** The matching form of a fact; undefined when absent or of the wrong shape for the field (a Clock only on clock fields). */
export function normalize(spec: FieldSpec, value: FactValue | Clock | undefined): Norm | undefined {
  if (value === null || value === undefined) return undefined
  if (isClock(value)) return spec.clock && Number.isFinite(value.since) ? value : undefined
  if (spec.clock) return undefined
  if (!Array.isArray(value)) return normScalar(value)
  const list: NormScalar[] = []
  for (const item of value) {
    const n = normScalar(item)
    if (n !== undefined) list.push(n)
  }
  return list.length > 0 ? list : undefined
}

export function sameNorm(a: Norm | undefined, b: Norm | undefined): boolean {
  if (a === b) return true
  if (isClock(a) || isClock(b)) return isClock(a) && isClock(b) && a.since === b.since
  if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false
  return a.every((x, i) => x === b[i])
}

/** A compiled leaf condition; only the members its operator uses are meaningful. */
export interface Leaf {
  readonly field: string
  readonly op: Operator
  /** A gt/gte/lt/lte leaf on a clock field. */
  readonly clock: boolean
  /**
   * eq/neq; contains/not_contains on a list fact (membership). Normalized, so === is the typed,
   * case-insensitive equality of campaign.ts (the number 5 is not the string "5").
   */
  readonly value: NormScalar | undefined
  /** in/not_in; contains_any on a list fact. */
  readonly values: ReadonlySet<NormScalar>
  /** contains/not_contains/starts_with: the lowercased value. */
  readonly text: string
  /** contains_any: the lowercased values. */
  readonly texts: readonly string[]
  /** gt/gte/lt/lte on a non-clock field. */
  readonly num: number
  /**
   * Clock leaves: elapsed ms at which the leaf flips (false→true for gt/gte, true→false for
   * lt/lte); with integer-ms times, elapsed >= reachMs ⇔ the comparison passed/failed.
   */
  readonly reachMs: number
  /** Estimated share of visitors for which the leaf holds (gate choice). */
  readonly score: number
}

const SECONDS_EPSILON = 1e-6

function reachMs(op: Operator, seconds: number): number {
  let ms = seconds * 1000
  const rounded = Math.round(ms)
  if (Math.abs(ms - rounded) < SECONDS_EPSILON) ms = rounded
  return op === 'gt' || op === 'lte' ? Math.floor(ms) + 1 : Math.ceil(ms)
}

/**
 * Gate choice for `clock gte T`: the share of visitors still there after T seconds, modelled
 * as 10 / (10 + T) (about half after 10 s, 3% after 5 minutes).
 */
const CLOCK_HALF_LIFE = 10

/** Operators a gate (shared discrimination index) can serve: positive, false on an absent fact. */
export const GATE_OPERATORS: ReadonlySet<Operator> = new Set<Operator>([
  'eq',
  'in',
  'contains',
  'contains_any',
  'starts_with',
  'gt',
  'gte',
  'exists',
])

function compileLeaf(field: string, op: Operator, value: unknown): Leaf {
  const spec = fieldSpec(field)
  if (!spec) throw new Error(`unknown field ${field} (parseCampaign first)`)
  const list = (Array.isArray(value) ? value : [value]).map(normScalar).filter((v) => v !== undefined)
  const one = list[0]
  const strings = list.filter((v): v is string => typeof v === 'string')
  const clock = spec.clock && (op === 'gt' || op === 'gte' || op === 'lt' || op === 'lte')
  const fanOut = op === 'in' || op === 'contains_any' ? list.length : 1
  return {
    field,
    op,
    clock,
    value: one,
    values: new Set(list),
    text: typeof one === 'string' ? one : '',
    texts: strings,
    num: typeof one === 'number' ? one : 0,
    reachMs: clock && typeof one === 'number' ? reachMs(op, one) : 0,
    score:
      op === 'exists'
        ? 1
        : clock && typeof one === 'number'
          ? CLOCK_HALF_LIFE / (CLOCK_HALF_LIFE + one)
          : Math.min(1, spec.selectivity * fanOut),
  }
}

function scalarMatches(leaf: Leaf, op: Operator, x: NormScalar): boolean {
  switch (op) {
    case 'eq':
      return x === leaf.value
    case 'in':
      return leaf.values.has(x)
    case 'contains':
      return typeof x === 'string' && x.includes(leaf.text)
    case 'contains_any':
      return typeof x === 'string' && leaf.texts.some((t) => x.includes(t))
    case 'starts_with':
      return typeof x === 'string' && x.startsWith(leaf.text)
    case 'gt':
      return typeof x === 'number' && x > leaf.num
    case 'gte':
      return typeof x === 'number' && x >= leaf.num
    case 'lt':
      return typeof x === 'number' && x < leaf.num
    case 'lte':
      return typeof x === 'number' && x <= leaf.num
    default:
      return false
  }
}

function positive(leaf: Leaf, op: Operator, v: Norm, now: number): boolean {
  if (isClock(v)) {
    const reached = now - v.since >= leaf.reachMs
    return op === 'lt' || op === 'lte' ? !reached : reached
  }
  if (!Array.isArray(v)) return scalarMatches(leaf, op, v)
  if (op === 'contains') return v.some((e) => e === leaf.value)
  if (op === 'contains_any') return v.some((e) => leaf.values.has(e))
  return v.some((e) => scalarMatches(leaf, op, e))
}

/** Whether a leaf holds for the (normalized) fact `v` at `now`; semantics in campaign.ts. */
export function holds(leaf: Leaf, v: Norm | undefined, now: number): boolean {
  if (v === undefined) return leaf.op === 'not_exists'
  switch (leaf.op) {
    case 'exists':
      return true
    case 'not_exists':
      return false
    case 'neq':
      return !positive(leaf, 'eq', v, now)
    case 'not_contains':
      return !positive(leaf, 'contains', v, now)
    case 'not_in':
      return !positive(leaf, 'in', v, now)
    default:
      return positive(leaf, leaf.op, v, now)
  }
}

type Node = { kind: 'leaf'; leaf: number } | { kind: 'all' | 'any'; children: Node[] } | { kind: 'not'; child: Node }

/** Looks up a normalized fact by field name. */
/** Normalized facts by field (a Map of them will do). */
export interface NormLookup {
  get(field: string): Norm | undefined
}

/**
 * One campaign compiled for matching: leaves numbered in definition order, the condition
 * tree over them, and its gate.
 */
export class CompiledCampaign {
  readonly id: string
  readonly priority: number
  readonly audience: Audience
  readonly team: Team
  readonly frequency: Frequency
  readonly cooldownMs: number
  readonly message: CampaignMessage
  readonly schedule: ScheduleWindow | undefined
  readonly leaves: Leaf[] = []
  /** undefined: no `when`, always true. */
  private readonly root: Node | undefined
  readonly leavesByField = new Map<string, number[]>()
  /** Leaves whose truth changes with time (gt/gte/lt/lte on clock fields). */
  readonly clockLeaves: number[] = []
  /**
   * Leaf indexes one of which must hold whenever `when` holds, all served by the shared
   * indexes (GATE_OPERATORS), chosen to be as selective as possible; undefined when the
   * condition has no such set (e.g. `not` at the top, or no `when`). Only campaigns whose
   * gate holds are evaluated for a visitor.
   */
  readonly gate: number[] | undefined
  /** The whole definition as JSON: equal signatures mean an unchanged campaign across recompiles. */
  readonly signature: string

  constructor(
    campaign: Campaign,
    /** Position in the engine's campaign list (definition order). */
    readonly index: number,
  ) {
    this.id = campaign.id
    this.signature = JSON.stringify(campaign)
    this.priority = campaign.priority
    this.audience = campaign.audience
    this.team = campaign.team
    this.frequency = campaign.frequency
    this.cooldownMs = campaign.cooldownSeconds * 1000
    this.message = campaign.message
    this.schedule = campaign.schedule && new ScheduleWindow(campaign.schedule)
    this.root = campaign.when && this.compile(campaign.when)
    this.gate = this.root && this.gateOf(this.root)?.leaves
  }

  private compile(condition: Condition): Node {
    if ('all' in condition) return { kind: 'all', children: condition.all.map((c) => this.compile(c)) }
    if ('any' in condition) return { kind: 'any', children: condition.any.map((c) => this.compile(c)) }
    if ('not' in condition) return { kind: 'not', child: this.compile(condition.not) }
    const leaf = compileLeaf(condition.field, condition.op, condition.value)
    const index = this.leaves.push(leaf) - 1
    const same = this.leavesByField.get(leaf.field)
    if (same) same.push(index)
    else this.leavesByField.set(leaf.field, [index])
    if (leaf.clock) this.clockLeaves.push(index)
    return { kind: 'leaf', leaf: index }
  }

  private gateOf(node: Node): { leaves: number[]; score: number } | undefined {
    switch (node.kind) {
      case 'leaf': {
        const leaf = this.leaves[node.leaf] as Leaf
        return GATE_OPERATORS.has(leaf.op) ? { leaves: [node.leaf], score: leaf.score } : undefined
      }
      case 'all': {
        let best: { leaves: number[]; score: number } | undefined
        for (const child of node.children) {
          const gate = this.gateOf(child)
          if (gate && (!best || gate.score < best.score)) best = gate
        }
        return best
      }
      case 'any': {
        const gates = node.children.map((c) => this.gateOf(c))
        if (gates.some((g) => g === undefined)) return undefined
        return {
          leaves: gates.flatMap((g) => g?.leaves ?? []),
          score: gates.reduce((sum, g) => sum + (g?.score ?? 0), 0),
        }
      }
      case 'not':
        return undefined
    }
  }

  /** The condition's value given each leaf's truth. */
  evaluate(truth: ArrayLike<number>): boolean {
    return this.root === undefined || this.node(this.root, truth)
  }

  private node(node: Node, truth: ArrayLike<number>): boolean {
    switch (node.kind) {
      case 'leaf':
        return truth[node.leaf] === 1
      case 'all':
        for (const c of node.children) if (!this.node(c, truth)) return false
        return true
      case 'any':
        for (const c of node.children) if (this.node(c, truth)) return true
        return false
      case 'not':
        return !this.node(node.child, truth)
    }
  }

  /** Evaluates every leaf into `truth`. */
  fill(truth: Uint8Array, facts: NormLookup, now: number): void {
    for (let i = 0; i < this.leaves.length; i++) {
      const leaf = this.leaves[i] as Leaf
      truth[i] = holds(leaf, facts.get(leaf.field), now) ? 1 : 0
    }
  }

  /** Earliest instant after `now` at which a clock leaf flips; Infinity if none will. */
  nextClockChange(facts: NormLookup, now: number): number {
    let next = Infinity
    for (const i of this.clockLeaves) {
      const leaf = this.leaves[i] as Leaf
      const v = facts.get(leaf.field)
      if (!isClock(v)) continue
      const at = v.since + leaf.reachMs
      if (at > now && at < next) next = at
    }
    return next
  }

  /** The audience and team gates. */
  admits(authenticated: boolean, teamOnline: boolean): boolean {
    if (this.audience === 'visitors' ? authenticated : this.audience === 'users' ? !authenticated : false) return false
    return this.team === 'any' || (this.team === 'online') === teamOnline
  }
}
