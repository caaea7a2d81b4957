import { closeAll, connectAll, type ConnectedSocket, type ConnectReport } from './connect_all.js'
import type { Frame } from './load_socket.js'
import { assertLoopback, sleep, type Scenario } from './scenario.js'

export interface EventLoadOptions {
  /** Full WebSocket URL: a beckon visitor endpoint, or an echo server (any path). */
  url: string
  site: string
  count: number
  /** `page` frames per socket after hello (0: connect, then stay idle). */
  frames: number
  /** A round (one frame from every socket) starts this often; 0 sends rounds back to back. */
  roundMs: number
  concurrency: number
  localAddress?: string
}

export interface EventRunReport {
  /** Frames sent after hello, over all sockets. */
  events: number
  /** Sockets whose final round trip completed (every earlier frame was handled by then). */
  acknowledged: number
  seconds: number
}

/** The JSON text of socket `i`'s hello: the same bytes for every server under test. */
export function helloText(site: string, i: number): string {
  return JSON.stringify({
    t: 'hello',
    page: { url: `https://${site}.example/landing/${i % 100}`, title: 'Landing' },
    lang: 'en',
  })
}

/**
 * The JSON text of socket `i`'s `j`th page view: product pages (which no load campaign invites
 * on), ten distinct ones per visitor, visited in turn, as a shopper comparing products would.
 */
export function pageText(site: string, i: number, j: number): string {
  const product = (i * 31 + (j % 10) * 7) % 2000
  return JSON.stringify({
    t: 'page',
    url: `https://${site}.example/p/${product}?ref=list&pos=${j % 10}`,
    title: `Product ${product} - ${site} shop`,
  })
}

/** Frames that answer the closing hello: beckon's `error` (hello already received) or an echo. */
const closingReply = (f: Frame): boolean => f.t === 'error' || f.t === 'hello'

/**
 * The same event stream against any WebSocket server: `count` sockets say hello, then each
 * sends `frames` page views, in rounds over all sockets; a second hello closes each stream and
 * its reply proves that the server handled every frame before it (frames of a socket are
 * handled in order). Beckon answers the first hello with `welcome`, an echo server with the
 * hello itself, so both complete the same handshake.
 */
export class EventLoad implements Scenario<EventRunReport> {
  private conns: ConnectedSocket[] = []

  constructor(readonly opts: EventLoadOptions) {
    assertLoopback(opts.url)
  }

  async connect(): Promise<ConnectReport> {
    const { sockets, report } = await connectAll({
      url: this.opts.url,
      count: this.opts.count,
      concurrency: this.opts.concurrency,
      ...(this.opts.localAddress ? { localAddress: this.opts.localAddress } : {}),
      first: (i) => helloText(this.opts.site, i),
      ready: (f) => f.t === 'welcome' || f.t === 'hello',
    })
    this.conns = sockets
    return report
  }

  async run(): Promise<EventRunReport> {
    const began = performance.now()
    const { site, frames, roundMs } = this.opts
    for (let j = 0; j < frames; j++) {
      const round = performance.now()
      for (const { index, socket } of this.conns) socket.send(pageText(site, index, j))
      // Let the round reach the kernel before queueing the next one.
      await new Promise((resolve) => setImmediate(resolve))
      const left = roundMs - (performance.now() - round)
      if (left > 0 && j < frames - 1) await sleep(left)
    }
    const replies = await Promise.all(
      this.conns.map(({ index, socket }) => {
        const reply = socket.next(closingReply, 60_000)
        socket.send(helloText(site, index))
        return reply
      }),
    )
    return {
      events: frames * this.conns.length,
      acknowledged: replies.filter(Boolean).length,
      seconds: (performance.now() - began) / 1000,
    }
  }

  close(): Promise<void> {
    return closeAll(this.conns)
  }
}
