import { LatencyRecorder, type LatencySummary } from './latency.js'
import { ConnectError, LoadSocket, type Frame } from './load_socket.js'

export interface ConnectAllOptions {
  /** WebSocket URL, e.g. `ws://127.0.0.1:8080/v1/visitor?site=demo`. */
  url: string
  count: number
  /** Upgrades in flight at once (a burst beyond the listen backlog only causes retransmits). */
  concurrency: number
  localAddress?: string
  /** First frame of socket `i` (`hello`/`auth`); pre-encoded text is sent as is. */
  first: (i: number) => object | string
  /** The reply that completes the handshake (`welcome`, `ready`, an echo). */
  ready: (frame: Frame) => boolean
  /** Per socket: upgrade plus reply; default 15 s. */
  waitMs?: number
}

export interface ConnectedSocket {
  index: number
  socket: LoadSocket
  /** The frame that matched `ready`. */
  reply: Frame
}

export interface ConnectReport {
  attempted: number
  connected: number
  /** Failure reason (`http 429`, `ECONNREFUSED`, `no reply`...) → count. */
  failures: Record<string, number>
  /** Open + first frame → ready reply, per socket. */
  handshake: LatencySummary | undefined
  seconds: number
}

/** Runs `task(i)` for i in [0, count), at most `concurrency` at a time; resolves when all settled. */
export async function forEachLimited(
  count: number,
  concurrency: number,
  task: (i: number) => Promise<void>,
): Promise<void> {
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < count) await task(next++)
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker))
}

/** Adds one failure to a reason → count tally. */
export function tally(failures: Record<string, number>, reason: string): void {
  failures[reason] = (failures[reason] ?? 0) + 1
}

/**
 * Opens `count` sockets and completes each one's handshake frame. Failures are counted by
 * reason, never thrown: a load run reports how many sockets the server took and why not more.
 */
export async function connectAll(
  opts: ConnectAllOptions,
): Promise<{ sockets: ConnectedSocket[]; report: ConnectReport }> {
  const began = performance.now()
  const sockets: ConnectedSocket[] = []
  const failures: Record<string, number> = {}
  const handshake = new LatencyRecorder()
  const waitMs = opts.waitMs ?? 15_000
  await forEachLimited(opts.count, opts.concurrency, async (index) => {
    const start = performance.now()
    let socket: LoadSocket
    try {
      socket = await LoadSocket.open(opts.url, {
        timeoutMs: waitMs,
        ...(opts.localAddress ? { localAddress: opts.localAddress } : {}),
      })
    } catch (error) {
      tally(failures, error instanceof ConnectError ? error.reason : String(error))
      return
    }
    const reply = socket.next(opts.ready, waitMs)
    socket.send(opts.first(index))
    const frame = await reply
    if (!frame) {
      tally(failures, socket.open ? 'no reply' : 'closed before reply')
      socket.terminate()
      return
    }
    handshake.record(performance.now() - start)
    sockets.push({ index, socket, reply: frame })
  })
  return {
    sockets,
    report: {
      attempted: opts.count,
      connected: sockets.length,
      failures,
      handshake: handshake.summary(),
      seconds: (performance.now() - began) / 1000,
    },
  }
}

/** Closes every socket with a close handshake, `concurrency` at a time. */
export async function closeAll(sockets: ReadonlyArray<{ socket: LoadSocket }>, concurrency = 500): Promise<void> {
  await forEachLimited(sockets.length, concurrency, (i) => (sockets[i] as { socket: LoadSocket }).socket.close())
}
