import { randomBytes } from 'node:crypto'
import type { Bus, Subscription } from '../bus/bus.js'
import type { Logger } from '../logger.js'

/** What a broadcast change carries besides its payload, so receivers can acknowledge it. */
export interface AckEnvelope {
  /** The publishing node. */
  node: string
  /** The change's id, echoed in the acknowledgement. */
  ack: string
}

/** How a broadcast ended: which live peers applied the change in time. */
export interface AckOutcome {
  acked: string[]
  missing: string[]
}

const ackSubject = (node: string): string => `beckon.ack.${node}`

/**
 * Read-your-writes across nodes for state every node caches (sites, campaigns): the writer
 * publishes a change with an id, every node applies it and answers on `beckon.ack.<writer>`,
 * and broadcast() resolves once every live peer answered or `timeoutMs` passed (a peer that
 * is slow or dying must not block the writer for long; it re-reads the store when it loads).
 * Guarantee: when broadcast() reports a peer in `acked`, that peer applied the change.
 */
export class ClusterAcks {
  private readonly waiting = new Map<string, { pending: Set<string>; done: () => void }>()
  private readonly subscription: Subscription

  constructor(
    private readonly nodeId: string,
    private readonly bus: Bus,
    /** The other live nodes of the cluster (none on a single node). */
    private readonly peers: () => Promise<string[]>,
    private readonly timeoutMs: number,
    private readonly log: Logger,
  ) {
    this.subscription = bus.subscribe(ackSubject(nodeId), (msg) => {
      const { ack, node } = (msg ?? {}) as { ack?: unknown; node?: unknown }
      if (typeof ack !== 'string' || typeof node !== 'string') return
      const wait = this.waiting.get(ack)
      if (!wait) return
      wait.pending.delete(node)
      if (wait.pending.size === 0) wait.done()
    })
  }

  /** Publishes `payload` (plus the envelope) on `subject` and waits for every live peer to apply it. */
  async broadcast(subject: string, payload: object): Promise<AckOutcome> {
    const peers = (
      await this.peers().catch((error: unknown) => {
        this.log.warn({ err: error }, 'live nodes unknown: change not awaited cluster-wide')
        return []
      })
    ).filter((n) => n !== this.nodeId)
    const ack = randomBytes(8).toString('hex')
    const pending = new Set(peers)
    const settled = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, this.timeoutMs)
      this.waiting.set(ack, {
        pending,
        done: () => {
          clearTimeout(timer)
          resolve()
        },
      })
    })
    const envelope: AckEnvelope = { node: this.nodeId, ack }
    this.bus.publish(subject, { ...payload, ...envelope })
    if (peers.length > 0) await settled
    this.waiting.delete(ack)
    const missing = [...pending]
    if (missing.length > 0) this.log.warn({ subject, missing }, 'change not acknowledged by every node in time')
    return { acked: peers.filter((p) => !pending.has(p)), missing }
  }

  /** Whether `msg` is a change this node broadcast (already applied before publishing). */
  isOwn(msg: unknown): boolean {
    return (msg as { node?: unknown } | null)?.node === this.nodeId
  }

  /** Receiver side: the change in `msg` is applied here; tells its writer (never this node itself). */
  applied(msg: unknown): void {
    const { ack, node } = (msg ?? {}) as { ack?: unknown; node?: unknown }
    if (typeof ack !== 'string' || typeof node !== 'string' || node === this.nodeId) return
    this.bus.publish(ackSubject(node), { ack, node: this.nodeId })
  }

  close(): void {
    this.subscription.unsubscribe()
  }
}
