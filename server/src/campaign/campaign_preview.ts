import { randomBytes } from 'node:crypto'
import type { VisitorSummary } from '../../../shared/src/protocol.js'
import type { Bus, Subscription } from '../bus/bus.js'
import type { NodeLiveness } from '../cluster/node_liveness.js'
import type { VisitorFeed } from '../operator/visitor_feed.js'
import type { Campaign } from '../rules/campaign.js'
import { CampaignEngine } from '../rules/campaign_engine.js'
import type { VisitorHub } from '../visitor/visitor_hub.js'

interface PreviewRequest {
  id: string
  from: string
  site: string
  campaign: Campaign
}

interface PreviewAnswer {
  id: string
  node: string
  visitors: VisitorSummary[]
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
  ): Promise<{ visitors: VisitorSummary[]; nodes: number; complete: boolean }> {
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
    const visitors = [...this.hub.visitors(request.site)]
      .filter((v) => CampaignEngine.matches(request.campaign, v.facts, now))
      .map((v) => this.feed.summary(v))
    this.bus.publish(answers(request.from), { id: request.id, node: this.nodeId, visitors } satisfies PreviewAnswer)
  }

  close(): void {
    for (const s of this.subscriptions) s.unsubscribe()
  }
}
