import type { Logger } from '../logger.js'
import type { Store } from '../store/store.js'

interface Heartbeat {
  at: number
}

/**
 * Which nodes are alive: each node writes a heartbeat (bucket `nodes`) every refresh period
 * and deletes it when it stops; a node whose heartbeat is older than three periods is dead.
 * Answers are cached for one period, so a dead node is noticed within about four.
 */
export class NodeLiveness {
  private timer: NodeJS.Timeout | undefined
  private readonly cache = new Map<string, { alive: boolean; at: number }>()

  constructor(
    readonly nodeId: string,
    private readonly store: Store,
    private readonly refreshMs: number,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    await this.beat()
    this.timer = setInterval(() => {
      this.beat().catch((error: unknown) => this.log.warn({ err: error }, 'heartbeat write failed'))
    }, this.refreshMs)
  }

  private async beat(): Promise<void> {
    await this.store.put<Heartbeat>('nodes', this.nodeId, { at: Date.now() })
  }

  async isAlive(node: string): Promise<boolean> {
    if (node === this.nodeId) return true
    const now = Date.now()
    const cached = this.cache.get(node)
    if (cached && now - cached.at < this.refreshMs) return cached.alive
    const entry = await this.store.get<Heartbeat>('nodes', node)
    const alive = entry !== undefined && now - entry.value.at < 3 * this.refreshMs
    this.cache.set(node, { alive, at: now })
    return alive
  }

  /** Every node whose heartbeat is fresh, this one included. */
  async aliveNodes(): Promise<string[]> {
    const cutoff = Date.now() - 3 * this.refreshMs
    const beats = await this.store.list<Heartbeat>('nodes', '')
    return [...new Set([this.nodeId, ...beats.filter((e) => e.value.at >= cutoff).map((e) => e.key)])]
  }

  async stop(): Promise<void> {
    clearInterval(this.timer)
    await this.store.delete('nodes', this.nodeId)
  }
}
