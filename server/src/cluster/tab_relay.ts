import {
  CLOSE_CODE,
  ERROR_CODE,
  type HelloFrame,
  type ServerToVisitorFrame,
  type VisitorFrame,
} from '../../../shared/src/protocol.js'
import { FrameError } from '../../../shared/src/frame_parser.js'
import type { Bus, Subscription } from '../bus/bus.js'
import type { Logger } from '../logger.js'
import type { SiteRegistry } from '../site/site_registry.js'
import type { ClientInfo } from '../visitor/client_info.js'
import type { TabSink } from '../visitor/live_visitor.js'
import type { HostedTab, VisitorHost } from '../visitor/visitor_host.js'
import type { TabLink, VisitorSession } from '../visitor/visitor_session.js'
import type { NodeLiveness } from './node_liveness.js'
import type { VisitorOwnership } from './visitor_ownership.js'

/** To the owner node (`beckon.node.<owner>.host`). */
type HostMessage =
  | {
      op: 'attach'
      tab: string
      from: string
      site: string
      visitor: string
      hello: HelloFrame
      client: ClientInfo
      userValid: boolean
    }
  | { op: 'frame'; tab: string; frame: VisitorFrame }
  | { op: 'detach'; tab: string }

/** To the node holding the socket (`beckon.node.<node>.tabs`). */
type TabMessage =
  | { tab: string; frame: ServerToVisitorFrame }
  | { tab: string; close: { code: number; reason: string } }

const hostSubject = (node: string): string => `beckon.node.${node}.host`
const tabsSubject = (node: string): string => `beckon.node.${node}.tabs`

interface ProxiedTab {
  session: VisitorSession
  owner: string
  welcomed: boolean
  resolve: () => void
  reject: (error: Error) => void
}

interface RemoteTab {
  from: string
  site: string
  tab: HostedTab | undefined
  sink: TabSink
  /** Frames that arrived while the attach was in progress, applied right after it. */
  backlog: VisitorFrame[]
}

export class RelayError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'RelayError'
  }
}

/**
 * Relays tabs whose socket is on this node but whose visitor is owned by another node, and
 * hosts tabs relayed from other nodes for the visitors this node owns. Frames of one tab
 * keep their order both ways (one publisher, one subscription per direction). When either
 * end's node dies, the other notices within a few refresh periods: the proxy closes the
 * socket with 1012 (the widget reconnects and a live node takes the visitor over) and the
 * owner detaches the tab.
 */
export class TabRelay {
  private readonly proxied = new Map<string, ProxiedTab>()
  private readonly hosted = new Map<string, RemoteTab>()
  private readonly subscriptions: Subscription[]
  private readonly timer: NodeJS.Timeout
  private nextTab = 1

  constructor(
    private readonly nodeId: string,
    private readonly bus: Bus,
    private readonly sites: SiteRegistry,
    private readonly host: VisitorHost,
    private readonly ownership: VisitorOwnership,
    private readonly liveness: NodeLiveness,
    refreshMs: number,
    private readonly attachTimeoutMs: number,
    /** False while the node drains: relayed attaches are refused so they go elsewhere. */
    private readonly accepting: () => boolean,
    private readonly log: Logger,
  ) {
    this.subscriptions = [
      bus.subscribe(hostSubject(nodeId), (msg) => this.onHost(msg as HostMessage)),
      bus.subscribe(tabsSubject(nodeId), (msg) => this.onTab(msg as TabMessage)),
    ]
    this.timer = setInterval(() => {
      this.sweep().catch((error: unknown) => this.log.warn({ err: error }, 'relay sweep failed'))
    }, refreshMs)
  }

  // ---- proxy side: the socket is here

  /** Attaches a local socket to its visitor on `owner`; resolves once the owner's welcome arrived. */
  attach(
    owner: string,
    site: string,
    visitor: string,
    session: VisitorSession,
    hello: HelloFrame,
    client: ClientInfo,
    userValid: boolean,
  ): Promise<TabLink> {
    const tab = `${this.nodeId}:${this.nextTab++}`
    return new Promise<TabLink>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.proxied.delete(tab)
        this.bus.publish(hostSubject(owner), { op: 'detach', tab } satisfies HostMessage)
        reject(new RelayError(`owner ${owner} did not answer`))
      }, this.attachTimeoutMs)
      const link: TabLink = {
        frame: (frame) => this.bus.publish(hostSubject(owner), { op: 'frame', tab, frame } satisfies HostMessage),
        detach: () => {
          if (this.proxied.delete(tab))
            this.bus.publish(hostSubject(owner), { op: 'detach', tab } satisfies HostMessage)
        },
      }
      this.proxied.set(tab, {
        session,
        owner,
        welcomed: false,
        resolve: () => {
          clearTimeout(timer)
          resolve(link)
        },
        reject: (error) => {
          clearTimeout(timer)
          reject(error)
        },
      })
      this.bus.publish(hostSubject(owner), {
        op: 'attach',
        tab,
        from: this.nodeId,
        site,
        visitor,
        hello,
        client,
        userValid,
      } satisfies HostMessage)
    })
  }

  private onTab(msg: TabMessage): void {
    const proxied = this.proxied.get(msg.tab)
    if (!proxied) return
    if ('close' in msg) {
      this.proxied.delete(msg.tab)
      if (!proxied.welcomed) proxied.reject(new RelayError(msg.close.reason))
      else proxied.session.close(msg.close.code, msg.close.reason)
      return
    }
    proxied.session.send(msg.frame)
    if (msg.frame.t === 'welcome' && !proxied.welcomed) {
      proxied.welcomed = true
      proxied.resolve()
    }
  }

  // ---- owner side: the visitor's state is here

  private remoteSink(from: string, tab: string): TabSink {
    return {
      send: (frame) => this.bus.publish(tabsSubject(from), { tab, frame } satisfies TabMessage),
      close: (code, reason) => {
        this.hosted.delete(tab)
        this.bus.publish(tabsSubject(from), { tab, close: { code, reason } } satisfies TabMessage)
      },
    }
  }

  private onHost(msg: HostMessage): void {
    if (!msg || typeof msg.tab !== 'string') return
    switch (msg.op) {
      case 'attach':
        void this.hostAttach(msg)
        return
      case 'frame': {
        const remote = this.hosted.get(msg.tab)
        if (!remote) return
        if (!remote.tab) remote.backlog.push(msg.frame)
        else this.apply(remote, remote.tab, msg.frame)
        return
      }
      case 'detach': {
        const remote = this.hosted.get(msg.tab)
        this.hosted.delete(msg.tab)
        if (remote?.tab) this.host.detach(remote.tab)
      }
    }
  }

  private async hostAttach(msg: Extract<HostMessage, { op: 'attach' }>): Promise<void> {
    const sink = this.remoteSink(msg.from, msg.tab)
    const site = this.sites.get(msg.site)
    if (!site) return sink.close(CLOSE_CODE.siteUnknown, 'unknown site')
    if (!this.accepting()) return sink.close(CLOSE_CODE.serviceRestart, 'owner node draining, reconnect')
    const remote: RemoteTab = { from: msg.from, site: msg.site, tab: undefined, sink, backlog: [] }
    this.hosted.set(msg.tab, remote)
    try {
      // Still the owner? It may have let the visitor go between the proxy's look-up and now.
      if ((await this.ownership.acquire(site.id, msg.visitor)) !== this.nodeId) throw new RelayError('visitor moved')
      remote.tab = await this.host.attach(site, msg.visitor, sink, msg.hello, msg.client, msg.userValid)
    } catch (error) {
      this.log.warn({ err: error, visitor: msg.visitor }, 'relayed attach failed')
      return sink.close(CLOSE_CODE.serviceRestart, 'visitor state moved, reconnect')
    }
    if (this.hosted.get(msg.tab) !== remote) return this.host.detach(remote.tab)
    for (const frame of remote.backlog.splice(0)) this.apply(remote, remote.tab, frame)
  }

  private apply(remote: RemoteTab, tab: HostedTab, frame: VisitorFrame): void {
    const site = this.sites.get(remote.site)
    if (!site) return
    try {
      this.host.frame(site, tab, frame, remote.sink)
    } catch (error) {
      const e = error instanceof FrameError ? error : new FrameError(ERROR_CODE.internal, 'internal error')
      if (!(error instanceof FrameError)) this.log.error({ err: error }, 'relayed frame failed')
      remote.sink.send(
        e.ref === undefined
          ? { t: 'error', code: e.code, message: e.message }
          : { t: 'error', code: e.code, message: e.message, ref: e.ref },
      )
    }
  }

  // ---- both: notice dead peers

  private async sweep(): Promise<void> {
    for (const [tab, proxied] of this.proxied) {
      if (await this.liveness.isAlive(proxied.owner)) continue
      this.proxied.delete(tab)
      proxied.session.close(CLOSE_CODE.serviceRestart, 'owner node gone, reconnect')
    }
    for (const [tab, remote] of this.hosted) {
      if (await this.liveness.isAlive(remote.from)) continue
      this.hosted.delete(tab)
      if (remote.tab) this.host.detach(remote.tab)
    }
  }

  close(): void {
    clearInterval(this.timer)
    for (const s of this.subscriptions) s.unsubscribe()
  }
}
