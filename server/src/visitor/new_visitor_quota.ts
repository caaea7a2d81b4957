/**
 * New visitor profiles per client IP (BECKON_NEW_VISITORS_PER_IP_PER_MINUTE): a token bucket
 * per IP holding a minute's allowance, refilled continuously. Buckets that have refilled are
 * dropped once a minute, so memory follows the IPs seen in the last minute.
 */
export class NewVisitorQuota {
  private readonly buckets = new Map<string, { tokens: number; at: number }>()
  private prunedAt: number

  constructor(
    private readonly perMinute: number,
    now = Date.now(),
  ) {
    this.prunedAt = now
  }

  private refilled(bucket: { tokens: number; at: number }, now: number): number {
    return Math.min(this.perMinute, bucket.tokens + ((now - bucket.at) / 60_000) * this.perMinute)
  }

  /** Takes one new profile for `ip`; false when it used up its allowance. */
  take(ip: string, now = Date.now()): boolean {
    if (now - this.prunedAt > 60_000) {
      for (const [key, bucket] of this.buckets)
        if (this.refilled(bucket, now) >= this.perMinute) this.buckets.delete(key)
      this.prunedAt = now
    }
    const bucket = this.buckets.get(ip) ?? { tokens: this.perMinute, at: now }
    bucket.tokens = this.refilled(bucket, now)
    bucket.at = now
    this.buckets.set(ip, bucket)
    if (bucket.tokens < 1) return false
    bucket.tokens -= 1
    return true
  }
}
