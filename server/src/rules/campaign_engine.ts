import type { Campaign } from './campaign.js'
import { CompiledCampaign, normalize, type Leaf, type Norm, type NormLookup } from './compiled_campaign.js'
import type { Facts } from './facts.js'
import { FieldIndex } from './field_index.js'
import { fieldSpec } from './fields.js'
import { placeholders } from './template.js'
import { VisitorMatcher, type Active, type CampaignMemory } from './visitor_matcher.js'

export type { CampaignMemory, Invitation } from './visitor_matcher.js'

/** Why a campaign whose `when` holds does not fire for a visitor now (preview `heldBy`). */
export type HeldReason = 'disabled' | 'audience' | 'team' | 'schedule' | 'frequency' | 'cooldown' | 'showing' | 'widget'

const lookupIn = (facts: Facts): NormLookup => ({
  get(field: string): Norm | undefined {
    const spec = fieldSpec(field)
    return spec && normalize(spec, facts.get(field))
  },
})

/**
 * A site's campaigns compiled for incremental matching. Immutable: recompile when a campaign
 * changes (and re-attach the visitors). Enabled campaigns only; their order is the
 * tie-break between equal priorities.
 *
 * Each campaign gets a gate (CompiledCampaign.gate): its most selective indexable
 * condition(s), one of which must hold for the campaign to hold. Gates go into one
 * discrimination index per field (FieldIndex), shared by all visitors. A visitor evaluates
 * only the campaigns whose gate holds, so the work per event depends on how many campaigns
 * concern that visitor, not on how many the site has.
 */
export class CampaignEngine {
  /** Scratch stamps per predicate for set differences in VisitorMatcher (single-threaded use). */
  readonly stamps: Int32Array
  /** Scratch lists of VisitorMatcher calls, shared since one call runs at a time. */
  readonly scratch = { todo: [] as Active[], changed: [] as string[], falls: [] as number[], found: [] as number[] }
  /** Fields some message template prints: the only raw values a matcher keeps. */
  readonly templateFields: ReadonlySet<string>
  /** Fields some condition reads (audience and team included): the only ones a matcher normalizes. */
  readonly readFields: ReadonlySet<string>
  private generation = 0

  private constructor(
    readonly campaigns: readonly CompiledCampaign[],
    readonly indexes: ReadonlyMap<string, FieldIndex>,
    /** Predicate id → indexes of the campaigns it gates. */
    readonly gated: ReadonlyArray<readonly number[]>,
    /** Campaigns without a gate: evaluated for every visitor. */
    readonly ungated: readonly number[],
  ) {
    this.stamps = new Int32Array(gated.length)
    this.readFields = new Set([
      'user.authenticated',
      'team.online',
      ...campaigns.flatMap((c) => c.leaves.map((leaf) => leaf.field)),
    ])
    this.templateFields = new Set(
      campaigns.flatMap((c) =>
        [c.message.text, c.message.followUp ?? ''].flatMap((text) => placeholders(text).map((p) => p.field)),
      ),
    )
  }

  /** Compiles parsed campaigns (parseCampaign output); disabled ones are left out. */
  static compile(campaigns: readonly Campaign[]): CampaignEngine {
    const compiled: CompiledCampaign[] = []
    const indexes = new Map<string, FieldIndex>()
    const gated: number[][] = []
    const ungated: number[] = []
    const next = () => gated.push([]) - 1
    for (const campaign of campaigns) {
      if (!campaign.enabled) continue
      const c = new CompiledCampaign(campaign, compiled.length)
      compiled.push(c)
      if (!c.gate) {
        ungated.push(c.index)
        continue
      }
      const preds = new Set<number>()
      for (const i of c.gate) {
        const leaf = c.leaves[i] as Leaf
        let index = indexes.get(leaf.field)
        if (!index) {
          index = new FieldIndex(fieldSpec(leaf.field)?.clock ?? false)
          indexes.set(leaf.field, index)
        }
        preds.add(index.add(leaf, next))
      }
      for (const p of preds) gated[p]?.push(c.index)
    }
    for (const index of indexes.values()) index.seal()
    return new CampaignEngine(compiled, indexes, gated, ungated)
  }

  /**
   * Starts matching one visitor (one attachment = one tab connection): evaluates `facts` at
   * `now` but fires nothing; when an invitation is due, nextWakeAt is `now`, so the caller's
   * usual "wake at nextWakeAt" delivers it. `memory` is read and updated in place.
   * `previous`, the visitor's matcher on the engine this one replaces (a recompile): a campaign
   * with the same definition keeps its episode, so one that already fired does not fire again
   * while its condition stays true; a changed campaign is evaluated afresh.
   */
  attach(facts: Facts, memory: CampaignMemory, now: number, previous?: VisitorMatcher): VisitorMatcher {
    return new VisitorMatcher(this, facts, memory, now, previous)
  }

  /**
   * Two fresh generation numbers for `stamps` (g: "was in the old set", g + 1: "seen in the
   * new set"), clearing the stamps when the counter would overflow.
   */
  nextGeneration(): number {
    if (this.generation > 0x3fff_fff0) {
      this.stamps.fill(0)
      this.generation = 0
    }
    this.generation += 2
    return this.generation
  }

  /**
   * One-shot check for previews (e.g. a draft campaign): `when`, audience, team and schedule
   * at `now`. Ignores `enabled`, frequency and cooldown, which need a visitor's memory.
   */
  static matches(campaign: Campaign, facts: Facts, now: number): boolean {
    return CampaignEngine.whenHolds(campaign, facts, now) && CampaignEngine.heldBy(campaign, facts, now).length === 0
  }

  /** Whether the campaign's `when` holds for `facts` at `now`. */
  static whenHolds(campaign: Campaign, facts: Facts, now: number): boolean {
    const c = new CompiledCampaign(campaign, 0)
    const truth = new Uint8Array(c.leaves.length)
    c.fill(truth, lookupIn(facts), now)
    return c.evaluate(truth)
  }

  /**
   * What, beyond `when`, keeps the campaign from firing for this visitor now (for previews):
   * `disabled`, `audience`, `team`, `schedule`, and with the visitor's memory `frequency` and
   * `cooldown`, in that order. Empty: it would fire.
   */
  static heldBy(campaign: Campaign, facts: Facts, now: number, memory?: CampaignMemory): HeldReason[] {
    const c = new CompiledCampaign(campaign, 0)
    const lookup = lookupIn(facts)
    const authenticated = lookup.get('user.authenticated') === true
    const held: HeldReason[] = []
    if (!campaign.enabled) held.push('disabled')
    const teamOnline = lookup.get('team.online') === true
    // admits() checks audience and team together: vary one to tell which holds it back.
    if (!c.admits(authenticated, campaign.team !== 'offline')) held.push('audience')
    if (!c.admits(campaign.audience === 'users', teamOnline)) held.push('team')
    if (!(c.schedule?.state(now).open ?? true)) held.push('schedule')
    if (memory) {
      const fired =
        campaign.frequency === 'once_per_visitor'
          ? memory.firedEver.has(campaign.id)
          : campaign.frequency === 'once_per_visit' && memory.firedThisVisit.has(campaign.id)
      if (fired) held.push('frequency')
      const last = memory.lastFiredAt.get(campaign.id)
      if (last !== undefined && now < last + campaign.cooldownSeconds * 1000) held.push('cooldown')
    }
    return held
  }
}
