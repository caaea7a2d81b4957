import { open, type Database, type RootDatabase } from 'lmdb'
import {
  BUCKETS,
  checkKey,
  checkPrefix,
  type Bucket,
  type Entry,
  type LogRecord,
  type Store,
  type StoreOptions,
} from './store.js'
import { decodeValue, encodeValue } from './value_codec.js'

type Bytes = Uint8Array
type LogKey = [string, number]
/** `[bucket, key]` of an entry, or `['logs', log, seq]` of a log record. */
type WrittenKey = [string, string] | ['logs', string, number]

/** The log records' kind in the `written` sub-db (the maxAgeMs key); no bucket has that name. */
const LOG = 'logs'
/** How often expired entries are swept by default. */
const SWEEP_MS = 60_000

const REVISION = 'revision'

/**
 * Store in one LMDB environment on local disk (embedded, single-node mode): a sub-db per
 * bucket whose entries carry their revision as the LMDB entry version, a `logs` sub-db keyed
 * `[log, seq]`, and a `meta` sub-db holding the last revision handed out.
 *
 * Revisions come from that one counter, so they grow across keys and across delete/create:
 * a revision read before a delete never matches the re-created key (no ABA on update()).
 * Every write is one LMDB transaction that checks and writes atomically; lmdb-js runs them
 * one after another. `overlappingSync` is off, so a write's promise resolves only once its
 * commit is synced to disk, and reads after that see it.
 *
 * Retention (`maxAgeMs`): every write also records its time in the `written` sub-db; a sweep
 * every `sweepMs` deletes the entries and log records older than their max age.
 */
export class LmdbStore implements Store {
  private readonly sweeper: NodeJS.Timeout | undefined

  private constructor(
    private readonly root: RootDatabase,
    private readonly buckets: Record<Bucket, Database<Bytes, string>>,
    private readonly logs: Database<Bytes, LogKey>,
    private readonly meta: Database<number, string>,
    private readonly written: Database<number, WrittenKey>,
    private readonly maxAgeMs: StoreOptions['maxAgeMs'] & object,
    sweepMs: number,
  ) {
    if (Object.keys(maxAgeMs).length > 0) {
      this.sweeper = setInterval(() => void this.sweep().catch(() => undefined), sweepMs)
      this.sweeper.unref()
    }
  }

  static async open(dir: string, opts: StoreOptions & { sweepMs?: number } = {}): Promise<LmdbStore> {
    const root = open({ path: dir, overlappingSync: false, maxDbs: BUCKETS.length + 3 })
    const bucketDb = (name: string) =>
      root.openDB<Bytes, string>(`bucket.${name}`, { encoding: 'binary', useVersions: true })
    const buckets = Object.fromEntries(BUCKETS.map((b) => [b, bucketDb(b)])) as Record<Bucket, Database<Bytes, string>>
    const logs = root.openDB<Bytes, LogKey>('logs', { encoding: 'binary' })
    const meta = root.openDB<number, string>('meta', { encoding: 'ordered-binary' })
    const written = root.openDB<number, WrittenKey>('written', { encoding: 'ordered-binary' })
    return new LmdbStore(root, buckets, logs, meta, written, opts.maxAgeMs ?? {}, opts.sweepMs ?? SWEEP_MS)
  }

  /** Deletes what outlived its max age; returns how many entries and records went. */
  async sweep(now = Date.now()): Promise<number> {
    const expired: WrittenKey[] = []
    for (const [kind, maxAge] of Object.entries(this.maxAgeMs)) {
      if (maxAge === undefined) continue
      for (const { key, value } of this.written.getRange({ start: [kind], end: [kind, '\uffff'] })) {
        if (value < now - maxAge) expired.push(key)
      }
    }
    if (expired.length === 0) return 0
    await this.written.transaction(() => {
      for (const key of expired) {
        const at = this.written.get(key)
        const maxAge = this.maxAgeMs[key[0] as Bucket | typeof LOG]
        // Written again since the scan: keep it.
        if (at === undefined || maxAge === undefined || at >= now - maxAge) continue
        if (key[0] === LOG) this.logs.remove([key[1], key[2] as number])
        else this.db(key[0] as Bucket).remove(key[1])
        this.written.remove(key)
      }
    })
    return expired.length
  }

  async get<T>(bucket: Bucket, key: string): Promise<Entry<T> | undefined> {
    const entry = this.db(bucket).getEntry(checkKey(key))
    return entry && { key, value: decodeValue(entry.value) as T, revision: entry.version ?? 0 }
  }

  async put<T>(bucket: Bucket, key: string, value: T): Promise<number> {
    return this.write(bucket, key, value, () => true) as Promise<number>
  }

  async create<T>(bucket: Bucket, key: string, value: T): Promise<number | false> {
    return this.write(bucket, key, value, (current) => current === undefined)
  }

  async update<T>(bucket: Bucket, key: string, value: T, revision: number): Promise<number | false> {
    return this.write(bucket, key, value, (current) => current === revision)
  }

  async delete(bucket: Bucket, key: string): Promise<void> {
    const db = this.db(bucket)
    checkKey(key)
    await db.transaction(() => {
      db.remove(key)
      this.written.remove([bucket, key])
    })
  }

  async list<T>(bucket: Bucket, prefix: string): Promise<Array<Entry<T>>> {
    checkPrefix(prefix)
    const entries: Array<Entry<T>> = []
    // ordered-binary keeps strings in byte order, so keys sharing a prefix are contiguous.
    for (const { key, value, version } of this.db(bucket).getRange({ start: prefix, versions: true })) {
      if (!key.startsWith(prefix)) break
      entries.push({ key, value: decodeValue(value) as T, revision: version ?? 0 })
    }
    return entries
  }

  /** A range scan already: the same as list(). */
  scan<T>(bucket: Bucket, prefix: string): Promise<Array<Entry<T>>> {
    return this.list(bucket, prefix)
  }

  async append<T>(log: string, value: T): Promise<number> {
    checkKey(log)
    const bytes = encodeValue(value)
    return this.logs.transaction(() => {
      const seq = this.lastSeq(log) + 1
      this.logs.put([log, seq], bytes)
      this.written.put([LOG, log, seq], Date.now())
      return seq
    })
  }

  async deleteLog(log: string): Promise<void> {
    checkKey(log)
    await this.logs.transaction(() => {
      for (const key of this.logs.getKeys({ start: [log, 0], end: [log, Number.MAX_SAFE_INTEGER] })) {
        this.logs.remove(key)
        this.written.remove([LOG, log, key[1]])
      }
    })
  }

  async bytes(): Promise<number> {
    const stats = this.root.getStats() as { pageSize: number; lastPageNumber: number }
    return (stats.lastPageNumber + 1) * stats.pageSize
  }

  async read<T>(log: string, afterSeq: number): Promise<Array<LogRecord<T>>> {
    checkKey(log)
    const range = this.logs.getRange({ start: [log, afterSeq + 1], end: [log, Number.MAX_SAFE_INTEGER] })
    return range.map(({ key, value }) => ({ seq: key[1], value: decodeValue(value) as T })).asArray
  }

  close(): Promise<void> {
    clearInterval(this.sweeper)
    return this.root.close()
  }

  private db(bucket: Bucket): Database<Bytes, string> {
    const db = this.buckets[bucket]
    if (db === undefined) throw new Error(`unknown store bucket ${JSON.stringify(bucket)}`)
    return db
  }

  /** Writes when `allowed(current revision)` holds, in one transaction with the check. */
  private async write(
    bucket: Bucket,
    key: string,
    value: unknown,
    allowed: (current: number | undefined) => boolean,
  ): Promise<number | false> {
    const db = this.db(bucket)
    checkKey(key)
    const bytes = encodeValue(value)
    return db.transaction(() => {
      const current = db.getEntry(key)
      if (!allowed(current && (current.version ?? 0))) return false
      const revision = (this.meta.get(REVISION) ?? 0) + 1
      this.meta.put(REVISION, revision)
      db.put(key, bytes, revision)
      this.written.put([bucket, key], Date.now())
      return revision
    })
  }

  private lastSeq(log: string): number {
    const [last] = this.logs.getKeys({ start: [log, Number.MAX_SAFE_INTEGER], end: [log, 0], reverse: true, limit: 1 })
    return last?.[1] ?? 0
  }
}
