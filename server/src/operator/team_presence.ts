import type { Bus, Subscription } from '../bus/bus.js'

/** An operator online somewhere in the cluster. */
export interface OnlineOperator {
  id: string
  departments: string[]
  seesAll: boolean
  /** The operator's settings (OperatorSettings), so every node routes and names it alike. */
  displayName?: string
  avatar?: string
  maxChats: number
  autoAccept: boolean
}

interface PresenceMessage {
  node: string
  operators: OnlineOperator[]
}

const subject = (site: string): string => `beckon.presence.${site}`

/**
 * Which operators are online, per site, across the cluster. Each node publishes its own
 * operators on change and every refresh period; a node silent for three periods counts as
 * offline. `onChange` fires when a site's team goes from offline to online or back.
 */
export class TeamPresence {
  private readonly local = new Map<string, Map<OnlineOperator['id'], { operator: OnlineOperator; sockets: number }>>()
  private readonly remote = new Map<string, Map<string, { operators: OnlineOperator[]; seenAt: number }>>()
  private readonly subscription: Subscription
  private readonly timer: NodeJS.Timeout
  private readonly onlineSites = new Set<string>()
  private readonly watchers: Array<(site: string) => void> = []

  constructor(
    private readonly nodeId: string,
    private readonly bus: Bus,
    private readonly refreshMs: number,
    private readonly onChange: (site: string, online: boolean) => void,
  ) {
    this.subscription = bus.subscribe('beckon.presence.*', (msg, subj) =>
      this.receive(subj.slice('beckon.presence.'.length), msg as PresenceMessage),
    )
    this.timer = setInterval(() => this.refresh(), refreshMs)
  }

  /** An operator socket of this node authenticated. */
  add(site: string, operator: OnlineOperator): void {
    let ops = this.local.get(site)
    if (!ops) this.local.set(site, (ops = new Map()))
    const entry = ops.get(operator.id)
    if (entry) entry.sockets += 1
    else ops.set(operator.id, { operator, sockets: 1 })
    this.publish(site)
  }

  /** An operator of this node changed its settings: republished at once if it is online here. */
  changeLocal(site: string, id: string, change: (operator: OnlineOperator) => OnlineOperator): void {
    const entry = this.local.get(site)?.get(id)
    if (!entry) return
    entry.operator = change(entry.operator)
    this.publish(site)
  }

  /** An operator socket of this node closed. */
  remove(site: string, id: string): void {
    const ops = this.local.get(site)
    const entry = ops?.get(id)
    if (!ops || !entry) return
    entry.sockets -= 1
    if (entry.sockets > 0) return
    ops.delete(id)
    if (ops.size === 0) this.local.delete(site)
    this.publish(site)
  }

  online(site: string): OnlineOperator[] {
    const byId = new Map<string, OnlineOperator>()
    for (const node of this.remote.get(site)?.values() ?? []) for (const op of node.operators) byId.set(op.id, op)
    return [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
  }

  /** Nodes that have operators of the site online, as this node last heard. */
  nodes(site: string): string[] {
    return [...(this.remote.get(site)?.keys() ?? [])]
  }

  /** Calls `listener` whenever a node's list of a site's online operators arrives or expires. */
  watch(listener: (site: string) => void): void {
    this.watchers.push(listener)
  }

  isOnline(site: string): boolean {
    return this.onlineSites.has(site)
  }

  private publish(site: string): void {
    const operators = [...(this.local.get(site)?.values() ?? [])].map((e) => e.operator)
    this.bus.publish(subject(site), { node: this.nodeId, operators } satisfies PresenceMessage)
  }

  private receive(site: string, msg: PresenceMessage): void {
    if (!msg || typeof msg.node !== 'string' || !Array.isArray(msg.operators)) return
    let nodes = this.remote.get(site)
    if (!nodes) this.remote.set(site, (nodes = new Map()))
    if (msg.operators.length === 0) nodes.delete(msg.node)
    else nodes.set(msg.node, { operators: msg.operators, seenAt: Date.now() })
    this.update(site)
  }

  /** Tells the watchers after the site's online list may have changed. */
  private changed(site: string): void {
    for (const watcher of this.watchers) watcher(site)
  }

  /** isOnline() is current before anyone hears of the change, so no listener reads a stale team state. */
  private update(site: string): void {
    const online = (this.remote.get(site)?.size ?? 0) > 0
    const flipped = online !== this.onlineSites.has(site)
    if (online) this.onlineSites.add(site)
    else this.onlineSites.delete(site)
    this.changed(site)
    if (flipped) this.onChange(site, online)
  }

  private refresh(): void {
    for (const site of this.local.keys()) this.publish(site)
    const cutoff = Date.now() - 3 * this.refreshMs
    for (const [site, nodes] of this.remote) {
      for (const [node, entry] of nodes) if (entry.seenAt < cutoff) nodes.delete(node)
      this.update(site)
    }
  }

  close(): void {
    clearInterval(this.timer)
    for (const site of [...this.local.keys()]) {
      this.local.delete(site)
      this.publish(site)
    }
    this.subscription.unsubscribe()
  }
}
