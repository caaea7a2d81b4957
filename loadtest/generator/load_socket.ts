import WebSocket from 'ws'
import { SUBPROTOCOL } from '../../shared/src/protocol.js'

/** A decoded server frame: the load generator only looks at `t` and a few fields. */
export interface Frame {
  t: string
  [key: string]: unknown
}

export interface LoadSocketOptions {
  /** Source address on the loopback range (127.0.0.N): each has its own ephemeral port space. */
  localAddress?: string
  /** Upgrade (TCP + HTTP) must complete within this; default 10 s. */
  timeoutMs?: number
}

/** Why a socket did not open: the HTTP status of a refused upgrade, or the socket error code. */
export class ConnectError extends Error {
  constructor(readonly reason: string) {
    super(reason)
    this.name = 'ConnectError'
  }
}

/**
 * One WebSocket of the load generator, JSON subprotocol (`beckon.v1.json`). Kept small: no
 * frame queue, one handler; no permessage-deflate (beckon does not negotiate it, and the
 * offer alone costs memory per socket).
 */
export class LoadSocket {
  /** Called for every frame that no pending next() takes. */
  onFrame: (frame: Frame) => void = () => undefined
  onClose: (code: number) => void = () => undefined
  /** Pending next() calls, oldest first; each takes the first frame it matches. */
  private waiters: Array<{ match: (frame: Frame) => boolean; done: (frame: Frame | undefined) => void }> = []

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) return
      const frame = JSON.parse(data.toString()) as Frame
      const waiter = this.waiters.find((w) => w.match(frame))
      if (waiter) waiter.done(frame)
      else this.onFrame(frame)
    })
    ws.on('close', (code: number) => {
      for (const waiter of [...this.waiters]) waiter.done(undefined)
      this.onClose(code)
    })
    ws.on('error', () => undefined) // followed by close
  }

  static open(url: string, opts: LoadSocketOptions = {}): Promise<LoadSocket> {
    const ws = new WebSocket(url, [SUBPROTOCOL.json], {
      perMessageDeflate: false,
      handshakeTimeout: opts.timeoutMs ?? 10_000,
      ...(opts.localAddress ? { localAddress: opts.localAddress } : {}),
    })
    return new Promise((resolve, reject) => {
      const failed = (reason: string): void => {
        ws.removeAllListeners()
        ws.on('error', () => undefined)
        ws.terminate()
        reject(new ConnectError(reason))
      }
      ws.once('open', () => {
        ws.removeAllListeners()
        resolve(new LoadSocket(ws))
      })
      ws.once('unexpected-response', (_req, res) => failed(`http ${res.statusCode ?? 0}`))
      ws.once('error', (error: NodeJS.ErrnoException) => failed(error.code ?? error.message))
    })
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN
  }

  /** Sends a frame object, or pre-encoded JSON text (the same bytes for every server). */
  send(frame: object | string): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame))
  }

  /** Resolves with the first frame matching `match`, or undefined after `waitMs` or on close. */
  next(match: (frame: Frame) => boolean, waitMs: number): Promise<Frame | undefined> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve(undefined)
    return new Promise((resolve) => {
      const waiter = {
        match,
        done: (frame: Frame | undefined): void => {
          clearTimeout(timer)
          this.waiters.splice(this.waiters.indexOf(waiter), 1)
          resolve(frame)
        },
      }
      const timer = setTimeout(() => waiter.done(undefined), waitMs)
      this.waiters.push(waiter)
    })
  }

  /** Close handshake (code 1000); resolves when the socket is closed or after 2 s. */
  close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve()
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.ws.terminate()
        resolve()
      }, 2000)
      this.ws.once('close', () => {
        clearTimeout(timer)
        resolve()
      })
      this.ws.close(1000)
    })
  }

  /** Drops the TCP connection without a close frame, like a lost network. */
  terminate(): void {
    this.ws.terminate()
  }
}
