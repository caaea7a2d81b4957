import { IpQuota } from './http/ip_quota.js'
import type { Role, SocketSession } from './socket_session.js'

/** Why admit() refused a socket. */
export type Refusal = 'per_ip' | 'node_full'

/**
 * Open sockets of this node: admission and drain on shutdown. A socket is admitted while its
 * IP holds fewer than BECKON_MAX_CONNECTIONS_PER_IP and the node fewer than its cap: visitor
 * sockets up to `maxSockets`, operator sockets also into `operatorReserve` beyond it, so
 * operators can still connect to a full node.
 */
export class ConnectionRegistry {
  private readonly perIp: IpQuota
  private readonly sessions = new Set<SocketSession>()
  /** Admitted sockets (open or upgrading), all roles. */
  private admitted = 0
  private emptied: (() => void) | undefined

  constructor(
    maxPerIp: number,
    readonly maxSockets: number,
    readonly operatorReserve: number,
  ) {
    this.perIp = new IpQuota(maxPerIp)
  }

  get size(): number {
    return this.sessions.size
  }

  /** Reserves a slot for a socket of `role` from `ip`; the reason when refused. */
  admit(ip: string, role: Role): Refusal | undefined {
    const cap = role === 'operator' ? this.maxSockets + this.operatorReserve : this.maxSockets
    if (this.admitted >= cap) return 'node_full'
    if (!this.perIp.admit(ip)) return 'per_ip'
    this.admitted += 1
    return undefined
  }

  /** Gives back a slot reserved by admit() (the socket closed or never opened). */
  release(ip: string): void {
    this.perIp.release(ip)
    this.admitted = Math.max(0, this.admitted - 1)
  }

  add(session: SocketSession): void {
    this.sessions.add(session)
  }

  remove(session: SocketSession): void {
    this.sessions.delete(session)
    if (this.sessions.size === 0) this.emptied?.()
  }

  /** Closes every socket with `code` and resolves when all are closed or after `timeoutMs`. */
  drain(code: number, reason: string, timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.sessions.size === 0) return resolve()
      const timer = setTimeout(resolve, timeoutMs)
      this.emptied = () => {
        clearTimeout(timer)
        resolve()
      }
      for (const session of [...this.sessions]) session.close(code, reason)
    })
  }
}
