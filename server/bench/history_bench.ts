/**
 * `make bench`, history part: the conversation search at 100,000 closed conversations
 * (BENCH_SCALE shrinks it). Prints the index build time (in memory, and loaded back from an
 * LmdbStore as a restarted node does), and query p50/p99 per kind of query next to a full scan
 * of the same docs (what a search without the index costs: the best case of any scan, since
 * the docs are already in memory). Synthetic but shaped like support chats: Zipf-distributed
 * words, 20 operators, 4 departments, a year of dates. Run: node --import tsx server/bench/history_bench.ts
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import {
  ConversationIndex,
  queryWords,
  type ConversationDoc,
  type ConversationQuery,
} from '../src/chat/conversation_index.js'
import { ConversationSearch, historyFeed, searchDocKey } from '../src/chat/conversation_search.js'
import { LmdbStore } from '../src/store/lmdb_store.js'

const SCALE = Number(process.env.BENCH_SCALE ?? 1)
const CONVERSATIONS = Math.max(1000, Math.round(100_000 * SCALE))
const VOCABULARY = 20_000
const DAY_MS = 86_400_000
const DEPARTMENTS = ['sales', 'support', 'billing', 'shipping']
const FIRST = ['anna', 'bruno', 'chloé', 'dmitri', 'elif', 'farid', 'grace', 'hiro', 'ines', 'jonas', 'kofi', 'lena']
const LAST = ['smith', 'okafor', 'müller', 'tanaka', 'silva', 'novak', 'haddad', 'larsen', 'kowalski', 'reyes']
const QUERY_RUNS = 200

/** Deterministic PRNG (mulberry32), so every run indexes the same corpus. */
function random(seed: number): () => number {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let r = Math.imul(a ^ (a >>> 15), 1 | a)
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296
  }
}

const rnd = random(42)
const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)] as T
/** Word of rank r (0 most frequent): a pronounceable made-up word. */
const wordOf = (rank: number): string => {
  const syllables = ['ka', 'lo', 'mi', 'ne', 'ru', 'sa', 'ti', 'vo', 'ze', 'pa', 'do', 'fi']
  let w = ''
  let n = rank + 12
  while (n > 0) {
    w += syllables[n % 12]
    n = Math.floor(n / 12)
  }
  return w
}
/** Zipf-ish rank: a few words are everywhere, most are rare. */
const zipfRank = (): number => Math.min(VOCABULARY - 1, Math.floor(Math.exp(rnd() * Math.log(VOCABULARY + 1)) - 1))

function makeDoc(i: number, now: number): ConversationDoc {
  const createdAt = now - Math.floor(((CONVERSATIONS - i) / CONVERSATIONS) * 365 * DAY_MS) - Math.floor(rnd() * 3600e3)
  const words = new Set<string>()
  const messages = 6 + Math.floor(rnd() * 14)
  for (let m = 0; m < messages * 8; m++) words.add(wordOf(zipfRank()))
  const name = `${pick(FIRST)} ${pick(LAST)}`
  const operator = `op${Math.floor(rnd() * 20)}`
  return {
    id: `c${i.toString(36)}`,
    visitor: `v${Math.floor(rnd() * CONVERSATIONS * 0.7).toString(36)}`,
    name,
    email: `${name.replace(' ', '.')}${i % 97}@example.com`,
    operator,
    operators: [operator],
    departments: rnd() < 0.2 ? [] : [pick(DEPARTMENTS)],
    createdAt,
    closedAt: createdAt + 600_000,
    messages,
    preview: 'hello',
    words: [...words],
  }
}

interface Timing {
  p50: number
  p99: number
}

function time(run: () => unknown): Timing {
  const samples: number[] = []
  for (let i = 0; i < QUERY_RUNS; i++) {
    const started = process.hrtime.bigint()
    run()
    samples.push(Number(process.hrtime.bigint() - started) / 1e6)
  }
  samples.sort((a, b) => a - b)
  return { p50: samples[Math.floor(QUERY_RUNS / 2)] as number, p99: samples[Math.floor(QUERY_RUNS * 0.99)] as number }
}

const ms = (v: number): string => (v < 1 ? v.toFixed(3) : v.toFixed(1))

export async function main(): Promise<void> {
  const now = Date.now()
  const docs = Array.from({ length: CONVERSATIONS }, (_, i) => makeDoc(i, now))
  const target = docs[Math.floor(CONVERSATIONS / 2)] as ConversationDoc

  let started = performance.now()
  const index = new ConversationIndex()
  for (const [i, doc] of docs.entries()) index.add(i + 1, doc)
  const buildMs = performance.now() - started

  // Written as closes write them (doc, then feed), then loaded back as a restarted node does.
  const dir = await mkdtemp(join(tmpdir(), 'beckon-history-bench-'))
  let loadMs = Number.NaN
  let writeMs = Number.NaN
  try {
    const store = await LmdbStore.open(dir)
    started = performance.now()
    for (let i = 0; i < docs.length; i += 1000) {
      const batch = docs.slice(i, i + 1000)
      await Promise.all(batch.map((doc) => store.put('search', searchDocKey('bench', doc.id), doc)))
      await Promise.all(batch.map((doc) => store.append(historyFeed('bench'), { id: doc.id })))
    }
    writeMs = performance.now() - started
    const search = new ConversationSearch(store, { maxWords: 2000 }, pino({ level: 'silent' }))
    started = performance.now()
    const loaded = await search.search('bench', { limit: 1 })
    loadMs = performance.now() - started
    if (loaded.docs[0]?.id !== docs[docs.length - 1]?.id) throw new Error('loaded index disagrees')
    await store.close()
  } finally {
    await rm(dir, { recursive: true, force: true })
  }

  const rare = wordOf(VOCABULARY - 7)
  const common = wordOf(3)
  const kinds: Array<[string, ConversationQuery]> = [
    ['rare word', { q: [rare], limit: 25 }],
    ['common word', { q: [common], limit: 25 }],
    ['2-letter prefix', { q: queryWords(common.slice(0, 2)), limit: 25 }],
    ['two words (AND)', { q: [common, wordOf(40)], limit: 25 }],
    ['visitor name', { visitor: queryWords(target.name ?? ''), limit: 25 }],
    ['visitor id', { visitor: [target.visitor], limit: 25 }],
    ['operator + 7 days', { operator: 'op3', from: now - 7 * DAY_MS, to: now, limit: 25 }],
    ['one department, no filter', { departments: ['billing'], limit: 25 }],
    [
      'word, 1 dept, 30 days',
      { q: [wordOf(200)], departments: ['sales'], from: now - 30 * DAY_MS, to: now, limit: 25 },
    ],
  ]
  const rows: string[] = []
  for (const [kind, query] of kinds) {
    const indexed = time(() => index.search(query))
    const scanned = time(() => index.scan(query))
    const hits = index.search(query).docs.length
    const same =
      JSON.stringify(index.search(query).docs.map((d) => d.id)) === JSON.stringify(index.scan(query).map((d) => d.id))
    if (!same) throw new Error(`index and scan disagree on "${kind}"`)
    rows.push(
      `| ${kind.padEnd(26)} | ${String(hits).padStart(4)} | ${ms(indexed.p50).padStart(7)} | ${ms(indexed.p99).padStart(7)} | ${ms(scanned.p50).padStart(8)} | ${ms(scanned.p99).padStart(8)} | ${(scanned.p50 / indexed.p50).toFixed(0).padStart(6)}x |`,
    )
  }
  const heapMb = process.memoryUsage().heapUsed / 2 ** 20
  console.log(`\n## History search at ${CONVERSATIONS.toLocaleString('en')} closed conversations (history_bench.ts)\n`)
  console.log(`index build in memory: ${buildMs.toFixed(0)} ms (${index.terms.toLocaleString('en')} distinct words)`)
  console.log(`written to LMDB (doc + feed per close, batched): ${(writeMs / 1000).toFixed(1)} s`)
  console.log(`loaded back from LMDB (restart: feed + one scan + build): ${loadMs.toFixed(0)} ms`)
  console.log(`heap in use with corpus and two indexes: ${heapMb.toFixed(0)} MB\n`)
  console.log('| query (first page of 25)   | hits | p50 ms  | p99 ms  | scan p50 | scan p99 | scan/index |')
  console.log('|----------------------------|------|---------|---------|----------|----------|------------|')
  for (const row of rows) console.log(row)
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error: unknown) => {
    console.error(error)
    process.exit(1)
  })
}
