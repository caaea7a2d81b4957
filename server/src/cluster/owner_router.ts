import type { HelloFrame, VisitorFrame } from '../../../shared/src/protocol.js'
import type { Site } from '../site/site.js'
import type { ClientInfo } from '../visitor/client_info.js'
import type { LiveVisitor } from '../visitor/live_visitor.js'
import type { HostedTab, VisitorHost } from '../visitor/visitor_host.js'
import type { VisitorHub } from '../visitor/visitor_hub.js'
import type { TabLink, VisitorRouter, VisitorSession } from '../visitor/visitor_session.js'
import type { TabRelay } from './tab_relay.js'
import type { VisitorOwnership } from './visitor_ownership.js'

/**
 * Routes a new tab to its visitor's owner: attached here when this node owns (or becomes
 * the owner of) the visitor, relayed over the bus when another live node does.
 */
export class OwnerRouter implements VisitorRouter {
  constructor(
    private readonly nodeId: string,
    private readonly hub: VisitorHub,
    private readonly host: VisitorHost,
    private readonly ownership: VisitorOwnership,
    private readonly relay: TabRelay,
  ) {}

  async attach(
    site: Site,
    visitorId: string,
    session: VisitorSession,
    hello: HelloFrame,
    client: ClientInfo,
    userValid: boolean,
  ): Promise<TabLink> {
    const owner = this.hub.get(site.id, visitorId) ? this.nodeId : await this.ownership.acquire(site.id, visitorId)
    if (owner !== this.nodeId) return this.relay.attach(owner, site.id, visitorId, session, hello, client, userValid)
    const { visitor, tabId } = await this.host.attach(site, visitorId, session, hello, client, userValid)
    return new LocalTabLink(this.host, site, session, visitor, tabId)
  }
}

/** A tab whose visitor this node owns: one small object per socket (closures would cost it ~0.7 KB). */
class LocalTabLink implements TabLink, HostedTab {
  constructor(
    private readonly host: VisitorHost,
    private readonly site: Site,
    private readonly session: VisitorSession,
    readonly visitor: LiveVisitor,
    readonly tabId: number,
  ) {}

  frame(frame: VisitorFrame): void {
    this.host.frame(this.site, this, frame, this.session)
  }

  detach(): void {
    this.host.detach(this)
  }
}
