import type { CampaignEngine } from './campaign_engine.js'
import type { CollectField } from './campaign.js'
import { holds, normalize, sameNorm, type CompiledCampaign, type Leaf, type Norm } from './compiled_campaign.js'
import { isClock, type Clock, type FactValue, type Facts } from './facts.js'
import type { FieldIndex } from './field_index.js'
import { fieldSpec } from './fields.js'
import { renderTemplate } from './template.js'

/**
 * What a visitor's campaigns remember across attachments. The caller persists it: firedEver
 * for the visitor's lifetime (once_per_visitor holds across tabs, reconnects and restarts),
 * firedThisVisit cleared when a new visit starts, lastFiredAt for cooldowns. The matcher
 * adds to all three when a campaign fires.
 */
export interface CampaignMemory {
  firedEver: IdSet
  firedThisVisit: IdSet
  lastFiredAt: FiredTimes
}

/** What the matcher uses of a set of campaign ids (a Set will do). */
export interface IdSet {
  has(id: string): boolean
  add(id: string): unknown
}

/** What the matcher uses of campaign id → last fired (epoch ms) (a Map will do). */
export interface FiredTimes {
  get(id: string): number | undefined
  set(id: string, at: number): unknown
}

/** A campaign invitation to show, message rendered for the visitor (plain text). */
export interface Invitation {
  campaign: string
  text: string
  /** Omitted when the campaign has none (or it renders empty). */
  followUp?: string
  /** Omitted when empty. */
  collect?: CollectField[]
  startChat: boolean
  priority: number
  /** once_per_visitor, once_per_visit or a cooldown: shown only once its fired-record is durable. */
  limited: boolean
}

/** A campaign evaluated for this visitor because its gate holds (or it has none). */
export interface Active {
  readonly campaign: CompiledCampaign
  /** Per leaf: 1 when it holds. */
  readonly truth: Uint8Array
  /** Whether `when` holds. */
  root: boolean
  /** Earliest time a clock leaf flips; Infinity when none will. */
  nextClock: number
  /** Activated in the current step, not evaluated yet. */
  fresh: boolean
  /** A leaf changed in the current step. */
  dirty: boolean
}

/** What a matcher tracks once some campaign concerns its visitor. */
interface MatchState {
  gates: Map<string, GateState>
  /** Clock fields with thresholds still ahead. */
  running: Map<string, GateState>
  /** Campaign index → number of its gate predicates that hold (only when > 0). */
  gateCount: Map<number, number>
  active: Map<number, Active>
  /** Field → active campaigns reading it. */
  watch: Map<string, Set<Active>>
  /** Active campaigns with clock leaves. */
  timed: Set<Active>
  /** Campaigns whose `when` holds → whether they fired since it became true. */
  episodes: Map<number, { fired: boolean }>
}

/** One field's gate predicates that hold: `preds` (hash/pattern/exists) and a threshold prefix. */
interface GateState {
  readonly index: FieldIndex
  preds: readonly number[]
  prefix: number
}

const NONE: Invitation[] = []
const NO_PREDS: readonly number[] = []
const NO_FACTS: Facts = new Map()
const NO_IDS: readonly string[] = []

/**
 * Matches one attached visitor against a CampaignEngine, incrementally (semantics in
 * campaign.ts). Per-visitor state is sparse: the facts, the gate predicates that hold, and
 * the campaigns whose gate holds (each with one byte per leaf).
 *
 * - update() re-evaluates only what reads the changed fields: the field's gate index
 *   yields the predicates that flipped; only active campaigns reading the field re-check
 *   those leaves.
 * - Time: nextWakeAt is the earliest moment anything can change without an event (a clock
 *   condition crossing its threshold either way, a schedule boundary, a cooldown ending).
 *   The caller calls wake() then; update() and wake() also catch up on anything due since.
 * Every method takes the current time; time never runs backwards (an older `now` is treated
 * as the latest one seen). Not thread-safe: one visitor's calls are serialized by the caller.
 */
export class VisitorMatcher {
  /** When to call wake(); undefined: nothing time-based is pending. */
  nextWakeAt: number | undefined
  private now: number
  private slotTaken = false
  /** Made when a printed field is first set (most sites' templates print none). */
  private raw: Map<string, FactValue | Clock> | undefined
  private readonly norm = new Map<string, Norm>()
  /** Made when a gate predicate first holds: a visitor no campaign concerns keeps none. */
  private st: MatchState | undefined
  // Scratch lists shared by every matcher of the engine (one call runs at a time): no allocation
  // in the steady state, and none of their memory per visitor.
  private readonly todo: Active[]
  private readonly changed: string[]
  private readonly falls: number[]
  private readonly found: number[]

  /** Use CampaignEngine.attach(). */
  constructor(
    private readonly engine: CampaignEngine,
    facts: Facts,
    private readonly memory: CampaignMemory,
    now: number,
    previous?: VisitorMatcher,
  ) {
    this.now = now
    ;({ todo: this.todo, changed: this.changed, falls: this.falls, found: this.found } = engine.scratch)
    for (const index of engine.ungated) this.activate(index)
    this.apply(facts)
    if (previous) this.inherit(previous)
    this.schedule(true)
  }

  /** Episodes that fired under `previous` stay fired here when their campaign's definition is unchanged. */
  private inherit(previous: VisitorMatcher): void {
    const fired = new Set<string>()
    for (const [index, episode] of previous.st?.episodes ?? []) {
      if (episode.fired) fired.add((previous.engine.campaigns[index] as CompiledCampaign).signature)
    }
    if (fired.size === 0) return
    for (const [index, episode] of this.st?.episodes ?? []) {
      if (fired.has((this.engine.campaigns[index] as CompiledCampaign).signature)) episode.fired = true
    }
  }

  /** The tracking state, made on first write. */
  private get s(): MatchState {
    return (this.st ??= {
      gates: new Map(),
      running: new Map(),
      gateCount: new Map(),
      active: new Map(),
      watch: new Map(),
      timed: new Set(),
      episodes: new Map(),
    })
  }

  /** Whether an invitation (from a campaign or an operator) is showing. */
  get occupied(): boolean {
    return this.slotTaken
  }

  /** Facts changed (only the changed ones need be given; null = now absent). Returns what fires. */
  update(changes: Facts, now: number): Invitation[] {
    this.advance(now)
    this.apply(changes)
    return this.step()
  }

  /** Time passed (call at nextWakeAt). Returns what fires. */
  wake(now: number): Invitation[] {
    this.advance(now)
    return this.step()
  }

  /** The showing invitation was opened or dismissed: the slot is free for pending campaigns. */
  resolved(now: number): Invitation[] {
    this.slotTaken = false
    return this.wake(now)
  }

  /** A manual (operator) invitation is showing: campaigns wait until resolved(). */
  occupy(): void {
    this.slotTaken = true
    this.schedule(false)
  }

  /**
   * How many campaigns are evaluated for this visitor (gate holds, or no gate): the
   * per-event cost driver, worth exporting as a metric.
   */
  get activeCampaigns(): number {
    return this.st?.active.size ?? 0
  }

  /** Ids of the campaigns eligible as of the last call (definition order), for live stats. */
  eligibleNow(): readonly string[] {
    // Called for every visitor of the node each stats period: no allocation for the many with no episode.
    if (!this.st || this.st.episodes.size === 0) return NO_IDS
    const ids: string[] = []
    for (const index of [...this.st.episodes.keys()].sort((a, b) => a - b)) {
      const c = this.engine.campaigns[index] as CompiledCampaign
      if (this.eligible(c)) ids.push(c.id)
    }
    return ids
  }

  private step(): Invitation[] {
    const fired = this.fire()
    this.schedule(false)
    return fired
  }

  private apply(changes: Facts): void {
    const changed = this.changed
    changed.length = 0
    for (const [field, value] of changes) {
      // Raw values are kept only for fields some message template prints, normalized ones
      // only for fields some condition reads: most facts concern no campaign of the site.
      const printed = this.engine.templateFields.has(field)
      if (!printed && !this.engine.readFields.has(field)) continue
      const spec = fieldSpec(field)
      if (!spec) continue
      const v = normalize(spec, value)
      if (v === undefined) {
        if (printed) this.raw?.delete(field)
        if (!this.norm.delete(field)) continue
      } else {
        if (printed) (this.raw ??= new Map()).set(field, value as FactValue | Clock)
        if (sameNorm(this.norm.get(field), v)) continue
        this.norm.set(field, v)
      }
      changed.push(field)
    }
    // Rises before falls: a campaign whose gate moves from one predicate to another in the
    // same step stays active, so its `when` sees no false edge.
    const falls = this.falls
    falls.length = 0
    for (const field of changed) this.regate(field, falls)
    for (const p of falls) this.flip(p, false)
    for (const field of changed) {
      const watchers = this.st?.watch.get(field)
      if (!watchers) continue
      for (const a of watchers) {
        if (a.fresh) continue
        for (const i of a.campaign.leavesByField.get(field) as number[]) {
          a.truth[i] = holds(a.campaign.leaves[i] as Leaf, this.norm.get(field), this.now) ? 1 : 0
        }
        this.touch(a)
      }
    }
    this.settle()
  }

  /** Moves time to `now`: clock thresholds crossed since the last call. */
  private advance(now: number): void {
    if (now > this.now) this.now = now
    const st = this.st
    if (!st) return
    for (const [field, g] of st.running) {
      const clock = this.norm.get(field) as Clock
      const elapsed = this.now - clock.since
      const thresholds = g.index.thresholds
      for (let t = thresholds[g.prefix]; t && t.at <= elapsed; t = thresholds[g.prefix]) {
        g.prefix++
        this.flip(t.pred, true)
      }
      if (g.prefix >= thresholds.length) st.running.delete(field)
    }
    for (const a of st.timed) {
      if (a.fresh || a.nextClock > this.now) continue
      for (const i of a.campaign.clockLeaves) {
        const leaf = a.campaign.leaves[i] as Leaf
        a.truth[i] = holds(leaf, this.norm.get(leaf.field), this.now) ? 1 : 0
      }
      this.touch(a)
    }
    this.settle()
  }

  /** Recomputes which gate predicates of `field` hold: flips the risen ones, adds the fallen to `falls`. */
  private regate(field: string, falls: number[]): void {
    const index = this.engine.indexes.get(field)
    if (!index) return
    const v = this.norm.get(field)
    const g = this.st?.gates.get(field) ?? { index, preds: [], prefix: 0 }
    const found = this.found
    found.length = 0
    index.collect(v, found)
    const stamps = this.engine.stamps
    const old = this.engine.nextGeneration()
    const seen = old + 1
    for (const p of g.preds) stamps[p] = old
    let preds: readonly number[] = NO_PREDS
    if (found.length > 0) {
      const list: number[] = []
      for (const p of found) {
        if (stamps[p] === seen) continue
        if (stamps[p] !== old) this.flip(p, true)
        stamps[p] = seen
        list.push(p)
      }
      preds = list
    }
    for (const p of g.preds) if (stamps[p] === old) falls.push(p)
    g.preds = preds

    const prefix = isClock(v) ? index.clockPrefix(this.now - v.since) : index.prefix(v)
    for (let i = g.prefix; i < prefix; i++) this.flip((index.thresholds[i] as { pred: number }).pred, true)
    for (let i = prefix; i < g.prefix; i++) falls.push((index.thresholds[i] as { pred: number }).pred)
    g.prefix = prefix
    if (isClock(v) && prefix < index.thresholds.length) this.s.running.set(field, g)
    else this.st?.running.delete(field)
    if (preds.length > 0 || prefix > 0) this.s.gates.set(field, g)
    else this.st?.gates.delete(field)
  }

  private flip(pred: number, up: boolean): void {
    for (const index of this.engine.gated[pred] as readonly number[]) {
      const count = (this.st?.gateCount.get(index) ?? 0) + (up ? 1 : -1)
      if (count > 0) {
        this.s.gateCount.set(index, count)
        if (up && count === 1) this.activate(index)
      } else {
        this.st?.gateCount.delete(index)
        this.deactivate(index)
      }
    }
  }

  private activate(index: number): void {
    const campaign = this.engine.campaigns[index] as CompiledCampaign
    const a: Active = {
      campaign,
      truth: new Uint8Array(campaign.leaves.length),
      root: false,
      nextClock: Infinity,
      fresh: true,
      dirty: true,
    }
    const st = this.s
    st.active.set(index, a)
    for (const field of campaign.leavesByField.keys()) {
      let set = st.watch.get(field)
      if (!set) st.watch.set(field, (set = new Set()))
      set.add(a)
    }
    if (campaign.clockLeaves.length > 0) st.timed.add(a)
    this.todo.push(a)
  }

  private deactivate(index: number): void {
    const st = this.st
    const a = st?.active.get(index)
    if (!st || !a) return
    st.active.delete(index)
    for (const field of a.campaign.leavesByField.keys()) {
      const set = st.watch.get(field)
      set?.delete(a)
      if (set?.size === 0) st.watch.delete(field)
    }
    st.timed.delete(a)
    st.episodes.delete(index)
  }

  private touch(a: Active): void {
    if (a.dirty) return
    a.dirty = true
    this.todo.push(a)
  }

  /** Recomputes the condition of every touched or newly active campaign. */
  private settle(): void {
    for (const a of this.todo) {
      a.dirty = false
      if (this.st?.active.get(a.campaign.index) !== a) continue
      if (a.fresh) {
        a.fresh = false
        a.campaign.fill(a.truth, this.norm, this.now)
      }
      if (a.campaign.clockLeaves.length > 0) a.nextClock = a.campaign.nextClockChange(this.norm, this.now)
      const root = a.campaign.evaluate(a.truth)
      if (root === a.root) continue
      a.root = root
      if (root) this.s.episodes.set(a.campaign.index, { fired: false })
      else this.st?.episodes.delete(a.campaign.index)
    }
    this.todo.length = 0
  }

  private frequencyAllows(c: CompiledCampaign): boolean {
    if (c.frequency === 'once_per_visitor') return !this.memory.firedEver.has(c.id)
    if (c.frequency === 'once_per_visit') return !this.memory.firedThisVisit.has(c.id)
    return true
  }

  private cooldownEnd(c: CompiledCampaign): number {
    const last = c.cooldownMs > 0 ? this.memory.lastFiredAt.get(c.id) : undefined
    return last === undefined ? -Infinity : last + c.cooldownMs
  }

  /** The gates beyond `when` (which the caller has checked). */
  private eligible(c: CompiledCampaign): boolean {
    return (
      c.admits(this.norm.get('user.authenticated') === true, this.norm.get('team.online') === true) &&
      this.frequencyAllows(c) &&
      this.now >= this.cooldownEnd(c) &&
      (c.schedule?.state(this.now).open ?? true)
    )
  }

  /** The pending campaign to fire next: highest priority, then definition order. */
  private best(): CompiledCampaign | undefined {
    let best: CompiledCampaign | undefined
    for (const [index, episode] of this.st?.episodes ?? []) {
      if (episode.fired) continue
      const c = this.engine.campaigns[index] as CompiledCampaign
      if (best && (c.priority < best.priority || (c.priority === best.priority && c.index > best.index))) continue
      if (this.eligible(c)) best = c
    }
    return best
  }

  private fire(): Invitation[] {
    if (this.slotTaken) return NONE
    const c = this.best()
    if (!c) return NONE
    const episode = this.st?.episodes.get(c.index)
    if (episode) episode.fired = true
    this.slotTaken = true
    this.memory.firedEver.add(c.id)
    this.memory.firedThisVisit.add(c.id)
    this.memory.lastFiredAt.set(c.id, this.now)
    const m = c.message
    const invitation: Invitation = {
      campaign: c.id,
      text: renderTemplate(m.text, this.raw ?? NO_FACTS, this.now),
      startChat: m.startChat,
      priority: c.priority,
      limited: c.frequency !== 'every_time' || c.cooldownMs > 0,
    }
    const followUp = m.followUp && renderTemplate(m.followUp, this.raw ?? NO_FACTS, this.now)
    if (followUp) invitation.followUp = followUp
    if (m.collect && m.collect.length > 0) invitation.collect = [...m.collect]
    return [invitation]
  }

  /** Sets nextWakeAt; with `dueNow`, to now when a campaign is ready to fire (after attach). */
  private schedule(dueNow: boolean): void {
    let next = Infinity
    const st = this.st
    for (const [field, g] of st?.running ?? []) {
      const at = (this.norm.get(field) as Clock).since + (g.index.thresholds[g.prefix]?.at ?? Infinity)
      if (at < next) next = at
    }
    for (const a of st?.timed ?? []) if (a.nextClock < next) next = a.nextClock
    for (const index of st?.episodes.keys() ?? []) {
      const c = this.engine.campaigns[index] as CompiledCampaign
      if (!this.frequencyAllows(c)) continue
      const cooled = this.cooldownEnd(c)
      if (cooled > this.now && cooled < next) next = cooled
      const until = c.schedule?.state(this.now).until ?? Infinity
      if (until < next) next = until
    }
    if (dueNow && !this.slotTaken && this.best()) next = this.now
    this.nextWakeAt = next === Infinity ? undefined : next
  }
}
