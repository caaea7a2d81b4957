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
import {
  OperatorTokenError,
  departmentsAllow,
  isRevoked,
  verifyOperatorToken,
  type OperatorIdentity,
} from './operator_token.js'

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
    /** BECKON_MAX_OPERATOR_TOKEN_SECONDS. */
    private readonly maxTokenSeconds: number,
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
        this.actions.watch(this, frame.view).catch((error: unknown) => this.refused(error, frame))
        return
      default:
        if (frame.t === 'typing' && !this.typingAllowed()) return
        this.actions.frame(this, frame).catch((error: unknown) => this.refused(error, frame))
    }
  }

  /** A refused request names the frame: its client `ref` when given, so a console can match its message. */
  private refused(error: unknown, frame: OperatorFrame): void {
    const ref = ('ref' in frame ? frame.ref : undefined) ?? (error instanceof FrameError ? error.ref : undefined)
    if (error instanceof FrameError) return this.error(error.code, error.message, ref ?? frame.t)
    this.log.error({ err: error, frame: frame.t }, 'operator action failed')
    this.error(ERROR_CODE.internal, 'internal error', ref ?? frame.t)
  }

  private async authenticate(token: string): Promise<void> {
    this.metrics.frame('in', 'operator', 'auth')
    let operator: OperatorIdentity
    const verified: { with?: Site } = {}
    try {
      operator = await verifyOperatorToken(token, (id) => (verified.with = this.site(id)), this.maxTokenSeconds)
    } catch (error) {
      if (error instanceof OperatorTokenError) return this.close(CLOSE_CODE.unauthorized, error.message)
      throw error
    }
    if (this.closed) return
    this.state = { name: 'ready', operator }
    // A rotation or revocation that landed while the signature was checked must not slip through.
    if (!verified.with || !this.stillAuthorized(verified.with, this.site(operator.site)))
      return this.close(CLOSE_CODE.unauthorized, 'site changed while signing in: sign in again')
    this.expireAt(operator.exp * 1000)
    this.send({ t: 'ready', operator: operator.id, site: operator.site, departments: operator.departments })
    await this.actions.authenticated(this)
  }

  /**
   * Whether this session's token still holds for `site` as it is now: same secret it was
   * verified with (rotation ends every session) and not revoked for its operator.
   */
  stillAuthorized(before: Site, after: Site | undefined): boolean {
    if (this.state.name !== 'ready') return true
    const op = this.state.operator
    if (!after || after.secret !== before.secret) return false
    return !isRevoked(after, op.id, op.iat ?? op.exp - this.maxTokenSeconds)
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
