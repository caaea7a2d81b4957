import { CLOSE_CODE } from './protocol.js'

/**
 * How clients (widget, console, load generators) reconnect: every close code but the final
 * ones is retried after a Backoff delay; 1012 (node draining) within DRAIN_SPREAD_MS.
 */

/** Close codes after which reconnecting with the same input cannot help (see CLOSE_CODE). */
export const FINAL_CLOSE_CODES: ReadonlySet<number> = new Set([
  CLOSE_CODE.tooLarge,
  CLOSE_CODE.protocolError,
  CLOSE_CODE.unauthorized,
  CLOSE_CODE.siteUnknown,
  CLOSE_CODE.policyViolation,
  CLOSE_CODE.replaced,
])

/** A socket that stayed up this long proves the node healthy: the backoff starts over. */
export const STABLE_MS = 10_000

/** A draining node (1012) is left within this window, spread by jitter. */
export const DRAIN_SPREAD_MS = 1_000

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
