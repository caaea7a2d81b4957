/**
 * Store: the durable state of a beckon deployment (sites, campaigns, visitor profiles,
 * conversations and their messages). Embedded mode uses LmdbStore; cluster mode uses
 * JetStream KV and a stream (NatsStore). Every implementation passes
 * server/test/store_contract.ts.
 *
 * Keys are `[A-Za-z0-9_=.-]` segments joined by `.` (the JetStream KV key alphabet), so
 * the same key works on every implementation. Values are any msgpack-encodable value.
 */
export interface Entry<T> {
  key: string
  value: T
  /** Monotonic per key; the argument of update() for compare-and-set. */
  revision: number
}

/** A message of an append-only log (chat messages of a conversation). */
export interface LogRecord<T> {
  /** Strictly increasing within one log, starting at 1. */
  seq: number
  value: T
}

export const BUCKETS = [
  'sites',
  'campaigns',
  'profiles',
  'conversations',
  'stats',
  'owners',
  'nodes',
  'revisions',
  'outbox',
  'canned',
  'operators',
  'search',
  'timeline',
] as const
export type Bucket = (typeof BUCKETS)[number]

/** Options every implementation's open() takes. */
export interface StoreOptions {
  /**
   * Retention per bucket, in ms: an entry not written for longer vanishes. `logs`: a log
   * record older than this vanishes. Absent: kept forever. Expiry happens within the max age
   * plus the implementation's sweep period (LmdbStore: `sweepMs`; NatsStore: JetStream's own
   * `max_age` enforcement, about a second).
   */
  maxAgeMs?: Partial<Record<Bucket | 'logs', number>>
}

export interface Store {
  /** Guarantee: reads see every write this process has completed (read-your-writes). */
  get<T>(bucket: Bucket, key: string): Promise<Entry<T> | undefined>
  /** Unconditional write; resolves once durable. Returns the new revision. `value` is encoded before put() returns. */
  put<T>(bucket: Bucket, key: string, value: T): Promise<number>
  /** Writes only if the key is absent; resolves to false if it exists. Atomic cluster-wide. */
  create<T>(bucket: Bucket, key: string, value: T): Promise<number | false>
  /** Compare-and-set: writes only if the current revision is `revision`; false otherwise. */
  update<T>(bucket: Bucket, key: string, value: T, revision: number): Promise<number | false>
  delete(bucket: Bucket, key: string): Promise<void>
  /** Every live entry whose key starts with `prefix`, in key order. */
  list<T>(bucket: Bucket, prefix: string): Promise<Array<Entry<T>>>
  /**
   * What list() returns, read in one stream rather than a round trip per key (NatsStore), for
   * prefixes with many keys (loading a search index). Same read-your-writes guarantee.
   */
  scan<T>(bucket: Bucket, prefix: string): Promise<Array<Entry<T>>>
  /** Appends to the log `log` (a key); resolves once durable with the record's seq. */
  append<T>(log: string, value: T): Promise<number>
  /** Records of `log` with seq > `afterSeq`, in seq order. */
  read<T>(log: string, afterSeq: number): Promise<Array<LogRecord<T>>>
  /** Removes every record of `log` (erasure): read() finds none. A deleted log is not appended to again. */
  deleteLog(log: string): Promise<void>
  /** Bytes of stored data (LMDB pages in use; JetStream stream bytes), for `beckon_store_bytes`. */
  bytes(): Promise<number>
  close(): Promise<void>
}

/** Thrown for a key outside the key alphabet; a programming error, never user input. */
export class StoreKeyError extends Error {
  constructor(key: string) {
    super(`invalid store key ${JSON.stringify(key)}`)
    this.name = 'StoreKeyError'
  }
}

const KEY = /^[A-Za-z0-9_=-]+(\.[A-Za-z0-9_=-]+)*$/

export function checkKey(key: string): string {
  if (!KEY.test(key) || key.length > 512) throw new StoreKeyError(key)
  return key
}

const PREFIX = /^([A-Za-z0-9_=-]+\.)*[A-Za-z0-9_=-]*$/

/** A list() prefix: the start of some valid key (possibly ending in `.`), or '' for all. */
export function checkPrefix(prefix: string): string {
  if (!PREFIX.test(prefix) || prefix.length > 512) throw new StoreKeyError(prefix)
  return prefix
}
