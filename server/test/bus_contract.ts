import type { Test } from 'tap'
import { BusSubjectError, type Bus, type BusHandler } from '../src/bus/bus.js'

export interface BusFixture {
  bus: Bus
  /** Another bus on the same subjects, as another node holds one (cluster implementations). */
  peer?: Bus
  /** What the buses logged (their `log` option). */
  logged: string[]
  cleanup(): Promise<void>
}

/**
 * Collects what a subscription receives; `count(n)` resolves once n messages arrived.
 * Delivery is asynchronous and at-most-once, so tests await arrivals and prove that
 * something was not delivered by awaiting a later message on the same subscription.
 */
export class Inbox {
  readonly received: Array<{ subject: string; msg: unknown }> = []
  private readonly waiters: Array<{ n: number; resolve: () => void }> = []

  readonly handler: BusHandler = (msg, subject) => {
    this.received.push({ subject, msg })
    for (const w of this.waiters.filter((w) => w.n <= this.received.length)) {
      this.waiters.splice(this.waiters.indexOf(w), 1)
      w.resolve()
    }
  }

  get messages(): unknown[] {
    return this.received.map((r) => r.msg)
  }

  count(n: number): Promise<void> {
    if (this.received.length >= n) return Promise.resolve()
    return new Promise((resolve) => this.waiters.push({ n, resolve }))
  }
}

const END = 'end'
const range = (n: number) => Array.from({ length: n }, (_, i) => i)
const sorted = (values: unknown[]) => (values as number[]).slice().sort((a, b) => a - b)

/** A handler feeding several inboxes. */
function feed(...inboxes: Inbox[]): BusHandler {
  return (msg, subject) => {
    for (const inbox of inboxes) inbox.handler(msg, subject)
  }
}

/** The guarantees of server/src/bus/bus.ts, run against one implementation; a fresh fixture per subtest. */
export function busContract(t: Test, name: string, factory: () => Promise<BusFixture>): void {
  const check = (title: string, fn: (t: Test, f: BusFixture) => Promise<void>) =>
    t.test(`${name}: ${title}`, async (t) => {
      const fixture = await factory()
      t.teardown(() => fixture.cleanup())
      await fn(t, fixture)
    })

  check('delivers to an exact subject, with the message and its subject', async (t, { bus }) => {
    const inbox = new Inbox()
    bus.subscribe('site.1.visitor', inbox.handler)
    bus.publish('site.1.visitor', { hello: 'world' })
    await inbox.count(1)
    t.strictSame(inbox.received, [{ subject: 'site.1.visitor', msg: { hello: 'world' } }])
  })

  check('`*` matches exactly one token', async (t, { bus }) => {
    const inbox = new Inbox()
    bus.subscribe('a.*.c', inbox.handler)
    for (const subject of ['a.b.c', 'a.c', 'a.b.b.c', 'a.b.c.d', 'x.b.c', 'a.x.c']) bus.publish(subject, subject)
    bus.publish('a.end.c', END)
    await inbox.count(3)
    t.strictSame(inbox.messages, ['a.b.c', 'a.x.c', END])
  })

  check('`>` matches one or more trailing tokens', async (t, { bus }) => {
    const inbox = new Inbox()
    const all = new Inbox()
    bus.subscribe('a.>', inbox.handler)
    bus.subscribe('>', all.handler)
    for (const subject of ['a', 'a.b', 'a.b.c.d', 'b.a', 'ab.c']) bus.publish(subject, subject)
    bus.publish('a.end', END)
    await inbox.count(3)
    t.strictSame(inbox.messages, ['a.b', 'a.b.c.d', END])
    await all.count(6)
    t.strictSame(all.messages, ['a', 'a.b', 'a.b.c.d', 'b.a', 'ab.c', END])
  })

  check('each subscription gets its own copy, isolated from the publisher and other handlers', async (t, { bus }) => {
    const original = { text: 'hi ✓', n: [0, -1, 2.5, 2 ** 40], nested: { ok: true, none: null, list: [{ a: 1 }] } }
    const msg = structuredClone(original)
    const arrived = new Inbox()
    for (const subject of ['iso.x', 'iso.x', 'iso.*']) {
      bus.subscribe(subject, (m, s) => {
        t.strictSame(m, original, `pristine on arrival at ${subject}`)
        ;(m as typeof original).nested.list.push({ a: 2 })
        arrived.handler(m, s)
      })
    }
    bus.publish('iso.x', msg)
    msg.nested.ok = false
    msg.n.push(3)
    await arrived.count(3)
  })

  check('unsubscribe stops delivery, even of messages already published', async (t, { bus }) => {
    const gone = new Inbox()
    const stays = new Inbox()
    const sub = bus.subscribe('u.x', gone.handler)
    bus.subscribe('u.x', stays.handler)
    bus.publish('u.x', 1)
    await Promise.all([gone.count(1), stays.count(1)])
    bus.publish('u.x', 2)
    sub.unsubscribe()
    sub.unsubscribe()
    bus.publish('u.x', 3)
    await stays.count(3)
    t.strictSame(gone.messages, [1])
    t.strictSame(stays.messages, [1, 2, 3])
  })

  check('a queue group gets each message once, spread over its members', async (t, { bus }) => {
    const members = [new Inbox(), new Inbox(), new Inbox()]
    const group = new Inbox()
    const plain = new Inbox()
    for (const member of members) bus.subscribe('jobs.*', feed(member, group), { queue: 'workers' })
    bus.subscribe('jobs.*', plain.handler)
    for (const i of range(60)) bus.publish('jobs.run', i)
    await plain.count(60)
    t.strictSame(plain.messages, range(60), 'plain subscribers get every message')
    await group.count(60)
    t.strictSame(sorted(group.messages), range(60), 'each message went to exactly one member')
    t.ok(
      members.every((m) => m.received.length > 0),
      'every member got work',
    )
  })

  check('separate queue groups each get every message', async (t, { bus }) => {
    const groups = [new Inbox(), new Inbox()]
    for (const [i, group] of groups.entries()) {
      for (const _ of range(2)) bus.subscribe('q.x', group.handler, { queue: `g${i}` })
    }
    for (const i of range(20)) bus.publish('q.x', i)
    for (const group of groups) {
      await group.count(20)
      t.strictSame(sorted(group.messages), range(20))
    }
  })

  check('1000 messages arrive in publish order', async (t, { bus }) => {
    const inbox = new Inbox()
    bus.subscribe('order.x', inbox.handler)
    for (const i of range(1000)) bus.publish('order.x', i)
    await bus.flush()
    await inbox.count(1000)
    t.strictSame(inbox.messages, range(1000))
  })

  check('handlers never run inside publish', async (t, { bus }) => {
    const inbox = new Inbox()
    let publishing = false
    const duringPublish: boolean[] = []
    bus.subscribe('async.x', (msg, subject) => {
      duringPublish.push(publishing)
      inbox.handler(msg, subject)
    })
    publishing = true
    bus.publish('async.x', 1)
    publishing = false
    t.equal(inbox.received.length, 0, 'not delivered before publish returns')
    await inbox.count(1)
    t.strictSame(duringPublish, [false])
  })

  check('a throwing handler is logged and keeps its subscription', async (t, { bus, logged }) => {
    const inbox = new Inbox()
    const other = new Inbox()
    bus.subscribe('boom.x', (msg, subject) => {
      inbox.handler(msg, subject)
      if (msg === 1) throw new Error('handler exploded')
    })
    bus.subscribe('boom.x', other.handler)
    for (const i of range(3)) bus.publish('boom.x', i)
    await Promise.all([inbox.count(3), other.count(3)])
    t.strictSame(inbox.messages, [0, 1, 2])
    t.strictSame(other.messages, [0, 1, 2])
    t.ok(
      logged.some((line) => line.includes('handler exploded')),
      'the error was logged',
    )
  })

  check('malformed subjects and queue names throw BusSubjectError', async (t, { bus }) => {
    for (const subject of [
      '',
      'a..b',
      '.a',
      'a.',
      'a b',
      'a\tb',
      'a.*',
      'a.>',
      '*',
      '>',
      'a*',
      'a.b>',
      'x'.repeat(1025),
    ]) {
      t.throws(() => bus.publish(subject, 1), BusSubjectError, `publish ${JSON.stringify(subject.slice(0, 10))}`)
    }
    for (const subject of ['', 'a..b', '.a', 'a.', 'a b', 'a.>.b', '>.a', 'a*', 'a.b>', '**']) {
      t.throws(() => bus.subscribe(subject, () => {}), BusSubjectError, `subscribe ${JSON.stringify(subject)}`)
    }
    for (const queue of ['', 'a b', 'a.b', '*', '>']) {
      t.throws(() => bus.subscribe('a', () => {}, { queue }), BusSubjectError, `queue ${JSON.stringify(queue)}`)
    }
    for (const subject of ['*', '>', 'a.*.>', '$beckon.x-y_z:1']) {
      t.doesNotThrow(() => bus.subscribe(subject, () => {}).unsubscribe(), `subscribe ${subject}`)
    }
  })

  check('close() delivers what was published before it, then refuses use', async (t, { bus }) => {
    const inbox = new Inbox()
    bus.subscribe('close.x', inbox.handler)
    for (const i of range(3)) bus.publish('close.x', i)
    await bus.close()
    t.strictSame(inbox.messages, [0, 1, 2])
    t.throws(() => bus.publish('close.x', 3))
  })

  check('messages cross to a peer bus, in order, both ways', async (t, { bus, peer }) => {
    if (peer === undefined) {
      t.pass('single-process implementation')
      return
    }
    const there = new Inbox()
    const back = new Inbox()
    peer.subscribe('cross.>', there.handler)
    bus.subscribe('cross.>', back.handler)
    await peer.flush()
    await bus.flush()
    for (const i of range(200)) bus.publish('cross.there', i)
    peer.publish('cross.back', 'hello')
    await there.count(201)
    t.strictSame(
      there.received.filter((r) => r.subject === 'cross.there').map((r) => r.msg),
      range(200),
    )
    await back.count(201)
    t.ok(back.received.some((r) => r.subject === 'cross.back' && r.msg === 'hello'))
  })
}
