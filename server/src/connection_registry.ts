import type { SocketSession } from './socket_session.js'

/** Open sockets of this node: per-IP admission (BECKON_MAX_CONNECTIONS_PER_IP) and drain on shutdown. */
export class ConnectionRegistry {
  private readonly perIp = new Map<string, number>()
  private readonly sessions = new Set<SocketSession>()
  private emptied: (() => void) | undefined

  constructor(private readonly maxPerIp: number) {}

  get size(): number {
    return this.sessions.size
  }

  /** Reserves a slot for `ip`; false when it already holds the maximum. */
  admit(ip: string): boolean {
    const count = this.perIp.get(ip) ?? 0
    if (count >= this.maxPerIp) return false
    this.perIp.set(ip, count + 1)
    return true
  }

  /** Gives back a slot reserved by admit() (the socket closed or never opened). */
  release(ip: string): void {
    const count = (this.perIp.get(ip) ?? 1) - 1
    if (count <= 0) this.perIp.delete(ip)
    else this.perIp.set(ip, count)
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
