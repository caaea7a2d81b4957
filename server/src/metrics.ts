import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

type FrameCounts = Map<string, { labels: { role: string; type: string }; n: number }>

/** The node's Prometheus metrics; one registry per node so several nodes can share a process in tests. */
export class Metrics {
  readonly registry = new Registry()
  readonly sockets = new Gauge({
    name: 'beckon_sockets',
    help: 'Open WebSockets by role',
    labelNames: ['role'] as const,
    registers: [this.registry],
  })
  readonly visitors = new Gauge({
    name: 'beckon_live_visitors',
    help: 'Visitors with at least one tab on this node',
    registers: [this.registry],
  })
  readonly framesIn: Counter<'role' | 'type'> = new Counter({
    name: 'beckon_frames_in_total',
    help: 'Frames received by role and type',
    labelNames: ['role', 'type'] as const,
    registers: [this.registry],
    collect: () => this.collectFrames(this.framesIn, this.frameCounts.in),
  })
  readonly framesOut: Counter<'role' | 'type'> = new Counter({
    name: 'beckon_frames_out_total',
    help: 'Frames sent by role and type',
    labelNames: ['role', 'type'] as const,
    registers: [this.registry],
    collect: () => this.collectFrames(this.framesOut, this.frameCounts.out),
  })
  readonly errors = new Counter({
    name: 'beckon_error_frames_total',
    help: 'Error frames sent by code',
    labelNames: ['code'] as const,
    registers: [this.registry],
  })
  readonly closes = new Counter({
    name: 'beckon_closes_total',
    help: 'Sockets closed by the server, by close code',
    labelNames: ['code'] as const,
    registers: [this.registry],
  })
  readonly rejectedUpgrades = new Counter({
    name: 'beckon_rejected_upgrades_total',
    help: 'WebSocket upgrades refused, by HTTP status',
    labelNames: ['status'] as const,
    registers: [this.registry],
  })
  readonly invalidText = new Counter({
    name: 'beckon_invalid_utf8_closes_total',
    help: 'Sockets uWS dropped (TCP closed, no close frame: the client sees 1006) for a text frame that is not UTF-8',
    registers: [this.registry],
  })
  readonly maxSockets = new Gauge({
    name: 'beckon_max_sockets',
    help: 'Visitor sockets this node accepts (BECKON_MAX_SOCKETS); upgrades beyond get 503 node_full',
    registers: [this.registry],
  })
  readonly invitations = new Counter({
    name: 'beckon_invitations_total',
    help: 'Invitations sent by origin (campaign or operator)',
    labelNames: ['origin'] as const,
    registers: [this.registry],
  })
  readonly eventSeconds = new Histogram({
    name: 'beckon_event_seconds',
    help: 'Time to apply one visitor event, matcher included',
    buckets: [0.00001, 0.00005, 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05],
    registers: [this.registry],
  })

  readonly directoryRemoteVisitors = new Gauge({
    name: 'beckon_directory_remote_visitors',
    help: "Other nodes' visitors this node holds copies of (only of sites its operators watch)",
    registers: [this.registry],
  })

  /**
   * Frames counted here (direction → role → type) and handed to prom-client at each scrape:
   * its inc() hashes the labels on every call, a cost paid twice per event on the hot path.
   */
  private readonly frameCounts = { in: new Map<string, FrameCounts>(), out: new Map<string, FrameCounts>() }

  /** Counts a frame. */
  frame(direction: 'in' | 'out', role: string, type: string): void {
    const byRole = this.frameCounts[direction]
    let byType = byRole.get(role)
    if (!byType) byRole.set(role, (byType = new Map()))
    const count = byType.get(type)
    if (count) count.n += 1
    else byType.set(type, { labels: { role, type }, n: 1 })
  }

  private collectFrames(counter: Counter<'role' | 'type'>, counts: Map<string, FrameCounts>): void {
    counter.reset()
    for (const byType of counts.values()) for (const { labels, n } of byType.values()) counter.inc(labels, n)
  }

  constructor(nodeId: string) {
    this.registry.setDefaultLabels({ node: nodeId })
    collectDefaultMetrics({ register: this.registry })
  }

  /** `beckon_store_bytes`, measured by `bytes` at each scrape (a failed measurement leaves the last value). */
  measureStore(bytes: () => Promise<number>): void {
    new Gauge({
      name: 'beckon_store_bytes',
      help: 'Bytes of stored data: LMDB pages in use (embedded) or JetStream stream bytes of every bucket and the chat log (cluster)',
      registers: [this.registry],
      async collect() {
        try {
          this.set(await bytes())
        } catch {
          // the store is unreachable: keep the last value
        }
      },
    })
  }

  text(): Promise<string> {
    return this.registry.metrics()
  }
}
