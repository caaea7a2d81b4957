import { decodeValue, encodeValue } from '../store/value_codec.js'
import { checkQueue, checkSubject, type Bus, type BusHandler, type Subscription } from './bus.js'

export interface MemoryBusOptions {
  /** Receives handler failures; default stderr. */
  log?: (msg: string) => void
}

interface Sub {
  readonly tokens: string[]
  readonly handler: BusHandler
  readonly queue: string | undefined
  active: boolean
}

interface Delivery {
  sub: Sub
  subject: string
  bytes: Uint8Array
}

/** One level of the subscription trie: children by literal token, `*` or `>`. */
class Level {
  readonly children = new Map<string, Level>()
  readonly subs = new Set<Sub>()
}

/**
 * Bus within one process, with NATS subject semantics: `*` matches one token, `>` one or
 * more trailing tokens, and a message goes to every plain subscription it matches plus one
 * member, picked at random as NATS does, of each queue group among them.
 *
 * publish() encodes the message with the store's msgpack codec and each delivery decodes
 * its own copy. That isolates handlers from later mutation by the publisher and from each
 * other, gives handlers exactly what NatsBus would give them (plain maps and arrays, no
 * class instances), and is cheaper than structuredClone per subscriber (about 0.5 µs to
 * encode plus 0.7 µs per decode for a typical event, against 1.8 µs per structuredClone).
 *
 * Deliveries wait in one FIFO queue, drained on a later event-loop turn (setImmediate), so
 * a handler never runs inside publish(), per-subscription order is publish order, and
 * handlers that publish cannot starve I/O. A handler that throws is logged and skipped.
 */
export class MemoryBus implements Bus {
  private readonly root = new Level()
  private queue: Delivery[] = []
  private draining = false
  private published = 0
  private delivered = 0
  private readonly flushWaiters: Array<{ upTo: number; resolve: () => void }> = []
  private closed = false
  private readonly log: (msg: string) => void

  constructor(opts: MemoryBusOptions = {}) {
    this.log = opts.log ?? ((msg) => console.error(msg))
  }

  publish(subject: string, msg: unknown): void {
    this.assertOpen()
    const tokens = checkSubject(subject, false).split('.')
    const bytes = encodeValue(msg)
    const targets: Sub[] = []
    const groups = new Map<string, Sub[]>()
    match(this.root, tokens, 0, (sub) => {
      if (sub.queue === undefined) {
        targets.push(sub)
      } else {
        const members = groups.get(sub.queue) ?? []
        if (members.length === 0) groups.set(sub.queue, members)
        members.push(sub)
      }
    })
    for (const members of groups.values()) {
      targets.push(members[Math.floor(Math.random() * members.length)] as Sub)
    }
    for (const sub of targets) this.queue.push({ sub, subject, bytes })
    this.published += targets.length
    this.scheduleDrain()
  }

  subscribe(subject: string, handler: BusHandler, opts: { queue?: string } = {}): Subscription {
    this.assertOpen()
    const sub: Sub = {
      tokens: checkSubject(subject, true).split('.'),
      handler,
      queue: opts.queue === undefined ? undefined : checkQueue(opts.queue),
      active: true,
    }
    let level = this.root
    for (const token of sub.tokens) {
      let child = level.children.get(token)
      if (child === undefined) level.children.set(token, (child = new Level()))
      level = child
    }
    level.subs.add(sub)
    return {
      unsubscribe: () => {
        if (!sub.active) return
        sub.active = false
        remove(this.root, sub, 0)
      },
    }
  }

  /** Stronger than the role asks: resolves once every message published so far was handled. */
  flush(): Promise<void> {
    if (this.delivered === this.published) return Promise.resolve()
    return new Promise((resolve) => this.flushWaiters.push({ upTo: this.published, resolve }))
  }

  /** Delivers what was published, then refuses further use. */
  async close(): Promise<void> {
    if (this.closed) return
    await this.flush()
    this.closed = true
    this.root.children.clear()
    this.root.subs.clear()
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('MemoryBus is closed')
  }

  private scheduleDrain(): void {
    if (this.draining || this.queue.length === 0) return
    this.draining = true
    setImmediate(() => this.drain())
  }

  private drain(): void {
    const batch = this.queue
    this.queue = []
    for (const { sub, subject, bytes } of batch) {
      this.delivered++
      if (!sub.active || this.closed) continue
      try {
        sub.handler(decodeValue(bytes), subject)
      } catch (error) {
        this.log(`bus handler for ${subject} threw: ${error instanceof Error ? error.stack : String(error)}`)
      }
    }
    while (this.flushWaiters[0] !== undefined && this.flushWaiters[0].upTo <= this.delivered) {
      this.flushWaiters.shift()?.resolve()
    }
    this.draining = false
    this.scheduleDrain()
  }
}

function match(level: Level, tokens: string[], i: number, found: (sub: Sub) => void): void {
  const token = tokens[i]
  if (token === undefined) {
    level.subs.forEach(found)
    return
  }
  level.children.get('>')?.subs.forEach(found)
  const literal = level.children.get(token)
  if (literal !== undefined) match(literal, tokens, i + 1, found)
  const any = level.children.get('*')
  if (any !== undefined) match(any, tokens, i + 1, found)
}

/** Removes `sub` below `level` and prunes levels left empty; true if `level` is now empty. */
function remove(level: Level, sub: Sub, i: number): boolean {
  const token = sub.tokens[i]
  if (token === undefined) {
    level.subs.delete(sub)
  } else {
    const child = level.children.get(token)
    if (child !== undefined && remove(child, sub, i + 1)) level.children.delete(token)
  }
  return level.subs.size === 0 && level.children.size === 0
}
