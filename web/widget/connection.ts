import {
  CLOSE_CODE,
  SUBPROTOCOL,
  type HelloFrame,
  type VisitorFrame,
  type WelcomeFrame,
} from '../../shared/src/protocol.js'
import { Backoff, DRAIN_SPREAD_MS, FINAL_CLOSE_CODES, STABLE_MS } from '../../shared/src/reconnect_policy.js'
import { MAX_QUEUED_FRAMES } from './limits.js'
import { parseServerFrame, type WidgetFrame } from './server_frame.js'

/** A reconnect further away than this is brought forward when the tab shows or the network returns. */
const EAGER_MS = 1_000

export type ConnectionState = 'online' | 'reconnecting' | 'stopped'

export interface ConnectionHandlers {
  /** Builds the hello of each attempt; `reconnect` is true once this page instance was welcomed. */
  hello(reconnect: boolean): HelloFrame
  welcome(frame: WelcomeFrame): void
  frame(frame: Exclude<WidgetFrame, WelcomeFrame>): void
  /** Welcomed, lost and retrying, or closed for good (a final close code). */
  status(state: ConnectionState): void
  /** Queued frames that will never be sent (queue overflow, or closed for good): their messages failed. */
  dropped(frames: VisitorFrame[]): void
}

/** The server's defaults (BECKON_EVENTS_PER_SECOND, BECKON_EVENTS_BURST), for a welcome that names none. */
const DEFAULT_RATE = { perSecond: 20, burst: 40 }
/** Tokens kept in hand: hello took one, and arrival jitter may bunch paced frames. */
const RATE_MARGIN = 2

/**
 * The visitor socket (JSON subprotocol) of one page. Sends `hello` first on every attempt and
 * treats the socket as usable only after `welcome`. Reconnects with jittered exponential
 * backoff on every close except the final codes. Event frames sent while not welcomed are
 * queued (bounded, oldest dropped and reported) and flushed in order after the next welcome,
 * paced by a token bucket that mirrors the server's rate limit (the welcome names it), so
 * a flush never outruns what the server accepts.
 */
export class Connection {
  private socket: WebSocket | undefined
  private ready = false
  private welcomedBefore = false
  private openedAt = 0
  private stopped = false
  private timer: number | undefined
  private retryAt = 0
  private readonly queue: VisitorFrame[] = []
  private readonly backoff = new Backoff()
  private rate = DEFAULT_RATE
  private tokens = 0
  private refilledAt = 0
  private flushTimer: number | undefined

  constructor(
    private readonly url: string,
    private readonly handlers: ConnectionHandlers,
  ) {}

  start(): void {
    document.addEventListener('visibilitychange', this.wake)
    window.addEventListener('online', this.wake)
    this.connect()
  }

  /** Sends when welcomed and within the rate, otherwise queues the frame (in order) for later. */
  send(frame: VisitorFrame): void {
    if (this.stopped) return this.handlers.dropped([frame])
    if (this.queue.length === 0 && this.sendLive(frame)) return
    if (this.queue.length >= MAX_QUEUED_FRAMES) this.handlers.dropped(this.queue.splice(0, 1))
    this.queue.push(frame)
    this.scheduleFlush()
  }

  /** Sends only when welcomed and within the rate, for state the next hello carries anyway; returns whether it went. */
  sendLive(frame: VisitorFrame): boolean {
    // A closing socket drops what it is given without a word: treat it as gone already.
    if (!this.ready || !this.socket || this.socket.readyState !== WebSocket.OPEN || !this.take()) return false
    this.socket.send(JSON.stringify(frame))
    return true
  }

  private take(): boolean {
    const now = Date.now()
    this.tokens = Math.min(this.rate.burst, this.tokens + ((now - this.refilledAt) / 1000) * this.rate.perSecond)
    this.refilledAt = now
    if (this.tokens < 1) return false
    this.tokens -= 1
    return true
  }

  private flush(): void {
    this.flushTimer = undefined
    while (this.queue.length > 0) {
      const next = this.queue[0] as VisitorFrame
      if (!this.sendLive(next)) return this.scheduleFlush()
      this.queue.shift()
    }
  }

  private scheduleFlush(): void {
    if (this.flushTimer !== undefined || !this.ready) return
    this.flushTimer = window.setTimeout(() => this.flush(), Math.ceil(1000 / this.rate.perSecond))
  }

  private connect(): void {
    this.timer = undefined
    let socket: WebSocket
    try {
      socket = new WebSocket(this.url, SUBPROTOCOL.json)
    } catch (error) {
      // Only a malformed URL throws here: nothing a retry could fix.
      console.error('beckon: cannot open the socket', error)
      this.stop()
      return
    }
    this.socket = socket
    socket.onopen = () => {
      this.openedAt = Date.now()
      socket.send(JSON.stringify(this.handlers.hello(this.welcomedBefore)))
    }
    socket.onmessage = (event: MessageEvent) => {
      if (socket === this.socket && typeof event.data === 'string') this.received(event.data)
    }
    socket.onclose = (event: CloseEvent) => this.closed(socket, event.code)
  }

  private received(data: string): void {
    let decoded: unknown
    try {
      decoded = JSON.parse(data)
    } catch {
      return
    }
    const frame = parseServerFrame(decoded)
    if (!frame) return
    if (frame.t !== 'welcome') return this.handlers.frame(frame)
    this.ready = true
    this.welcomedBefore = true
    const limits = frame.limits
    this.rate =
      typeof limits?.eventsPerSecond === 'number' &&
      typeof limits.eventsBurst === 'number' &&
      limits.eventsPerSecond >= 1 &&
      limits.eventsBurst >= 1
        ? { perSecond: limits.eventsPerSecond, burst: limits.eventsBurst }
        : DEFAULT_RATE
    this.tokens = Math.max(0, this.rate.burst - RATE_MARGIN)
    this.refilledAt = Date.now()
    this.handlers.welcome(frame)
    this.handlers.status('online')
    this.flush()
  }

  private closed(socket: WebSocket, code: number): void {
    if (socket !== this.socket) return
    const wasReady = this.ready
    this.socket = undefined
    this.ready = false
    window.clearTimeout(this.flushTimer)
    this.flushTimer = undefined
    if (FINAL_CLOSE_CODES.has(code)) return this.stop()
    if (wasReady) this.handlers.status('reconnecting')
    let delay: number
    if (code === CLOSE_CODE.serviceRestart) {
      delay = Math.random() * DRAIN_SPREAD_MS
    } else {
      if (wasReady && Date.now() - this.openedAt >= STABLE_MS) this.backoff.reset()
      delay = this.backoff.next()
    }
    this.retryAt = Date.now() + delay
    this.timer = window.setTimeout(() => this.connect(), delay)
  }

  /** The tab became visible or the network came back: skip the rest of a long wait. */
  private readonly wake = (): void => {
    if (this.timer === undefined || document.visibilityState === 'hidden') return
    if (this.retryAt - Date.now() < EAGER_MS) return
    window.clearTimeout(this.timer)
    this.connect()
  }

  private stop(): void {
    this.stopped = true
    this.handlers.status('stopped')
    this.handlers.dropped(this.queue.splice(0))
    document.removeEventListener('visibilitychange', this.wake)
    window.removeEventListener('online', this.wake)
  }
}
