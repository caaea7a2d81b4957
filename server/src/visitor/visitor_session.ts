import {
  CLOSE_CODE,
  ERROR_CODE,
  type HelloFrame,
  type ServerToVisitorFrame,
  type VisitorFrame,
} from '../../../shared/src/protocol.js'
import type { FrameCodec } from '../../../shared/src/frame_codec.js'
import { FrameError, type FrameParser } from '../../../shared/src/frame_parser.js'
import type { Config } from '../config.js'
import type { Logger } from '../logger.js'
import type { Metrics } from '../metrics.js'
import type { Site } from '../site/site.js'
import { SocketSession } from '../socket_session.js'
import type { ClientInfo } from './client_info.js'
import type { TabSink } from './live_visitor.js'
import { newVisitorId, verifyUserHash, verifyVisitorToken } from './visitor_token.js'

/** A tab's line to the node that owns its visitor (this node, or another over the bus). */
export interface TabLink {
  /** Applies a frame after hello; may throw FrameError (bad request) when the owner is local. */
  frame(frame: VisitorFrame): void
  detach(): void
}

/** Finds or becomes the owner of a visitor and attaches a tab there; the owner sends `welcome`. */
export interface VisitorRouter {
  attach(
    site: Site,
    visitorId: string,
    sink: VisitorSession,
    hello: HelloFrame,
    client: ClientInfo,
    userValid: boolean,
  ): Promise<TabLink>
}

const HELLO_TIMEOUT = { code: CLOSE_CODE.helloTimeout, reason: 'no hello in time' }

/** While the visitor's profile loads: frames from the tab, and frames for it other than `welcome`. */
interface Attaching {
  queue: unknown[]
  outbox: ServerToVisitorFrame[]
}

/**
 * One widget socket (a tab). The first frame must be `hello`; frames that arrive while the
 * visitor's profile loads are queued and applied, in order, right after `welcome`.
 */
export class VisitorSession extends SocketSession implements TabSink {
  /** Set from `hello` until attached (awaiting hello: neither this nor `link`). */
  private attaching: Attaching | undefined
  private link: TabLink | undefined
  protected get firstFrameTimeout() {
    return HELLO_TIMEOUT
  }

  constructor(
    codec: FrameCodec,
    private readonly site: Site,
    readonly client: ClientInfo,
    config: Config,
    metrics: Metrics,
    private readonly parser: FrameParser,
    private readonly router: VisitorRouter,
    private readonly log: Logger,
  ) {
    super('visitor', client.ip, codec, config.limits, metrics)
  }

  /** Frames for the visitor that are ready before `welcome` went out wait behind it. */
  override send(frame: ServerToVisitorFrame): void {
    if (this.attaching && frame.t !== 'welcome' && frame.t !== 'error') this.attaching.outbox.push(frame)
    else super.send(frame)
  }

  protected onFrame(input: unknown): void {
    const link = this.link
    if (!link) {
      if (this.attaching) {
        // Bounded by the rate limiter's burst: a client cannot queue more than that before welcome.
        this.attaching.queue.push(input)
        return
      }
      const hello = this.firstFrame(this.parser.parseVisitorFrame, input, 'hello')
      if (!hello) return
      this.attaching = { queue: [], outbox: [] }
      void this.hello(hello)
      return
    }
    const frame = this.parser.parseVisitorFrame(input)
    this.metrics.frame('in', 'visitor', frame.t)
    if (frame.t === 'hello') throw new FrameError(ERROR_CODE.badFrame, 'hello was already received', 'hello')
    // Throttled here, where the socket is, so excess never crosses the bus to the owner.
    if (frame.t === 'typing' && !this.typingAllowed()) return
    link.frame(frame)
  }

  private async hello(hello: HelloFrame): Promise<void> {
    this.metrics.frame('in', 'visitor', 'hello')
    let visitorId: string | undefined
    if (hello.token !== undefined) {
      visitorId = verifyVisitorToken(this.site.secret, this.site.id, hello.token)
      if (visitorId === undefined)
        this.error(ERROR_CODE.tokenInvalid, 'token not valid for this site: starting a new visitor', 'hello')
    }
    const userValid = hello.user === undefined || verifyUserHash(this.site.secret, hello.user.id, hello.user.hash)
    if (!userValid)
      this.error(ERROR_CODE.userHashInvalid, 'user.hash does not match user.id: not authenticated', 'hello')
    let link: TabLink
    try {
      link = await this.router.attach(this.site, visitorId ?? newVisitorId(), this, hello, this.client, userValid)
    } catch (error) {
      this.log.warn({ err: error, site: this.site.id }, 'attach failed')
      this.error(ERROR_CODE.internal, 'could not attach to the visitor state, reconnect')
      this.close(CLOSE_CODE.serviceRestart, 'try again')
      return
    }
    if (this.closed) {
      link.detach()
      return
    }
    const { queue, outbox } = this.attaching ?? { queue: [], outbox: [] }
    this.attaching = undefined
    this.link = link
    for (const frame of outbox) this.send(frame)
    for (const input of queue) {
      if (this.closed) return
      try {
        this.handle(input)
      } catch (error) {
        if (this.failed()) this.log.error({ err: error, site: this.site.id }, 'queued frame failed')
      }
    }
  }

  protected onClose(): void {
    this.link?.detach()
  }
}
