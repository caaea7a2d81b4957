import { closeAll, connectAll, tally, type ConnectedSocket, type ConnectReport } from './connect_all.js'
import { LatencyRecorder, type LatencySummary } from './latency.js'
import { ConnectError, LoadSocket } from './load_socket.js'
import { assertLoopback, between, sleep, type Scenario } from './scenario.js'

export interface ReconnectStormOptions {
  /** Node base, `ws://127.0.0.1:PORT`. */
  url: string
  site: string
  count: number
  /** Storms: every socket drops at once, then all reconnect. */
  rounds: number
  /** Each socket reconnects after a random delay in [0, jitterMs], as a widget's backoff would. */
  jitterMs: number
  /** Pause between storms. */
  pauseMs: number
  concurrency: number
  localAddress?: string
}

export interface StormRunReport {
  reconnects: number
  /** Reconnects whose `welcome` said `resumed: true` (the token brought the visitor back). */
  resumed: number
  failures: Record<string, number>
  /** Reconnect attempt → `welcome`, ms. */
  reconnect: LatencySummary | undefined
  seconds: number
}

/**
 * A reconnect storm: visitors connect, then every socket drops at the same moment (a node
 * restart or a network blip) and all reconnect with their resume token within a jitter window.
 */
export class ReconnectStorm implements Scenario<StormRunReport> {
  private conns: ConnectedSocket[] = []
  private readonly url: string

  constructor(readonly opts: ReconnectStormOptions) {
    assertLoopback(opts.url)
    this.url = `${opts.url}/v1/visitor?site=${encodeURIComponent(opts.site)}`
  }

  private page(i: number): { url: string; title: string } {
    return { url: `https://${this.opts.site}.example/p/${i % 2000}`, title: 'Product' }
  }

  async connect(): Promise<ConnectReport> {
    const { sockets, report } = await connectAll({
      url: this.url,
      count: this.opts.count,
      concurrency: this.opts.concurrency,
      ...(this.opts.localAddress ? { localAddress: this.opts.localAddress } : {}),
      first: (i) => ({ t: 'hello', page: this.page(i) }),
      ready: (f) => f.t === 'welcome',
    })
    this.conns = sockets
    return report
  }

  async run(): Promise<StormRunReport> {
    const began = performance.now()
    const latency = new LatencyRecorder()
    const failures: Record<string, number> = {}
    let reconnects = 0
    let resumed = 0
    for (let round = 0; round < this.opts.rounds; round++) {
      if (round > 0) await sleep(this.opts.pauseMs)
      const dropped = this.conns
      for (const { socket } of dropped) socket.terminate()
      const next: ConnectedSocket[] = []
      await Promise.all(
        dropped.map(async ({ index, reply }) => {
          await sleep(between(0, this.opts.jitterMs))
          const start = performance.now()
          let socket: LoadSocket
          try {
            socket = await LoadSocket.open(
              this.url,
              this.opts.localAddress ? { localAddress: this.opts.localAddress } : {},
            )
          } catch (error) {
            return tally(failures, error instanceof ConnectError ? error.reason : String(error))
          }
          const welcome = socket.next((f) => f.t === 'welcome', 15_000)
          socket.send({ t: 'hello', token: reply.token, reconnect: true, page: this.page(index) })
          const frame = await welcome
          if (!frame) {
            socket.terminate()
            return tally(failures, 'no welcome')
          }
          latency.record(performance.now() - start)
          reconnects++
          if (frame.resumed === true && frame.visitor === reply.visitor) resumed++
          next.push({ index, socket, reply: frame })
        }),
      )
      this.conns = next
    }
    return { reconnects, resumed, failures, reconnect: latency.summary(), seconds: (performance.now() - began) / 1000 }
  }

  close(): Promise<void> {
    return closeAll(this.conns)
  }
}
