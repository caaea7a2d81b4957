import { closeAll, connectAll, type ConnectedSocket, type ConnectReport } from './connect_all.js'
import { LatencyRecorder, type LatencySummary } from './latency.js'
import { assertLoopback, sleep, type Scenario } from './scenario.js'

export interface OperatorLoadOptions {
  /** Node base, `ws://127.0.0.1:PORT`. */
  url: string
  site: string
  /** Operator JWT (HS256 with the site secret); every operator socket uses it. */
  token: string
  count: number
  /** How long the operators watch the visitor list. */
  durationMs: number
  concurrency: number
  localAddress?: string
  /** Watch the node's default window (`view: {}`, as the console does) rather than the whole list. */
  window?: boolean
}

export interface OperatorRunReport {
  /** `watch` sent → `visitors` snapshot received. */
  snapshot: LatencySummary | undefined
  /** Mean visitors in the snapshots. */
  snapshotSize: number
  /** Mean `total` of the snapshots: visitors matching, listed or not (the window's whole list). */
  snapshotTotal: number
  /** Mean size of the operators' visitor lists at the end (snapshot + upserts - gone). */
  listedAtEnd: number
  /** `visitor` upserts and `gone` frames received per operator per second. */
  updatesPerSecond: number
  closedByServer: number
  seconds: number
}

/** Operators watching a site's visitor list: snapshot latency, then the live update stream. */
export class OperatorLoad implements Scenario<OperatorRunReport> {
  private conns: ConnectedSocket[] = []

  constructor(readonly opts: OperatorLoadOptions) {
    assertLoopback(opts.url)
  }

  async connect(): Promise<ConnectReport> {
    const { sockets, report } = await connectAll({
      url: `${this.opts.url}/v1/operator`,
      count: this.opts.count,
      concurrency: this.opts.concurrency,
      ...(this.opts.localAddress ? { localAddress: this.opts.localAddress } : {}),
      first: () => ({ t: 'auth', token: this.opts.token }),
      ready: (f) => f.t === 'ready',
    })
    this.conns = sockets
    return report
  }

  async run(): Promise<OperatorRunReport> {
    const began = performance.now()
    const snapshot = new LatencyRecorder()
    let listed = 0
    let totals = 0
    let updates = 0
    let closed = 0
    const lists: Array<Set<string>> = []
    await Promise.all(
      this.conns.map(async ({ socket }) => {
        socket.onClose = () => void closed++
        const sent = performance.now()
        const reply = socket.next((f) => f.t === 'visitors' || f.t === 'error', 30_000)
        socket.send(
          this.opts.window ? { t: 'watch', site: this.opts.site, view: {} } : { t: 'watch', site: this.opts.site },
        )
        const frame = await reply
        if (frame?.t !== 'visitors') return
        snapshot.record(performance.now() - sent)
        const list = new Set(Array.isArray(frame.list) ? frame.list.map((v: { id: string }) => v.id) : [])
        lists.push(list)
        listed += list.size
        totals += typeof frame.total === 'number' ? frame.total : list.size
        socket.onFrame = (f) => {
          if (f.t === 'window') return void updates++
          if (f.t === 'visitor') list.add(String(f.id))
          else if (f.t === 'gone') list.delete(String(f.visitor))
          else return
          updates++
        }
      }),
    )
    const watching = performance.now()
    await sleep(this.opts.durationMs)
    const seconds = (performance.now() - watching) / 1000
    return {
      snapshot: snapshot.summary(),
      snapshotSize: snapshot.count ? listed / snapshot.count : 0,
      snapshotTotal: snapshot.count ? totals / snapshot.count : 0,
      listedAtEnd: lists.length ? lists.reduce((n, l) => n + l.size, 0) / lists.length : 0,
      updatesPerSecond: snapshot.count ? updates / snapshot.count / seconds : 0,
      closedByServer: closed,
      seconds: (performance.now() - began) / 1000,
    }
  }

  close(): Promise<void> {
    return closeAll(this.conns)
  }
}
