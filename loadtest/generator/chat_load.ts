import { LatencyRecorder, type LatencySummary } from './latency.js'
import { LoadSocket, type Frame } from './load_socket.js'
import { assertLoopback, sleep, type Scenario } from './scenario.js'
import { tally, type ConnectReport } from './connect_all.js'

export interface ChatLoadOptions {
  /** Node the operator connects to, `ws://127.0.0.1:PORT`. */
  operatorUrl: string
  /** Node the visitor connects to (another node of the cluster for cross-node latency). */
  visitorUrl: string
  site: string
  token: string
  /** Messages each way. */
  messages: number
  /** Pause between messages: each socket sends one message per two round trips and pauses, which must stay under the node's per-socket rate limit. */
  intervalMs: number
}

export interface ChatRunReport {
  /** Operator `invite` (startChat) sent → visitor's `invite` received. */
  invite: number
  /** Operator `msg` sent → visitor's `msg` received. */
  operatorToVisitor: LatencySummary | undefined
  /** Visitor `msg` sent → operator's `msg` received. */
  visitorToOperator: LatencySummary | undefined
  lost: number
  /** `error` frames either socket got, by code (rate_limited: messages sent faster than BECKON_EVENTS_PER_SECOND). */
  errors: Record<string, number>
  seconds: number
}

const WAIT_MS = 15_000

/** Fails with what was awaited: a chat run is one conversation, so a lost step ends it. */
async function expect(socket: LoadSocket, what: string, match: (f: Frame) => boolean): Promise<Frame> {
  const frame = await socket.next(match, WAIT_MS)
  if (!frame) throw new Error(`chat load: no ${what} within ${WAIT_MS} ms`)
  return frame
}

/**
 * One operator chatting with one visitor, possibly on different nodes: the operator invites
 * the visitor into a chat, then messages alternate both ways, one at a time, each timed from
 * send to receipt (both sockets live in this process, so one clock measures both ends).
 */
export class ChatLoad implements Scenario<ChatRunReport> {
  private operator: LoadSocket | undefined
  private visitor: LoadSocket | undefined
  private visitorId = ''

  constructor(readonly opts: ChatLoadOptions) {
    assertLoopback(opts.operatorUrl)
    assertLoopback(opts.visitorUrl)
  }

  async connect(): Promise<ConnectReport> {
    const began = performance.now()
    const visitor = await LoadSocket.open(
      `${this.opts.visitorUrl}/v1/visitor?site=${encodeURIComponent(this.opts.site)}`,
    )
    this.visitor = visitor
    const welcome = visitor.next((f) => f.t === 'welcome', WAIT_MS)
    visitor.send({ t: 'hello', page: { url: `https://${this.opts.site}.example/pricing`, title: 'Pricing' } })
    this.visitorId = String((await welcome)?.visitor ?? '')
    if (!this.visitorId) throw new Error('chat load: no welcome')
    const operator = await LoadSocket.open(`${this.opts.operatorUrl}/v1/operator`)
    this.operator = operator
    operator.send({ t: 'auth', token: this.opts.token })
    await expect(operator, 'ready', (f) => f.t === 'ready')
    // The operator may invite once its node lists the visitor (the feed crosses the cluster).
    const listed = expect(
      operator,
      'the visitor in the list',
      (f) =>
        (f.t === 'visitors' && Array.isArray(f.list) && f.list.some((v: { id?: string }) => v.id === this.visitorId)) ||
        (f.t === 'visitor' && f.id === this.visitorId),
    )
    operator.send({ t: 'watch', site: this.opts.site })
    await listed
    return {
      attempted: 2,
      connected: 2,
      failures: {},
      handshake: undefined,
      seconds: (performance.now() - began) / 1000,
    }
  }

  async run(): Promise<ChatRunReport> {
    const began = performance.now()
    const operator = this.operator
    const visitor = this.visitor
    if (!operator || !visitor) throw new Error('chat load: connect() first')
    const invited = expect(visitor, 'invite', (f) => f.t === 'invite')
    const chat = expect(visitor, 'chat', (f) => f.t === 'chat')
    const sent = performance.now()
    operator.send({
      t: 'invite',
      visitor: this.visitorId,
      text: 'Hello from the load test',
      startChat: true,
      assignToMe: true,
      skipBot: true,
    })
    await invited
    const invite = performance.now() - sent
    const conversation = String((await chat).conversation)
    const errors: Record<string, number> = {}
    for (const socket of [operator, visitor]) socket.onFrame = (f) => f.t === 'error' && tally(errors, String(f.code))
    const toVisitor = new LatencyRecorder()
    const toOperator = new LatencyRecorder()
    let lost = 0
    const roundTrip = async (
      from: LoadSocket,
      to: LoadSocket,
      frame: object,
      text: string,
      into: LatencyRecorder,
    ): Promise<void> => {
      const arrived = to.next((f) => f.t === 'msg' && f.text === text, WAIT_MS)
      const start = performance.now()
      from.send(frame)
      if (await arrived) into.record(performance.now() - start)
      else lost++
    }
    for (let i = 0; i < this.opts.messages; i++) {
      const o = `operator ${i}`
      await roundTrip(operator, visitor, { t: 'msg', conversation, text: o }, o, toVisitor)
      await sleep(this.opts.intervalMs)
      const v = `visitor ${i}`
      await roundTrip(visitor, operator, { t: 'msg', text: v }, v, toOperator)
      await sleep(this.opts.intervalMs)
    }
    operator.send({ t: 'close', conversation })
    return {
      invite,
      operatorToVisitor: toVisitor.summary(),
      visitorToOperator: toOperator.summary(),
      lost,
      errors,
      seconds: (performance.now() - began) / 1000,
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.operator?.close(), this.visitor?.close()])
  }
}
