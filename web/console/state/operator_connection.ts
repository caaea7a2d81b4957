import { CLOSE_CODE, SUBPROTOCOL, type OperatorFrame, type ReadyFrame } from '../../../shared/src/protocol.js'
import { Backoff, DRAIN_SPREAD_MS, FINAL_CLOSE_CODES, STABLE_MS } from '../../../shared/src/reconnect_policy.js'
import { parseServerFrame, ServerFrameError, type ConsoleFrame } from './server_frame.js'

export type ConnectionStatus =
  | { state: 'connecting' }
  | { state: 'online'; ready: ReadyFrame }
  | { state: 'offline'; retryAt: number; reason: string }
  /** Final: the node refused this token or this client; only a new token can help. */
  | { state: 'refused'; code: number; reason: string }

/** Actions an operator sends once ready (auth and watch are the connection's own business). */
export type OperatorAction = Exclude<OperatorFrame, { t: 'auth' | 'watch' }>

export interface ConnectionHandlers {
  status(status: ConnectionStatus): void
  /** Every frame after `ready`; each (re)connect starts with a fresh `visitors` snapshot. */
  frame(frame: Exclude<ConsoleFrame, ReadyFrame>): void
  /** The `watch.view` to send after each `ready`. */
  view(): unknown
}

/**
 * The operator socket of the console (JSON subprotocol). Each attempt sends `auth` first,
 * and after `ready` sends `watch` for the operator's site with the list's current view, so a reconnect restores the live
 * list by itself; the node then replays the open chats assigned to this operator. Reconnects
 * with jittered exponential backoff on every close except the final codes.
 */
export class OperatorConnection {
  private socket: WebSocket | undefined
  private ready: ReadyFrame | undefined
  private readyAt = 0
  private timer: number | undefined
  private stopped = false
  private readonly backoff = new Backoff(500, 15_000)

  constructor(
    private readonly url: string,
    private readonly token: string,
    private readonly handlers: ConnectionHandlers,
  ) {}

  start(): void {
    window.addEventListener('online', this.retryNow)
    this.connect()
  }

  stop(): void {
    this.stopped = true
    window.removeEventListener('online', this.retryNow)
    clearTimeout(this.timer)
    this.socket?.close(CLOSE_CODE.normal)
    this.socket = undefined
  }

  /** Re-aims the watch (a new window, filter or pin); false when the socket is not ready. */
  watch(view: unknown): boolean {
    if (!this.ready || !this.socket) return false
    this.socket.send(JSON.stringify({ t: 'watch', site: this.ready.site, view }))
    return true
  }

  /** Sends an action; false when the socket is not ready (the caller tells the operator). */
  send(frame: OperatorAction): boolean {
    if (!this.ready || !this.socket) return false
    this.socket.send(JSON.stringify(frame))
    return true
  }

  private readonly retryNow = (): void => {
    if (this.socket || this.stopped) return
    clearTimeout(this.timer)
    this.connect()
  }

  private connect(): void {
    this.timer = undefined
    this.handlers.status({ state: 'connecting' })
    const socket = new WebSocket(this.url, SUBPROTOCOL.json)
    this.socket = socket
    socket.onopen = () => socket.send(JSON.stringify({ t: 'auth', token: this.token }))
    socket.onmessage = (event) => {
      if (this.socket !== socket) return
      this.receive(event.data)
    }
    socket.onclose = (event) => {
      if (this.socket !== socket) return
      this.closed(event.code, event.reason)
    }
  }

  private receive(data: unknown): void {
    let frame: ConsoleFrame
    try {
      frame = parseServerFrame(JSON.parse(String(data)))
    } catch (error) {
      if (!(error instanceof ServerFrameError || error instanceof SyntaxError)) throw error
      console.warn('beckon console: frame skipped:', error.message)
      return
    }
    if (frame.t === 'ready') {
      this.ready = frame
      this.readyAt = Date.now()
      this.socket?.send(JSON.stringify({ t: 'watch', site: frame.site, view: this.handlers.view() }))
      this.handlers.status({ state: 'online', ready: frame })
      return
    }
    if (this.ready) this.handlers.frame(frame)
  }

  private closed(code: number, reason: string): void {
    const wasReady = this.ready !== undefined
    this.socket = undefined
    this.ready = undefined
    if (this.stopped) return
    if (FINAL_CLOSE_CODES.has(code)) {
      this.handlers.status({ state: 'refused', code, reason: reason || `closed with ${code}` })
      return
    }
    if (wasReady && Date.now() - this.readyAt >= STABLE_MS) this.backoff.reset()
    const delay = code === CLOSE_CODE.serviceRestart ? Math.random() * DRAIN_SPREAD_MS : this.backoff.next()
    this.handlers.status({ state: 'offline', retryAt: Date.now() + delay, reason: reason || `closed with ${code}` })
    this.timer = window.setTimeout(() => this.connect(), delay)
  }
}
