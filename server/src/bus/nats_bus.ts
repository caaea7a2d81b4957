import { connect, type NatsConnection } from '@nats-io/transport-node'
import { decodeValue, encodeValue } from '../store/value_codec.js'
import { checkQueue, checkSubject, type Bus, type BusHandler, type Subscription } from './bus.js'

export interface NatsBusOptions {
  servers: string | string[]
  /** Connection name shown by the server (monitoring, logs). */
  name?: string
  /** Receives connection changes and handler failures; default stderr. */
  log?: (msg: string) => void
}

/** Short, so a node is back soon after a nats-server restart; NATS adds jitter. */
const RECONNECT_WAIT_MS = 250

/**
 * Bus over NATS core pub/sub, messages as msgpack (value_codec). Reconnects forever: while
 * disconnected, publishes are buffered by the client and subscriptions are restored on
 * reconnect; messages sent meanwhile by others are lost (at-most-once). A handler that
 * throws, or a message that does not decode, is logged and the subscription carries on.
 * `nc` is exposed so NatsStore can share the connection.
 */
export class NatsBus implements Bus {
  private closing: Promise<void> | undefined

  private constructor(
    readonly nc: NatsConnection,
    private readonly log: (msg: string) => void,
  ) {
    void this.watchStatus()
  }

  static async connect(opts: NatsBusOptions): Promise<NatsBus> {
    const nc = await connect({
      servers: opts.servers,
      name: opts.name,
      maxReconnectAttempts: -1,
      reconnectTimeWait: RECONNECT_WAIT_MS,
    })
    return new NatsBus(nc, opts.log ?? ((msg) => console.error(msg)))
  }

  publish(subject: string, msg: unknown): void {
    this.nc.publish(checkSubject(subject, false), encodeValue(msg))
  }

  subscribe(subject: string, handler: BusHandler, opts: { queue?: string } = {}): Subscription {
    const sub = this.nc.subscribe(checkSubject(subject, true), {
      queue: opts.queue === undefined ? undefined : checkQueue(opts.queue),
      callback: (error, m) => {
        if (error) return this.log(`bus subscription ${subject} failed: ${error.message}`)
        let value: unknown
        try {
          value = decodeValue(m.data)
        } catch (decodeError) {
          return this.log(`bus message on ${m.subject} does not decode: ${String(decodeError)}`)
        }
        try {
          handler(value, m.subject)
        } catch (handlerError) {
          this.log(
            `bus handler for ${m.subject} threw: ${handlerError instanceof Error ? handlerError.stack : String(handlerError)}`,
          )
        }
      },
    })
    return {
      unsubscribe: () => {
        if (!sub.isClosed()) sub.unsubscribe()
      },
    }
  }

  flush(): Promise<void> {
    return this.nc.flush()
  }

  /** Drains (idempotent): stops subscriptions, handles what already arrived, sends what is buffered, closes. */
  close(): Promise<void> {
    this.closing ??= this.nc.isClosed() ? Promise.resolve() : this.nc.drain()
    return this.closing
  }

  private async watchStatus(): Promise<void> {
    for await (const s of this.nc.status()) {
      if (s.type === 'disconnect') this.log(`nats disconnected from ${s.server}`)
      else if (s.type === 'reconnect') this.log(`nats reconnected to ${s.server}`)
      else if (s.type === 'error') this.log(`nats error: ${s.error.message}`)
      else if (s.type === 'slowConsumer') this.log(`nats slow consumer on ${s.sub.getSubject()}: ${s.pending} pending`)
    }
  }
}
