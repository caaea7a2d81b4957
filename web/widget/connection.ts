import {
  CLOSE_CODE,
  SUBPROTOCOL,
  type HelloFrame,
  type ServerToVisitorFrame,
  type VisitorFrame,
  type WelcomeFrame,
} from '../../shared/src/protocol.js'
import { Backoff, DRAIN_SPREAD_MS, FINAL_CLOSE_CODES, STABLE_MS } from '../../shared/src/reconnect_policy.js'
import { WIDGET_LIMITS } from './limits.js'
import { parseServerFrame } from './server_frame.js'

/** A reconnect further away than this is brought forward when the tab shows or the network returns. */
const EAGER_MS = 1_000

export type ConnectionState = 'online' | 'reconnecting' | 'stopped'

export interface ConnectionHandlers {
  /** Builds the hello of each attempt; `reconnect` is true once this page instance was welcomed. */
  hello(reconnect: boolean): HelloFrame
  welcome(frame: WelcomeFrame): void
  frame(frame: Exclude<ServerToVisitorFrame, WelcomeFrame>): void
  /** Welcomed, lost and retrying, or closed for good (a final close code). */
  status(state: ConnectionState): void
}

/**
 * The visitor socket (JSON subprotocol) of one page. Sends `hello` first on every attempt and
 * treats the socket as usable only after `welcome`. Reconnects with jittered exponential
 * backoff on every close except the final codes. Event frames sent while not welcomed are
 * queued (bounded, oldest dropped) and flushed in order right after the next welcome.
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

  constructor(
    private readonly url: string,
    private readonly handlers: ConnectionHandlers,
  ) {}

  start(): void {
    document.addEventListener('visibilitychange', this.wake)
    window.addEventListener('online', this.wake)
    this.connect()
  }

  /** Sends when welcomed, otherwise queues the frame for the next welcome. */
  send(frame: VisitorFrame): void {
    if (this.sendLive(frame) || this.stopped) return
    if (this.queue.length >= WIDGET_LIMITS.maxQueuedFrames) this.queue.shift()
    this.queue.push(frame)
  }

  /** Sends only when welcomed, for state the next hello carries anyway; returns whether it went. */
  sendLive(frame: VisitorFrame): boolean {
    if (!this.ready || !this.socket) return false
    this.socket.send(JSON.stringify(frame))
    return true
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
    this.handlers.welcome(frame)
    this.handlers.status('online')
    for (const queued of this.queue.splice(0)) this.sendLive(queued)
  }

  private closed(socket: WebSocket, code: number): void {
    if (socket !== this.socket) return
    const wasReady = this.ready
    this.socket = undefined
    this.ready = false
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
    this.queue.length = 0
    document.removeEventListener('visibilitychange', this.wake)
    window.removeEventListener('online', this.wake)
  }
}
