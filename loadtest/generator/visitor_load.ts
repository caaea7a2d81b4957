import { closeAll, connectAll, type ConnectedSocket, type ConnectReport } from './connect_all.js'
import { LatencyRecorder, type LatencySummary } from './latency.js'
import type { Frame } from './load_socket.js'
import { assertLoopback, between, sleep, type Scenario } from './scenario.js'

export interface VisitorLoadOptions {
  /** Node base, `ws://127.0.0.1:PORT`. */
  url: string
  site: string
  count: number
  /** Page views per visitor after the landing page (0: connect, then stay idle). */
  pages: number
  /** Dwell time per page, ms, uniform in [min, max]. */
  dwellMs: [number, number]
  /** Share of page views on `/kb/` pages, which the campaign invites on. */
  kbShare: number
  /** The campaign's `page.seconds` threshold: the invitation is due this long after the view. */
  inviteAfterSeconds: number
  /** How long past due an invitation is still awaited before it counts as missed. */
  inviteWaitMs: number
  /** Each visitor's first page view starts at a random offset in [0, spreadMs]. */
  spreadMs: number
  concurrency: number
  /** Per socket: upgrade plus `welcome`, ms; slower counts as a failure (`no reply`, `timeout`). */
  connectWaitMs: number
  localAddress?: string
}

export const VISITOR_DEFAULTS: Omit<VisitorLoadOptions, 'url' | 'site' | 'count'> = {
  pages: 5,
  dwellMs: [1000, 6000],
  kbShare: 0.4,
  inviteAfterSeconds: 2,
  inviteWaitMs: 10_000,
  spreadMs: 5000,
  concurrency: 200,
  connectWaitMs: 15_000,
}

export interface VisitorRunReport {
  pageViews: number
  invitesExpected: number
  invitesReceived: number
  /** Invitations due (kb page held past the threshold) that did not arrive in time. */
  invitesMissed: number
  /** Invitations that arrived with no kb view due (should stay 0). */
  invitesUnexpected: number
  /** Condition true (page view sent + threshold) → `invite` received, ms. */
  inviteLatency: LatencySummary | undefined
  /** Raw latencies, so a driver can merge several processes. */
  inviteLatencies: readonly number[]
  /** Visitor sockets the server closed during the run. */
  closedByServer: number
  seconds: number
}

/** A visitor browsing: one page view at a time, waiting on its invitation when one is due. */
class BrowsingVisitor {
  private due: { at: number; resolve: () => void } | undefined
  closed = false

  constructor(
    readonly conn: ConnectedSocket,
    private readonly onInvite: (latencyMs: number | undefined) => void,
  ) {
    conn.socket.onFrame = (frame) => this.frame(frame)
    conn.socket.onClose = () => {
      this.closed = true
      this.due?.resolve()
    }
  }

  private frame(frame: Frame): void {
    if (frame.t !== 'invite') return
    // Free the one visible-invitation slot so the next kb view can fire again.
    this.conn.socket.send({ t: 'inv', id: frame.id, action: 'dismissed' })
    const due = this.due
    this.due = undefined
    this.onInvite(due ? performance.now() - due.at : undefined)
    due?.resolve()
  }

  /** Views a page; for a kb page resolves once the invitation came or `waitMs` past due. */
  async view(
    url: string,
    title: string,
    inviteAfterMs: number | undefined,
    waitMs: number,
  ): Promise<boolean | undefined> {
    this.conn.socket.send({ t: 'page', url, title })
    if (inviteAfterMs === undefined) return undefined
    const sent = performance.now()
    let arrived = false
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, inviteAfterMs + waitMs)
      this.due = {
        at: sent + inviteAfterMs,
        resolve: () => {
          clearTimeout(timer)
          arrived = !this.closed
          resolve()
        },
      }
    })
    this.due = undefined
    return arrived
  }
}

/**
 * Visitors browsing a site: each says hello on a landing page, then views `pages` pages with
 * dwell times; a share are `/kb/` pages that the load campaign (page.url contains /kb/ and
 * page.seconds >= inviteAfterSeconds) invites on. Measures condition-true → invite received.
 */
export class VisitorLoad implements Scenario<VisitorRunReport> {
  private conns: ConnectedSocket[] = []
  readonly opts: VisitorLoadOptions

  constructor(opts: Pick<VisitorLoadOptions, 'url' | 'site' | 'count'> & Partial<VisitorLoadOptions>) {
    assertLoopback(opts.url)
    this.opts = { ...VISITOR_DEFAULTS, ...opts }
  }

  async connect(): Promise<ConnectReport> {
    const { url, site, count, concurrency, localAddress, connectWaitMs } = this.opts
    const { sockets, report } = await connectAll({
      url: `${url}/v1/visitor?site=${encodeURIComponent(site)}`,
      count,
      concurrency,
      waitMs: connectWaitMs,
      ...(localAddress ? { localAddress } : {}),
      first: (i) => ({
        t: 'hello',
        page: { url: `https://${site}.example/landing/${i % 100}`, title: 'Landing' },
        lang: 'en',
      }),
      ready: (f) => f.t === 'welcome',
    })
    this.conns = sockets
    return report
  }

  async run(): Promise<VisitorRunReport> {
    const began = performance.now()
    const o = this.opts
    const latency = new LatencyRecorder()
    let pageViews = 0
    let expected = 0
    let received = 0
    let missed = 0
    let unexpected = 0
    const visitors = this.conns.map(
      (conn) =>
        new BrowsingVisitor(conn, (ms) => {
          if (ms === undefined) return void unexpected++
          received++
          latency.record(ms)
        }),
    )
    await Promise.all(
      visitors.map(async (visitor, v) => {
        await sleep(between(0, o.spreadMs))
        for (let p = 0; p < o.pages && !visitor.closed; p++) {
          const kb = Math.random() < o.kbShare
          const path = kb ? `/kb/article-${(v * 7 + p) % 500}` : `/p/${(v * 13 + p) % 2000}`
          const dwell = between(o.dwellMs[0], o.dwellMs[1])
          const began = performance.now()
          pageViews++
          if (kb) expected++
          const arrived = await visitor.view(
            `https://${o.site}.example${path}`,
            kb ? 'Help article' : 'Product',
            kb ? o.inviteAfterSeconds * 1000 : undefined,
            o.inviteWaitMs,
          )
          if (arrived === false) missed++
          const left = dwell - (performance.now() - began)
          if (left > 0 && p < o.pages - 1) await sleep(left)
        }
      }),
    )
    return {
      pageViews,
      invitesExpected: expected,
      invitesReceived: received,
      invitesMissed: missed,
      invitesUnexpected: unexpected,
      inviteLatency: latency.summary(),
      inviteLatencies: latency.values(),
      closedByServer: visitors.filter((v) => v.closed).length,
      seconds: (performance.now() - began) / 1000,
    }
  }

  close(): Promise<void> {
    return closeAll(this.conns)
  }
}
