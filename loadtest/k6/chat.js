// Operator <-> visitor chat: visitors reply to the load campaign's invitation and keep writing,
// operators answer every message. One-way latencies both ways, from the sender's clock to the
// receiver's (one k6 process holds both ends, so one clock): each message carries its send time.
// Operators start first (so a chat has someone to go to); each operator socket answers the
// conversations that hash to it and closes a conversation after its last message.
//
//   k6 run -e BASE_URL=http://127.0.0.1:8080 -e SITE=load -e OPERATOR_TOKEN=... -e VUS=50 -e DURATION=1m loadtest/k6/chat.js
//
// Env besides the common ones: OPERATORS (operator sockets, VUS/10 rounded up:
// each answers about 10 frames a second, under the node's per-socket rate limit), MESSAGES (per
// visitor, 3), THINK_MS (visitor's pause before writing again, 1000), REPLY_WAIT_MS (5000).
import { check, sleep } from 'k6'
import exec from 'k6/execution'
import { Counter, Rate, Trend } from 'k6/metrics'
import {
  DURATION,
  ERROR_THRESHOLDS,
  INVITE_AFTER_SECONDS,
  OPERATOR_TOKEN,
  VUS,
  between,
  connect,
  ms,
  number,
  page,
  operatorUrl,
  visitorUrl,
} from './lib.js'

const OPERATORS = number('OPERATORS', Math.max(1, Math.ceil(VUS / 10)))
const MESSAGES = number('MESSAGES', 3)
const THINK_MS = number('THINK_MS', 1000)
const REPLY_WAIT_MS = number('REPLY_WAIT_MS', 5000)
/** Operators stay this long past DURATION, for the visitors still in a chat (their graceful stop). */
const OPERATOR_GRACE_S = 15

const toOperator = new Trend('chat_visitor_to_operator', true)
const toVisitor = new Trend('chat_operator_to_visitor', true)
const answered = new Rate('chat_answered')
const invited = new Rate('chat_invite_received')
const conversations = new Counter('chat_conversations')
const closed = new Counter('chat_closed')

export const options = {
  scenarios: {
    operators: {
      executor: 'per-vu-iterations',
      exec: 'operator',
      vus: OPERATORS,
      iterations: 1,
      maxDuration: `${parseSeconds(DURATION) + OPERATOR_GRACE_S + 10}s`,
    },
    visitors: {
      executor: 'constant-vus',
      exec: 'visitor',
      vus: VUS,
      duration: DURATION,
      startTime: '2s',
      gracefulStop: `${OPERATOR_GRACE_S - 5}s`,
    },
  },
  thresholds: {
    chat_visitor_to_operator: [`p(95)<${ms(500)}`],
    chat_operator_to_visitor: [`p(95)<${ms(500)}`],
    chat_answered: ['rate>0.99'],
    chat_invite_received: ['rate>0.99'],
    ws_connecting: [`p(95)<${ms(500)}`],
    checks: ['rate>0.99'],
    ...ERROR_THRESHOLDS,
  },
}

/** `30s`, `2m`, `1h30m` → seconds. */
function parseSeconds(duration) {
  let total = 0
  for (const [, n, unit] of String(duration).matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) {
    total += Number(n) * { ms: 0.001, s: 1, m: 60, h: 3600 }[unit]
  }
  if (total <= 0) throw new Error(`DURATION: cannot read ${duration}`)
  return Math.ceil(total)
}

/** Message texts: `<side>|<sent at, epoch ms>|<index>`. */
const text = (side, i) => `${side}|${Date.now()}|${i}`
function parseText(t) {
  const [side, at, i] = String(t).split('|')
  return { side, at: Number(at), i: Number(i) }
}

function hash(s) {
  let h = 0
  for (let i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) | 0
  return Math.abs(h)
}

export function setup() {
  if (!OPERATOR_TOKEN) throw new Error('OPERATOR_TOKEN is required: run loadtest/setup.ts first')
}

export function operator() {
  const index = exec.scenario.iterationInTest // 0..OPERATORS-1: one iteration per operator VU
  let ready = false
  const res = connect(operatorUrl(), {
    open(send, socket) {
      send({ t: 'auth', token: OPERATOR_TOKEN })
      socket.setTimeout(() => socket.close(), (parseSeconds(DURATION) + OPERATOR_GRACE_S) * 1000)
    },
    frame(frame, send) {
      if (frame.t === 'ready') ready = true
      if (frame.t !== 'msg' || frame.from !== 'visitor') return
      if (hash(String(frame.conversation)) % OPERATORS !== index) return
      const m = parseText(frame.text)
      if (m.side !== 'v') return
      toOperator.add(Date.now() - m.at)
      send({ t: 'msg', conversation: frame.conversation, text: text('o', m.i) })
      if (m.i === MESSAGES - 1) {
        send({ t: 'close', conversation: frame.conversation })
        closed.add(1)
      }
    },
  })
  if (res.status === 101) check(ready, { 'operator auth accepted': (r) => r === true })
}

export function visitor() {
  let sent = -1 // index of the last message written
  let replied = -1 // index of the last message answered
  let chatting = false
  let conversation = false
  const write = (send, socket) => {
    const i = ++sent
    send({ t: 'msg', text: text('v', i) })
    // k6/ws timers cannot be cleared: the timer checks whether its message was answered.
    socket.setTimeout(() => {
      if (replied >= i) return
      answered.add(false)
      socket.close()
    }, REPLY_WAIT_MS)
  }
  const res = connect(visitorUrl(), {
    open(send, socket) {
      send({ t: 'hello', page: page(true, __VU * 7 + exec.vu.iterationInScenario), lang: 'en' })
      // No invitation in time counts as missed and ends the session.
      socket.setTimeout(
        () => {
          if (chatting) return
          invited.add(false)
          socket.close()
        },
        INVITE_AFTER_SECONDS * 1000 + REPLY_WAIT_MS,
      )
    },
    frame(frame, send, socket) {
      if (frame.t === 'invite' && !chatting) {
        chatting = true
        invited.add(true)
        send({ t: 'inv', id: frame.id, action: 'opened' })
        write(send, socket)
      } else if (frame.t === 'chat' && !conversation) {
        conversation = true
        conversations.add(1)
      } else if (frame.t === 'msg' && frame.from === 'operator') {
        const m = parseText(frame.text)
        if (m.side !== 'o' || m.i !== sent) return
        replied = m.i
        toVisitor.add(Date.now() - m.at)
        answered.add(true)
        if (sent === MESSAGES - 1) socket.close()
        else socket.setTimeout(() => write(send, socket), THINK_MS)
      }
    },
  })
  if (res.status === 101) check(chatting, { 'visitor was invited into a chat': (c) => c === true })
  sleep(between(1, 3))
}
