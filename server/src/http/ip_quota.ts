/** Counts what each client IP holds (sockets, requests in flight) against a per-IP maximum. */
export class IpQuota {
  private readonly held = new Map<string, number>()

  constructor(readonly max: number) {}

  /** Takes one slot for `ip`; false (nothing taken) when it already holds `max`. */
  admit(ip: string): boolean {
    const count = this.held.get(ip) ?? 0
    if (count >= this.max) return false
    this.held.set(ip, count + 1)
    return true
  }

  /** Gives back a slot taken by admit(). */
  release(ip: string): void {
    const count = (this.held.get(ip) ?? 1) - 1
    if (count <= 0) this.held.delete(ip)
    else this.held.set(ip, count)
  }
}
