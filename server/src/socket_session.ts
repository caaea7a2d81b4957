import { ERROR_CODE, CLOSE_CODE, type ErrorCode, type ErrorFrame } from '../../shared/src/protocol.js'
import { FrameDecodeError, type FrameCodec } from '../../shared/src/frame_codec.js'
import { FrameError, refOf } from '../../shared/src/frame_parser.js'
import type { Limits } from './config.js'
import type { Metrics } from './metrics.js'
import { TokenBucket } from './token_bucket.js'
import type { WebSocket } from './uws.js'

export type Role = 'visitor' | 'operator'

/** A close frame holds at most 123 bytes of reason: cut by characters, never inside one. */
function closeReason(reason: string): string {
  let cut = reason
  while (Buffer.byteLength(cut) > 123) cut = cut.slice(0, -1)
  return cut
}

/** Handler failures of one socket are logged at most this often (the client may repeat the input). */
const FAILURE_LOG_INTERVAL_MS = 60_000

/** uWS user data: the session that owns the socket. */
export interface SocketData {
  session: SocketSession
}

/**
 * One WebSocket's protocol plumbing, shared by visitor and operator sockets: rate limit,
 * decoding, error frames, strikes and backpressure-aware sends. Subclasses handle frames.
 * Guarantee: nothing is written to the socket after it closed; frames leave in send() order.
 */
export abstract class SocketSession {
  private ws: WebSocket<SocketData> | undefined
  closed = false
  private violations = 0
  private readonly bucket: TokenBucket
  /** Made on the first `typing` frame: most sockets never send one. */
  private typingBucket: TokenBucket | undefined
  private firstFrameTimer: NodeJS.Timeout | undefined
  private lastFailureLog = Number.NEGATIVE_INFINITY

  constructor(
    readonly role: Role,
    /** Client IP, for per-IP admission. */
    readonly ip: string,
    readonly codec: FrameCodec,
    protected readonly limits: Limits,
    protected readonly metrics: Metrics,
  ) {
    this.bucket = new TokenBucket(limits.eventsPerSecond, limits.eventsBurst)
  }

  /** uWS `open`. */
  opened(ws: WebSocket<SocketData>): void {
    this.ws = ws
    this.metrics.sockets.inc({ role: this.role })
    const { code, reason } = this.firstFrameTimeout
    this.firstFrameTimer = setTimeout(() => this.close(code, reason), this.limits.helloTimeoutMs)
  }

  /** How the socket closes when its first frame (`hello`, `auth`) does not come within BECKON_HELLO_TIMEOUT_MS. */
  protected abstract readonly firstFrameTimeout: { code: number; reason: string }

  /**
   * Checks the first frame: it must parse and be of type `type`, else the socket closes with
   * 4000 (a protocol violation) and this returns undefined. Stops the first-frame timeout.
   */
  protected firstFrame<F extends { t: string }, T extends F['t']>(
    parse: (input: unknown) => F,
    input: unknown,
    type: T,
  ): Extract<F, { t: T }> | undefined {
    let frame: F
    try {
      frame = parse(input)
    } catch (error) {
      if (error instanceof FrameError) {
        this.close(CLOSE_CODE.protocolError, `first frame: ${error.message}`)
        return undefined
      }
      throw error
    }
    if (frame.t !== type) {
      this.close(CLOSE_CODE.protocolError, `first frame must be ${type}`)
      return undefined
    }
    clearTimeout(this.firstFrameTimer)
    this.firstFrameTimer = undefined
    return frame as Extract<F, { t: T }>
  }

  /** uWS `close`: the socket is gone; never touch it again. */
  closedByPeer(): void {
    if (this.closed) return
    this.closed = true
    this.ws = undefined
    clearTimeout(this.firstFrameTimer)
    this.metrics.sockets.dec({ role: this.role })
    this.onClose()
  }

  protected abstract onClose(): void
  /** A decoded frame that passed the rate limit. Throw FrameError for a bad request. */
  protected abstract onFrame(frame: unknown): void

  /** uWS `message`. */
  received(message: ArrayBuffer, isBinary: boolean): void {
    if (this.closed) return
    if (message.byteLength > this.limits.maxFrameBytes) {
      return this.close(CLOSE_CODE.tooLarge, `frame over ${this.limits.maxFrameBytes} bytes`)
    }
    const allowed = this.bucket.take()
    let decoded: unknown
    try {
      decoded = this.codec.decode(message, isBinary)
    } catch (error) {
      if (error instanceof FrameDecodeError) return this.close(CLOSE_CODE.protocolError, error.message)
      if (error instanceof FrameError) return this.refuse(error)
      throw error
    }
    if (!allowed) {
      // Decoded anyway, so the refusal names the frame (its `ref`) and the client can retry it.
      this.error(ERROR_CODE.rateLimited, `more than ${this.limits.eventsPerSecond} frames per second`, refOf(decoded))
      this.strike()
      return
    }
    this.handle(decoded)
  }

  /**
   * Runs onFrame; a bad request (FrameError) is answered with an error frame and a strike.
   * Any other error is a bug met by this input: rethrown for the caller to report with failed().
   */
  protected handle(frame: unknown): void {
    try {
      this.onFrame(frame)
    } catch (error) {
      if (!(error instanceof FrameError)) throw error
      this.refuse(error)
    }
  }

  private refuse(error: FrameError): void {
    this.error(error.code, error.message, error.ref)
    this.strike()
  }

  /**
   * A handler failed on this socket's input: answered with `internal` and counted as a
   * strike, so a client repeating the input is closed with 4009. Returns true when the
   * failure should be logged: at most once per socket per FAILURE_LOG_INTERVAL_MS.
   */
  failed(): boolean {
    this.error(ERROR_CODE.internal, 'internal error')
    this.strike()
    const now = Date.now()
    if (now - this.lastFailureLog < FAILURE_LOG_INTERVAL_MS) return false
    this.lastFailureLog = now
    return true
  }

  /**
   * Whether a `typing` frame may be relayed: BECKON_TYPING_PER_SECOND per socket with a burst
   * of 2 (an `on` right before its `off`). Excess is dropped without an error or a strike: a
   * typing indicator is best effort, and the receiver's indicator expires by itself.
   */
  protected typingAllowed(): boolean {
    const rate = this.limits.typingPerSecond
    this.typingBucket ??= new TokenBucket(rate, Math.max(2, rate))
    return this.typingBucket.take()
  }

  /** Counts a bad or excess frame; too many close the socket with 4009. */
  protected strike(): void {
    this.violations += 1
    if (this.violations > this.limits.maxViolations)
      this.close(CLOSE_CODE.policyViolation, 'too many bad or excess frames')
  }

  send(frame: { t: string }): void {
    const ws = this.ws
    if (this.closed || !ws) return
    const data = this.codec.encode(frame)
    let dropped = false
    ws.cork(() => {
      dropped = ws.send(data, this.codec.binary) === 2
    })
    this.metrics.frame('out', this.role, frame.t)
    if (dropped || ws.getBufferedAmount() > this.limits.maxBackpressureBytes) {
      this.close(CLOSE_CODE.backpressure, 'client too slow: send buffer full')
    }
  }

  error(code: ErrorCode, message: string, ref?: string): void {
    this.metrics.errors.inc({ code })
    const frame: ErrorFrame = ref === undefined ? { t: 'error', code, message } : { t: 'error', code, message, ref }
    this.send(frame)
  }

  /** Closes with a WebSocket close code; the reason is cut to the 123 bytes a close frame holds. */
  close(code: number, reason: string): void {
    const ws = this.ws
    if (this.closed || !ws) return
    this.metrics.closes.inc({ code: String(code) })
    // Not corked: an end() inside cork() leaves the TCP connection open, and browsers then
    // wait ~2 s for it before reporting the close (and reconnecting).
    ws.end(code, closeReason(reason))
  }
}
