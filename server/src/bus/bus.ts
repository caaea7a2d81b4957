/**
 * Bus: publish/subscribe between the parts of one node and, in cluster mode, between
 * nodes. MemoryBus serves a single node in-process; NatsBus carries the same subjects
 * over NATS. Every implementation passes server/test/bus_contract.ts.
 *
 * Subjects are NATS subjects: `.`-separated tokens, `*` matches one token and `>` the
 * rest (subscriptions only). Guarantees: at-most-once; messages from one publisher to
 * one subscription arrive in publish order; a handler never runs inside publish().
 */
export type BusHandler = (msg: unknown, subject: string) => void

export interface Subscription {
  /** Idempotent; once it returns the handler is not called again, even for messages already sent. */
  unsubscribe(): void
}

export interface Bus {
  publish(subject: string, msg: unknown): void
  /** With `queue`, each message goes to one subscriber of that queue group only. */
  subscribe(subject: string, handler: BusHandler, opts?: { queue?: string }): Subscription
  /** Resolves when every message published so far has left this process. */
  flush(): Promise<void>
  close(): Promise<void>
}

/** Thrown by publish/subscribe on a malformed subject; a programming error. */
export class BusSubjectError extends Error {
  constructor(subject: string) {
    super(`invalid bus subject ${JSON.stringify(subject)}`)
    this.name = 'BusSubjectError'
  }
}

// A token is anything NATS accepts that is neither whitespace, the separator nor a wildcard.
const TOKEN = /^[^\s.*>]+$/
const MAX_SUBJECT_LENGTH = 1024

/**
 * Returns `subject` if it is a valid publish subject, or with `wildcards` a valid
 * subscription subject (`*` tokens anywhere, `>` as the last token); throws BusSubjectError.
 */
export function checkSubject(subject: string, wildcards: boolean): string {
  const tokens = subject.split('.')
  const valid =
    subject.length <= MAX_SUBJECT_LENGTH &&
    tokens.every(
      (token, i) => TOKEN.test(token) || (wildcards && (token === '*' || (token === '>' && i === tokens.length - 1))),
    )
  if (!valid) throw new BusSubjectError(subject)
  return subject
}

/** Returns `queue` if it is a valid queue group name (one subject token); throws BusSubjectError. */
export function checkQueue(queue: string): string {
  if (!TOKEN.test(queue) || queue.length > MAX_SUBJECT_LENGTH) throw new BusSubjectError(queue)
  return queue
}
