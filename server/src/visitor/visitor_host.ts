import { ERROR_CODE, type HelloFrame, type TeamState, type VisitorFrame } from '../../../shared/src/protocol.js'
import { FrameError } from '../../../shared/src/frame_parser.js'
import type { Limits } from '../config.js'
import type { Site } from '../site/site.js'
import type { ClientInfo } from './client_info.js'
import type { LiveVisitor, TabSink } from './live_visitor.js'
import type { VisitorHub } from './visitor_hub.js'
import { signVisitorToken, verifyUserHash } from './visitor_token.js'

/** What the owner node does with invitation and chat frames, and with a freshly attached tab. */
export interface VisitorFrameHandler {
  attached(visitor: LiveVisitor, sink: TabSink): void
  /** `contact` and `offline` have already updated the visitor's name/email when this runs. */
  handle(
    visitor: LiveVisitor,
    frame: Extract<VisitorFrame, { t: 'inv' | 'msg' | 'offline' | 'contact' | 'rate' | 'typing' }>,
    sink: TabSink,
  ): void
  /** Whether the site's team can take a chat now (welcome `team`). */
  team(site: string): TeamState
}

/** A tab attached on the node that owns its visitor. */
export interface HostedTab {
  visitor: LiveVisitor
  tabId: number
}

/**
 * The owner side of visitor tabs: whether a tab's socket is on this node or on another one
 * (relayed over the bus), its hello and frames end up here, on the one node that holds the
 * visitor's live state. Sends `welcome` itself, so local and relayed tabs see the same frames.
 */
export class VisitorHost {
  constructor(
    private readonly hub: VisitorHub,
    private readonly limits: Limits,
    private readonly handler: VisitorFrameHandler,
  ) {}

  async attach(
    site: Site,
    visitorId: string,
    sink: TabSink,
    hello: HelloFrame,
    client: ClientInfo,
    userValid: boolean,
  ): Promise<HostedTab> {
    const { visitor, tabId, resumed } = await this.hub.attach(site, visitorId, sink, hello, client, userValid)
    sink.send({
      t: 'welcome',
      visitor: visitor.id,
      token: signVisitorToken(site.secret, site.id, visitor.id),
      visit: visitor.visit.n,
      resumed,
      limits: { eventsPerSecond: this.limits.eventsPerSecond, eventsBurst: this.limits.eventsBurst },
      team: this.handler.team(site.id),
    })
    this.handler.attached(visitor, sink)
    this.hub.emit(visitor)
    return { visitor, tabId }
  }

  /** Applies one frame after hello; throws FrameError for a bad request. */
  frame(site: Site, tab: HostedTab, frame: VisitorFrame, sink: TabSink): void {
    const { visitor, tabId } = tab
    switch (frame.t) {
      case 'hello':
        throw new FrameError(ERROR_CODE.badFrame, 'hello was already received', 'hello')
      case 'identify': {
        const valid = verifyUserHash(site.secret, frame.user.id, frame.user.hash)
        this.hub.apply(visitor, tabId, frame, valid)
        if (!valid) throw new FrameError(ERROR_CODE.userHashInvalid, 'user.hash does not match user.id', 'identify')
        return
      }
      case 'context':
        if (!this.hub.apply(visitor, tabId, frame)) {
          throw new FrameError(
            ERROR_CODE.badFrame,
            `context over ${this.limits.maxContextKeys} keys or ${this.limits.maxContextBytes} bytes`,
            'context',
          )
        }
        return
      case 'inv':
      case 'msg':
      case 'typing':
        this.handler.handle(visitor, frame, sink)
        return
      case 'contact':
      case 'rate':
        this.hub.apply(visitor, tabId, frame)
        this.handler.handle(visitor, frame, sink)
        return
      case 'offline': {
        const contact = { t: 'contact' as const, email: frame.email }
        this.hub.apply(visitor, tabId, frame.name === undefined ? contact : { ...contact, name: frame.name })
        this.handler.handle(visitor, frame, sink)
        return
      }
      default:
        this.hub.apply(visitor, tabId, frame)
    }
  }

  detach(tab: HostedTab): void {
    this.hub.detach(tab.visitor, tab.tabId)
  }
}
