import WebSocket from 'ws'
import { FrameCodec } from '../../../shared/src/frame_codec.js'
import { SUBPROTOCOL, type Subprotocol } from '../../../shared/src/protocol.js'

export interface Frame {
  t: string
  [key: string]: unknown
}

export interface Closed {
  code: number
  reason: string
}

const WAIT_MS = 10_000

/**
 * A WebSocket client for tests: frames are queued and taken in order with next(), so a test
 * awaits exactly the frame it expects; a wait that runs out fails with what did arrive.
 */
export class TestClient {
  readonly frames: Frame[] = []
  private waiters: Array<() => void> = []
  readonly closed: Promise<Closed>
  readonly codec: FrameCodec
  private constructor(
    readonly ws: WebSocket,
    subprotocol: Subprotocol,
  ) {
    this.codec = new FrameCodec(subprotocol)
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      this.frames.push(this.codec.decode(new Uint8Array(data), isBinary) as Frame)
      this.wake()
    })
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        resolve({ code, reason: reason.toString() })
        this.wake()
      })
    })
  }

  private wake(): void {
    const waiters = this.waiters
    this.waiters = []
    for (const w of waiters) w()
  }

  static connect(
    url: string,
    opts: { subprotocol?: Subprotocol | null; origin?: string; headers?: Record<string, string> } = {},
  ): Promise<TestClient> {
    const subprotocol = opts.subprotocol === undefined ? SUBPROTOCOL.json : opts.subprotocol
    const ws = new WebSocket(url, subprotocol ? [subprotocol] : [], {
      headers: { ...(opts.origin ? { origin: opts.origin } : {}), ...opts.headers },
    })
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new TestClient(ws, subprotocol ?? SUBPROTOCOL.json)))
      ws.once('unexpected-response', (_req, res) => {
        let body = ''
        res.on('data', (c: Buffer) => (body += c.toString()))
        res.on('end', () =>
          reject(
            Object.assign(new Error(`upgrade refused: ${res.statusCode} ${body}`), { status: res.statusCode, body }),
          ),
        )
      })
      ws.once('error', reject)
    })
  }

  /** Attempts an upgrade that must be refused; resolves to the HTTP status and body. */
  static async refusal(
    url: string,
    opts: Parameters<typeof TestClient.connect>[1] = {},
  ): Promise<{ status: number; body: string }> {
    const client = await TestClient.connect(url, opts).catch((error: { status?: number; body?: string }) => error)
    if (client instanceof TestClient) {
      await client.close()
      throw new Error('upgrade was accepted')
    }
    return { status: client.status ?? 0, body: client.body ?? '' }
  }

  send(frame: object): void {
    const data = this.codec.encode(frame)
    this.ws.send(data, { binary: this.codec.binary })
  }

  sendRaw(data: string | Buffer, binary: boolean): void {
    this.ws.send(data, { binary })
  }

  /** Takes the first queued frame matching `match` (a type or predicate), waiting for it. */
  async next(match: string | ((f: Frame) => boolean) = () => true, waitMs = WAIT_MS): Promise<Frame> {
    const test = typeof match === 'string' ? (f: Frame) => f.t === match : match
    const deadline = Date.now() + waitMs
    for (;;) {
      const index = this.frames.findIndex(test)
      if (index !== -1) return this.frames.splice(index, 1)[0] as Frame
      if (this.ws.readyState === WebSocket.CLOSED)
        throw new Error(`socket closed while waiting; had ${JSON.stringify(this.frames)}`)
      const remaining = deadline - Date.now()
      if (remaining <= 0) throw new Error(`no matching frame within ${waitMs} ms; had ${JSON.stringify(this.frames)}`)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining)
        this.waiters.push(() => {
          clearTimeout(timer)
          resolve()
        })
      })
    }
  }

  close(): Promise<Closed> {
    this.ws.close()
    return this.closed
  }
}

/** Sends a frame that fails on purpose and waits for its error: everything sent before was applied. */
export async function settled(client: TestClient, waitMs = WAIT_MS): Promise<void> {
  client.send({ t: 'nope' })
  await client.next((f) => f.t === 'error' && f.code === 'unknown_type', waitMs)
}

/** The invitations queued and not taken yet. */
export const invites = (client: TestClient): Frame[] => client.frames.filter((f) => f.t === 'invite')
