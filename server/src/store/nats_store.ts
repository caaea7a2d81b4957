import { setTimeout as delay } from 'node:timers/promises'
import {
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  jetstream,
  jetstreamManager,
  StorageType,
  type JetStreamClient,
  type JetStreamManager,
  type StoredMsg,
} from '@nats-io/jetstream'
import { Kvm } from '@nats-io/kv'
import {
  Empty,
  NoRespondersError,
  TimeoutError,
  headers,
  nanos,
  type MsgHdrs,
  type NatsConnection,
} from '@nats-io/transport-node'
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

export interface NatsStoreOptions extends StoreOptions {
  /** JetStream replicas of every bucket and of the log stream (1, 3 or 5); default 1. */
  replicas?: number
  /** Names `<prefix>_<bucket>` KV buckets, the `<prefix>_log` stream and `<prefix>.log.>`; default `beckon`. */
  prefix?: string
}

/** The KV format's operation header; absent means PUT. */
const KV_OPERATION = 'KV-Operation'
/** Header carrying a log record's per-log seq (the stream seq is global to all logs). */
const LOG_SEQ = 'Beckon-Log-Seq'
/** Lost races in a row after which a put, delete or append gives up (after about 2 s of backoff). */
const MAX_ATTEMPTS = 50
/** Longest pause between attempts; the winner's write needs a Raft round to become readable. */
const MAX_BACKOFF_MS = 50
/** Messages pulled per batch when reading a log. */
const READ_BATCH = 256
/** How long one read batch waits for records that the stream said are there (expired meanwhile). */
const READ_WAIT_MS = 1_000

const PREFIX = /^[A-Za-z0-9_-]+$/

/**
 * Store on NATS JetStream (cluster mode), for nats-server 2.9 and later.
 *
 * Buckets are standard KV buckets (history 1), so NATS tooling can inspect them; logs share
 * one stream, a subject per log, each record's per-log seq in its LOG_SEQ header.
 *
 * Reads fetch the last message of a subject from the stream leader (the buckets have no
 * `allow_direct`, whose replies may come from a lagging replica), so every node reads every
 * acknowledged write.
 *
 * Every write is conditional on the subject's last message: it reads that message's stream
 * seq `s` and publishes with `Nats-Expected-Last-Subject-Sequence: s` and
 * `Nats-Msg-Id: <subject>@<s>`. The header alone is not enough on nats-server 2.9 clusters:
 * the leader checks it against applied messages only, so two writes proposed before either
 * is applied can both pass. Writes made from the same state share the msg id, and the
 * leader's duplicate window does count proposals in flight, so exactly one of them is
 * stored. Hence update() is an exact compare-and-set, put() and delete() retry until they
 * win a turn, and append() gives dense per-log seqs (1, 2, 3…) in stream order. Writes to
 * one subject from this process queue behind each other so they do not race among
 * themselves. Revisions are stream seqs: they keep growing across delete and re-create.
 *
 * A write resolves once JetStream acknowledged it: stored by a quorum of replicas, or with
 * one replica written to the server's files (synced on its interval: it survives a server
 * crash, not a power cut).
 *
 * The connection belongs to the caller; close() leaves it open.
 */
/** How long open() keeps retrying while a new JetStream cluster cannot place replicas yet. */
const CLUSTER_FORMING_MS = 30_000
/** nats-server codes meaning "not yet": no suitable peers (10005), temporarily unavailable (10008), insufficient resources (10023). */
const NOT_YET = new Set([10005, 10008, 10023])

/**
 * Runs `setup` until it succeeds: right after a NATS cluster starts (or restarts on old data),
 * JetStream may refuse to create replicated streams (no meta leader yet, too few peers known)
 * or not answer at all (streams without a leader) for a few seconds.
 */
async function whileClusterForms(setup: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + CLUSTER_FORMING_MS
  for (let delay = 100; ; delay = Math.min(delay * 2, 2000)) {
    try {
      return await setup()
    } catch (error) {
      const transient =
        (error instanceof JetStreamApiError && NOT_YET.has(error.code)) ||
        error instanceof TimeoutError ||
        error instanceof NoRespondersError
      if (!transient || Date.now() + delay > deadline) throw error
      await new Promise((resolve) => setTimeout(resolve, delay))
    }
  }
}

export class NatsStore implements Store {
  /** Tail of the queued writes per subject. */
  private readonly lanes = new Map<string, Promise<void>>()

  private constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly prefix: string,
  ) {}

  static async open(nc: NatsConnection, opts: NatsStoreOptions = {}): Promise<NatsStore> {
    const prefix = opts.prefix ?? 'beckon'
    if (!PREFIX.test(prefix)) throw new Error(`invalid NatsStore prefix ${JSON.stringify(prefix)}`)
    const replicas = opts.replicas ?? 1
    const js = jetstream(nc)
    const jsm = await jetstreamManager(nc)
    const kvm = new Kvm(js)
    const store = new NatsStore(js, jsm, prefix)
    const maxAge = opts.maxAgeMs ?? {}
    await whileClusterForms(async () => {
      await Promise.all(
        BUCKETS.map(async (b) => {
          await kvm.create(`${prefix}_${b}`, { history: 1, replicas, storage: StorageType.File, allow_direct: false })
          await store.retain(store.kvStream(b), maxAge[b])
        }),
      )
      await jsm.streams.info(store.logStream).catch(async (error: unknown) => {
        if (!(error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound)) throw error
        await jsm.streams.add({
          name: store.logStream,
          subjects: [`${prefix}.log.>`],
          storage: StorageType.File,
          num_replicas: replicas,
          allow_direct: false,
        })
      })
      await store.retain(store.logStream, maxAge.logs)
    })
    return store
  }

  /**
   * Sets a stream's `max_age` (0: forever), also on a stream made before: nats-server 2.9 has
   * no per-message TTL, so retention is per bucket (time since a key's last write) and, for
   * the log stream, per record. The duplicate window (used by every write) must not exceed it.
   */
  private async retain(stream: string, maxAgeMs: number | undefined): Promise<void> {
    const { config } = await this.jsm.streams.info(stream)
    const maxAge = maxAgeMs === undefined ? 0 : nanos(maxAgeMs)
    if (config.max_age === maxAge) return
    const window = nanos(120_000)
    await this.jsm.streams.update(stream, {
      max_age: maxAge,
      duplicate_window: maxAge === 0 ? window : Math.min(window, maxAge),
    })
  }

  async get<T>(bucket: Bucket, key: string): Promise<Entry<T> | undefined> {
    const last = await this.last(this.kvStream(bucket), this.kvSubject(bucket, checkKey(key)))
    if (last === null || !isValue(last)) return undefined
    return { key, value: decodeValue(last.data) as T, revision: last.seq }
  }

  async put<T>(bucket: Bucket, key: string, value: T): Promise<number> {
    const [stream, subject] = [this.kvStream(bucket), this.kvSubject(bucket, checkKey(key))]
    const payload = encodeValue(value)
    return this.lane(subject, () =>
      untilWritten(async () => {
        const last = await this.last(stream, subject)
        return this.publishIf(subject, last?.seq ?? 0, payload)
      }),
    )
  }

  async create<T>(bucket: Bucket, key: string, value: T): Promise<number | false> {
    const [stream, subject] = [this.kvStream(bucket), this.kvSubject(bucket, checkKey(key))]
    const payload = encodeValue(value)
    return this.lane(subject, async () => {
      const last = await this.last(stream, subject)
      if (last !== null && isValue(last)) return false
      return this.publishIf(subject, last?.seq ?? 0, payload)
    })
  }

  async update<T>(bucket: Bucket, key: string, value: T, revision: number): Promise<number | false> {
    const subject = this.kvSubject(bucket, checkKey(key))
    const payload = encodeValue(value)
    if (!(revision > 0)) return false
    return this.lane(subject, () => this.publishIf(subject, revision, payload))
  }

  async delete(bucket: Bucket, key: string): Promise<void> {
    const [stream, subject] = [this.kvStream(bucket), this.kvSubject(bucket, checkKey(key))]
    const marker = headers()
    marker.set(KV_OPERATION, 'DEL')
    await this.lane(subject, () =>
      untilWritten(async () => {
        const last = await this.last(stream, subject)
        if (last === null || !isValue(last)) return true
        return this.publishIf(subject, last.seq, Empty, marker)
      }),
    )
  }

  /**
   * Lists the bucket's subjects through stream info (answered by the stream leader, like
   * get) rather than a consumer, then gets each key; deleted keys keep a subject and are skipped.
   */
  async list<T>(bucket: Bucket, prefix: string): Promise<Array<Entry<T>>> {
    const subjectPrefix = this.kvSubject(bucket, '')
    // Subject filters match whole tokens: filter on the prefix's complete tokens, then by string.
    const dot = checkPrefix(prefix).lastIndexOf('.')
    const filter = subjectPrefix + (dot < 0 ? '>' : `${prefix.slice(0, dot)}.>`)
    const info = await this.jsm.streams.info(this.kvStream(bucket), { subjects_filter: filter })
    const keys = Object.keys(info.state.subjects ?? {})
      .map((subject) => subject.slice(subjectPrefix.length))
      .filter((key) => key.startsWith(prefix))
      .sort()
    const entries = await Promise.all(keys.map((key) => this.get<T>(bucket, key)))
    return entries.filter((e): e is Entry<T> => e !== undefined)
  }

  /**
   * One ordered consumer on the bucket's stream delivering the last message per key
   * (what KV watchers use), instead of list()'s get per key. It stops when the consumer has
   * nothing pending; deleted keys (their marker is the last message) are skipped.
   */
  async scan<T>(bucket: Bucket, prefix: string): Promise<Array<Entry<T>>> {
    const subjectPrefix = this.kvSubject(bucket, '')
    const dot = checkPrefix(prefix).lastIndexOf('.')
    const filter = subjectPrefix + (dot < 0 ? '>' : `${prefix.slice(0, dot)}.>`)
    const consumer = await this.js.consumers.get(this.kvStream(bucket), {
      filter_subjects: filter,
      deliver_policy: DeliverPolicy.LastPerSubject,
    })
    const entries: Array<Entry<T>> = []
    try {
      if ((await consumer.info()).num_pending === 0) return entries
      const messages = await consumer.consume({ max_messages: READ_BATCH })
      for await (const m of messages) {
        const key = m.subject.slice(subjectPrefix.length)
        const operation = m.headers?.get(KV_OPERATION)
        const live = operation === undefined || operation === '' || operation === 'PUT'
        if (live && key.startsWith(prefix)) entries.push({ key, value: decodeValue(m.data) as T, revision: m.seq })
        if (m.info.pending === 0) break
      }
    } finally {
      consumer.delete().catch(() => undefined)
    }
    return entries.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
  }

  async append<T>(log: string, value: T): Promise<number> {
    const subject = this.logSubject(checkKey(log))
    const payload = encodeValue(value)
    return this.lane(subject, () =>
      untilWritten(async () => {
        const last = await this.last(this.logStream, subject)
        const seq = (last === null ? 0 : logSeqOf(last.header)) + 1
        const h = headers()
        h.set(LOG_SEQ, String(seq))
        const written = await this.publishIf(subject, last?.seq ?? 0, payload, h)
        return written === false ? false : seq
      }),
    )
  }

  /**
   * Reads with an ordered consumer filtered on the log's subject, from the start: the stream
   * cannot seek by per-log seq. It stops at the last record the stream leader reports, so it
   * ends even if the consumer's replica lags, and ignores appends made while reading.
   */
  async read<T>(log: string, afterSeq: number): Promise<Array<LogRecord<T>>> {
    const subject = this.logSubject(checkKey(log))
    const last = await this.last(this.logStream, subject)
    const lastSeq = last === null ? 0 : logSeqOf(last.header)
    if (lastSeq <= afterSeq) return []
    const consumer = await this.js.consumers.get(this.logStream, {
      filter_subjects: subject,
      deliver_policy: DeliverPolicy.All,
    })
    const records: Array<LogRecord<T>> = []
    try {
      // Batches that end on their own, not an endless consume(): records can expire or be purged
      // between `last` above and now, and a reader waiting for `lastSeq` would then wait forever.
      let reached = false
      for (let received = READ_BATCH; !reached && received === READ_BATCH; ) {
        received = 0
        for await (const m of await consumer.fetch({ max_messages: READ_BATCH, expires: READ_WAIT_MS })) {
          received++
          const seq = logSeqOf(m.headers)
          if (seq > afterSeq) records.push({ seq, value: decodeValue(m.data) as T })
          if (seq >= lastSeq) {
            reached = true
            break
          }
        }
      }
    } finally {
      // The server also removes an idle ordered consumer by itself; nothing to do if this fails.
      consumer.delete().catch(() => undefined)
    }
    return records
  }

  async deleteLog(log: string): Promise<void> {
    await this.jsm.streams.purge(this.logStream, { filter: this.logSubject(checkKey(log)) })
  }

  async bytes(): Promise<number> {
    const streams = [...BUCKETS.map((b) => this.kvStream(b)), this.logStream]
    const infos = await Promise.all(streams.map((s) => this.jsm.streams.info(s)))
    return infos.reduce((sum, info) => sum + info.state.bytes, 0)
  }

  async close(): Promise<void> {}

  private get logStream(): string {
    return `${this.prefix}_log`
  }

  private logSubject(log: string): string {
    return `${this.prefix}.log.${log}`
  }

  private kvStream(bucket: Bucket): string {
    return `KV_${this.kvBucket(bucket)}`
  }

  private kvSubject(bucket: Bucket, key: string): string {
    return `$KV.${this.kvBucket(bucket)}.${key}`
  }

  private kvBucket(bucket: Bucket): string {
    if (!BUCKETS.includes(bucket)) throw new Error(`unknown store bucket ${JSON.stringify(bucket)}`)
    return `${this.prefix}_${bucket}`
  }

  /** The subject's last message, read from the stream leader. */
  private last(stream: string, subject: string): Promise<StoredMsg | null> {
    return this.jsm.streams.getMessage(stream, { last_by_subj: subject })
  }

  /** Publishes if the subject's last message is still `expected` (0: none); the new seq, or false. */
  private async publishIf(
    subject: string,
    expected: number,
    payload: Uint8Array,
    h: MsgHdrs = headers(),
  ): Promise<number | false> {
    try {
      const ack = await this.js.publish(subject, payload, {
        headers: h,
        msgID: `${subject}@${expected}`,
        expect: { lastSubjectSequence: expected },
      })
      return ack.duplicate ? false : ack.seq
    } catch (error) {
      if (
        error instanceof JetStreamApiError &&
        (error.code === JetStreamApiCodes.StreamWrongLastSequence ||
          error.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)
      ) {
        return false
      }
      throw error
    }
  }

  /** Runs `write` after the writes already queued for `subject` by this process. */
  private lane<T>(subject: string, write: () => Promise<T>): Promise<T> {
    const written = (this.lanes.get(subject) ?? Promise.resolve()).then(write)
    const tail = written.then(
      () => undefined,
      () => undefined,
    )
    this.lanes.set(subject, tail)
    void tail.then(() => {
      if (this.lanes.get(subject) === tail) this.lanes.delete(subject)
    })
    return written
  }
}

/** Repeats `attempt`, with jittered backoff, while another writer got there first (it returns false). */
async function untilWritten<T>(attempt: () => Promise<T | false>): Promise<T> {
  for (let i = 0; i < MAX_ATTEMPTS; i++) {
    const result = await attempt()
    if (result !== false) return result
    await delay(Math.random() * Math.min(2 ** i, MAX_BACKOFF_MS))
  }
  throw new Error(`NatsStore write lost ${MAX_ATTEMPTS} races in a row`)
}

/** A KV message holding a value, not a delete or purge marker. */
function isValue(m: StoredMsg): boolean {
  const operation = m.header?.get(KV_OPERATION)
  return operation === undefined || operation === '' || operation === 'PUT'
}

function logSeqOf(h: MsgHdrs | undefined): number {
  const seq = Number(h?.get(LOG_SEQ))
  if (!Number.isSafeInteger(seq) || seq < 1) throw new Error(`log record without a valid ${LOG_SEQ} header`)
  return seq
}
