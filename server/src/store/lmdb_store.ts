import { open, type Database, type RootDatabase } from 'lmdb'
import { BUCKETS, checkKey, checkPrefix, type Bucket, type Entry, type LogRecord, type Store } from './store.js'
import { decodeValue, encodeValue } from './value_codec.js'

type Bytes = Uint8Array
type LogKey = [string, number]

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
 */
export class LmdbStore implements Store {
  private constructor(
    private readonly root: RootDatabase,
    private readonly buckets: Record<Bucket, Database<Bytes, string>>,
    private readonly logs: Database<Bytes, LogKey>,
    private readonly meta: Database<number, string>,
  ) {}

  static async open(dir: string): Promise<LmdbStore> {
    const root = open({ path: dir, overlappingSync: false, maxDbs: BUCKETS.length + 2 })
    const bucketDb = (name: string) =>
      root.openDB<Bytes, string>(`bucket.${name}`, { encoding: 'binary', useVersions: true })
    const buckets = Object.fromEntries(BUCKETS.map((b) => [b, bucketDb(b)])) as Record<Bucket, Database<Bytes, string>>
    const logs = root.openDB<Bytes, LogKey>('logs', { encoding: 'binary' })
    const meta = root.openDB<number, string>('meta', { encoding: 'ordered-binary' })
    return new LmdbStore(root, buckets, logs, meta)
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
    await db.remove(checkKey(key))
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

  async append<T>(log: string, value: T): Promise<number> {
    checkKey(log)
    const bytes = encodeValue(value)
    return this.logs.transaction(() => {
      const seq = this.lastSeq(log) + 1
      this.logs.put([log, seq], bytes)
      return seq
    })
  }

  async read<T>(log: string, afterSeq: number): Promise<Array<LogRecord<T>>> {
    checkKey(log)
    const range = this.logs.getRange({ start: [log, afterSeq + 1], end: [log, Number.MAX_SAFE_INTEGER] })
    return range.map(({ key, value }) => ({ seq: key[1], value: decodeValue(value) as T })).asArray
  }

  close(): Promise<void> {
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
      return revision
    })
  }

  private lastSeq(log: string): number {
    const [last] = this.logs.getKeys({ start: [log, Number.MAX_SAFE_INTEGER], end: [log, 0], reverse: true, limit: 1 })
    return last?.[1] ?? 0
  }
}
