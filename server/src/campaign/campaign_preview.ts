import { randomBytes } from 'node:crypto'
import type { Bus, Subscription } from '../bus/bus.js'
import type { NodeLiveness } from '../cluster/node_liveness.js'
import type { VisitorFeed } from '../operator/visitor_feed.js'
import type { Campaign, Condition } from '../rules/campaign.js'
import { CampaignEngine, type HeldReason } from '../rules/campaign_engine.js'
import type { LiveVisitor } from '../visitor/live_visitor.js'
import type { VisitorHub } from '../visitor/visitor_hub.js'

interface PreviewRequest {
  id: string
  from: string
  site: string
  campaign: Campaign
}

/** One visitor in a preview: whom the draft's `when` matches (or would in a widget it names), and what holds it back. */
export interface PreviewVisitor {
  visitor: string
  name?: string
  email?: string
  page?: { url: string; title: string }
  node: string
  inviteNow: boolean
  heldBy: HeldReason[]
  /** Why the draft's `when` holds: false when only another widget would match. */
  matches: boolean
}

interface PreviewAnswer {
  id: string
  node: string
  visitors: PreviewVisitor[]
}

/** The widget ids a campaign's `widget.id` conditions name (eq, in, contains_any values). */
function namedWidgets(condition: Condition | undefined): string[] {
  if (!condition) return []
  if ('all' in condition) return condition.all.flatMap(namedWidgets)
  if ('any' in condition) return condition.any.flatMap(namedWidgets)
  if ('not' in condition) return []
  if (condition.field !== 'widget.id') return []
  const values = Array.isArray(condition.value) ? condition.value : [condition.value]
  return values.filter((v): v is string => typeof v === 'string')
}

const REQUESTS = 'beckon.preview'
const answers = (node: string): string => `beckon.node.${node}.preview`

/**
 * "Which connected visitors match this draft right now?", asked of every live node: each
 * evaluates the draft against the visitors it owns and answers. Waits for every node the
 * liveness table lists, or `timeoutMs`, whichever comes first (a partial answer says so).
 */
export class CampaignPreview {
  private readonly pending = new Map<string, { answers: PreviewAnswer[]; done: () => void }>()
  private readonly subscriptions: Subscription[]

  constructor(
    private readonly nodeId: string,
    private readonly bus: Bus,
    private readonly hub: VisitorHub,
    private readonly feed: VisitorFeed,
    private readonly liveness: NodeLiveness,
    private readonly timeoutMs: number,
    /** Whether an invitation is showing to the visitor (it holds the one visible slot). */
    private readonly showing: (visitor: LiveVisitor) => boolean,
  ) {
    this.subscriptions = [
      bus.subscribe(REQUESTS, (msg) => this.answer(msg as PreviewRequest)),
      bus.subscribe(answers(nodeId), (msg) => {
        const answer = msg as PreviewAnswer
        const waiting = this.pending.get(answer?.id)
        if (!waiting) return
        waiting.answers.push(answer)
        waiting.done()
      }),
    ]
  }

  async run(
    site: string,
    campaign: Campaign,
  ): Promise<{ visitors: PreviewVisitor[]; nodes: number; complete: boolean }> {
    const expected = new Set(await this.liveness.aliveNodes())
    const id = randomBytes(8).toString('hex')
    const collected: PreviewAnswer[] = []
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, this.timeoutMs)
      this.pending.set(id, {
        answers: collected,
        done: () => {
          if (![...expected].every((node) => collected.some((a) => a.node === node))) return
          clearTimeout(timer)
          resolve()
        },
      })
      this.bus.publish(REQUESTS, { id, from: this.nodeId, site, campaign } satisfies PreviewRequest)
    })
    this.pending.delete(id)
    return {
      visitors: collected.flatMap((a) => a.visitors),
      nodes: collected.length,
      complete: [...expected].every((node) => collected.some((a) => a.node === node)),
    }
  }

  private answer(request: PreviewRequest): void {
    if (!request || typeof request.id !== 'string' || typeof request.from !== 'string') return
    const now = Date.now()
    const visitors: PreviewVisitor[] = []
    for (const v of this.hub.visitors(request.site)) {
      const found = this.explain(request.campaign, v, now)
      if (found) visitors.push(found)
    }
    this.bus.publish(answers(request.from), { id: request.id, node: this.nodeId, visitors } satisfies PreviewAnswer)
  }

  /**
   * The preview entry of one visitor, or undefined when the draft's `when` does not hold for it
   * even in another widget the draft names. Reasons in HeldReason order, `showing` and `widget` last.
   */
  private explain(campaign: Campaign, visitor: LiveVisitor, now: number): PreviewVisitor | undefined {
    const matches = CampaignEngine.whenHolds(campaign, visitor.facts, now)
    const inOtherWidget =
      !matches &&
      namedWidgets(campaign.when).some((widget) =>
        CampaignEngine.whenHolds(campaign, new Map([...visitor.facts, ['widget.id', widget]]), now),
      )
    if (!matches && !inOtherWidget) return undefined
    const profile = visitor.profile
    const heldBy = CampaignEngine.heldBy(campaign, visitor.facts, now, {
      firedEver: new Set(profile.firedEver),
      firedThisVisit: new Set(visitor.visit.firedThisVisit),
      lastFiredAt: new Map(Object.entries(profile.lastFiredAt)),
    })
    if (this.showing(visitor)) heldBy.push('showing')
    if (inOtherWidget) heldBy.push('widget')
    const summary = this.feed.summary(visitor)
    return {
      visitor: visitor.id,
      ...(summary.name !== undefined ? { name: summary.name } : {}),
      ...(summary.email !== undefined ? { email: summary.email } : {}),
      page: { url: summary.page.url, title: summary.page.title },
      node: this.nodeId,
      inviteNow: heldBy.length === 0,
      heldBy,
      matches,
    }
  }

  close(): void {
    for (const s of this.subscriptions) s.unsubscribe()
  }
}
