/**
 * Reconnect delays: exponential with full jitter (a uniform pick in [0, min(cap, base·2^n)]),
 * so a crowd of widgets dropped at once by a node spreads its reconnects instead of stampeding.
 */
export class Backoff {
  private attempt = 0

  constructor(
    private readonly baseMs = 500,
    private readonly capMs = 30_000,
  ) {}

  /** The delay before the next attempt; each call doubles the window up to the cap. */
  next(): number {
    const window = Math.min(this.capMs, this.baseMs * 2 ** this.attempt)
    if (window < this.capMs) this.attempt += 1
    return Math.random() * window
  }

  reset(): void {
    this.attempt = 0
  }
}
