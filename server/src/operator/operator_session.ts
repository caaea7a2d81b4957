import {
  CLOSE_CODE,
  ERROR_CODE,
  type OperatorFrame,
  type ServerToOperatorFrame,
  type VisitorSummary,
} from '../../../shared/src/protocol.js'
import type { FrameCodec } from '../../../shared/src/frame_codec.js'
import { FrameError, type FrameParser } from '../../../shared/src/frame_parser.js'
import type { Limits } from '../config.js'
import type { Logger } from '../logger.js'
import type { Metrics } from '../metrics.js'
import type { Site } from '../site/site.js'
import { SocketSession } from '../socket_session.js'
import { OperatorTokenError, departmentsAllow, verifyOperatorToken, type OperatorIdentity } from './operator_token.js'

/** What an authenticated operator socket asks of the node. */
export interface OperatorActions {
  /** Resolves once the operator is registered (presence, chat replay). */
  authenticated(session: OperatorSession): Promise<void>
  /** Sends the snapshot (complete cluster-wide); rejects with FrameError on a bad view. */
  watch(session: OperatorSession, view: unknown): Promise<void>
  frame(session: OperatorSession, frame: Exclude<OperatorFrame, { t: 'auth' | 'watch' }>): Promise<void>
  closed(session: OperatorSession): void
}

const AUTH_TIMEOUT = { code: CLOSE_CODE.unauthorized, reason: 'no auth in time' }

type State = { name: 'awaiting_auth' } | { name: 'authenticating' } | { name: 'ready'; operator: OperatorIdentity }

/**
 * One operator console socket. The first frame must be `auth` with a JWT of the site; then
 * `watch` subscribes to the live visitor list and the rest act on visitors and chats.
 * Guarantee: an operator only ever receives visitors and chats it may see (canSee()).
 */
export class OperatorSession extends SocketSession {
  private state: State
  protected get firstFrameTimeout() {
    return AUTH_TIMEOUT
  }
  /** Sent `watch` (the list may still be on its way). */
  watching = false
  private expiry: NodeJS.Timeout | undefined

  constructor(
    ip: string,
    codec: FrameCodec,
    limits: Limits,
    metrics: Metrics,
    private readonly parser: FrameParser,
    private readonly site: (id: string) => Site | undefined,
    private readonly actions: OperatorActions,
    private readonly log: Logger,
  ) {
    super('operator', ip, codec, limits, metrics)
    this.state = { name: 'awaiting_auth' }
  }

  /** The authenticated operator; throws before auth completed. */
  get operator(): OperatorIdentity {
    if (this.state.name !== 'ready') throw new Error('operator not authenticated')
    return this.state.operator
  }

  get ready(): boolean {
    return this.state.name === 'ready'
  }

  override send(frame: ServerToOperatorFrame): void {
    super.send(frame)
  }

  /** Site and department rule: a visitor with no department is site-wide. */
  canSee(visitor: Pick<VisitorSummary, 'site' | 'departments'>): boolean {
    if (this.state.name !== 'ready') return false
    const op = this.state.operator
    return visitor.site === op.site && departmentsAllow(op, visitor)
  }

  protected onFrame(input: unknown): void {
    const state = this.state
    if (state.name === 'authenticating') throw new FrameError(ERROR_CODE.badFrame, 'wait for ready before sending more')
    if (state.name === 'awaiting_auth') {
      const auth = this.firstFrame(this.parser.parseOperatorFrame, input, 'auth')
      if (!auth) return
      this.state = { name: 'authenticating' }
      void this.authenticate(auth.token)
      return
    }
    const frame = this.parser.parseOperatorFrame(input)
    this.metrics.frame('in', 'operator', frame.t)
    switch (frame.t) {
      case 'auth':
        throw new FrameError(ERROR_CODE.badFrame, 'already authenticated', 'auth')
      case 'watch':
        if (frame.site !== state.operator.site)
          throw new FrameError(ERROR_CODE.forbidden, `not an operator of site ${frame.site}`, 'watch')
        this.watching = true
        this.actions.watch(this, frame.view).catch((error: unknown) => this.failed(error, frame.t))
        return
      default:
        this.actions.frame(this, frame).catch((error: unknown) => this.failed(error, frame.t))
    }
  }

  private failed(error: unknown, frame: OperatorFrame['t']): void {
    if (error instanceof FrameError) return this.error(error.code, error.message, error.ref)
    this.log.error({ err: error, frame }, 'operator action failed')
    this.error(ERROR_CODE.internal, 'internal error', frame)
  }

  private async authenticate(token: string): Promise<void> {
    this.metrics.frame('in', 'operator', 'auth')
    let operator: OperatorIdentity
    try {
      operator = await verifyOperatorToken(token, this.site)
    } catch (error) {
      if (error instanceof OperatorTokenError) return this.close(CLOSE_CODE.unauthorized, error.message)
      throw error
    }
    if (this.closed) return
    this.state = { name: 'ready', operator }
    if (operator.exp !== undefined) this.expireAt(operator.exp * 1000)
    this.send({ t: 'ready', operator: operator.id, site: operator.site, departments: operator.departments })
    await this.actions.authenticated(this)
  }

  /** Closes the socket with 4001 when the token expires (re-armed: a timer holds ~24.8 days at most). */
  private expireAt(at: number): void {
    const left = at - Date.now()
    if (left <= 0) return this.close(CLOSE_CODE.unauthorized, 'token expired')
    this.expiry = setTimeout(() => this.expireAt(at), Math.min(left, 2 ** 31 - 1))
  }

  protected onClose(): void {
    clearTimeout(this.expiry)
    if (this.state.name === 'ready') this.actions.closed(this)
  }
}
