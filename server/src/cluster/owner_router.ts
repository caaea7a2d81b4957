import type { HelloFrame } from '../../../shared/src/protocol.js'
import type { Site } from '../site/site.js'
import type { ClientInfo } from '../visitor/client_info.js'
import type { VisitorHost } from '../visitor/visitor_host.js'
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
    const tab = await this.host.attach(site, visitorId, session, hello, client, userValid)
    return {
      frame: (frame) => this.host.frame(site, tab, frame, session),
      detach: () => this.host.detach(tab),
    }
  }
}
