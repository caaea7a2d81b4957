import type { Test } from 'tap'
import { StoreKeyError, type Store, type StoreOptions } from '../src/store/store.js'
import { until } from './support/until.js'

export interface StoreFixture {
  store: Store
  /** A second handle on the same data, as another node holds one (cluster implementations). */
  peer?: Store
  /** Closes `store` and opens the same data again (durability across restarts). */
  reopen?: () => Promise<Store>
  /** Opens the same data with these options (retention). */
  withOptions(opts: StoreOptions): Promise<Store>
  cleanup(): Promise<void>
}

const BAD_KEYS = ['', 'a..b', '.a', 'a.', 'a b', 'a*', 'a.>', 'a/b', 'ä', 'a\n', 'x'.repeat(513)]

const VALUES: unknown[] = [
  { name: 'Ünïcode ✓', nested: { list: [1, -2, 3.5, [true, false, null]], empty: {}, none: [] } },
  [0, -1, 2 ** 31, -(2 ** 31) - 1, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 1e-9, -0.25],
  'plain string',
  42,
  true,
  null,
  { deep: { deeper: { deepest: [{ a: 1 }, { b: [2, { c: 'three' }] }] } } },
]

/**
 * The guarantees of server/src/store/store.ts, run against one implementation. Every
 * subtest gets fresh data from `factory`.
 */
export function storeContract(t: Test, name: string, factory: () => Promise<StoreFixture>): void {
  const check = (title: string, fn: (t: Test, f: StoreFixture) => Promise<void>) =>
    t.test(`${name}: ${title}`, async (t) => {
      const fixture = await factory()
      t.teardown(() => fixture.cleanup())
      await fn(t, fixture)
    })

  check('get of a missing key is undefined', async (t, { store }) => {
    t.equal(await store.get('sites', 'nobody'), undefined)
  })

  check('put then get returns the value; revisions grow on every write', async (t, { store }) => {
    const r1 = await store.put('sites', 'site.1', { v: 1 })
    t.strictSame(await store.get('sites', 'site.1'), { key: 'site.1', value: { v: 1 }, revision: r1 })
    const r2 = await store.put('sites', 'site.1', { v: 2 })
    t.ok(r2 > r1, 'put raises the revision')
    const r3 = await store.update('sites', 'site.1', { v: 3 }, r2)
    t.ok(r3 !== false && r3 > r2, 'update raises the revision')
    t.strictSame(await store.get('sites', 'site.1'), { key: 'site.1', value: { v: 3 }, revision: r3 })
  })

  check('put stores the value as it was when put() was called', async (t, { store }) => {
    const profile = { visits: 1, tags: ['a'] }
    const written = store.put('profiles', 'snap', profile)
    profile.visits = 2
    profile.tags.push('b')
    await written
    t.strictSame((await store.get('profiles', 'snap'))?.value, { visits: 1, tags: ['a'] })
  })

  check('values round-trip through put/get, list and append/read', async (t, { store }) => {
    for (const [i, value] of VALUES.entries()) {
      await store.put('profiles', `v.${i}`, value)
      t.strictSame((await store.get('profiles', `v.${i}`))?.value, value, `get value ${i}`)
      await store.append('values', value)
    }
    t.strictSame(
      (await store.list('profiles', 'v.')).map((e) => e.value),
      VALUES,
      'list values',
    )
    t.strictSame(
      (await store.read('values', 0)).map((r) => r.value),
      VALUES,
      'log values',
    )
  })

  check('buckets are separate', async (t, { store }) => {
    await store.put('sites', 'same', 'site')
    await store.put('campaigns', 'same', 'campaign')
    t.equal((await store.get('sites', 'same'))?.value, 'site')
    t.equal((await store.get('campaigns', 'same'))?.value, 'campaign')
    t.equal(await store.get('profiles', 'same'), undefined)
    t.strictSame(await store.list('stats', ''), [])
  })

  check('create writes only when the key is absent', async (t, { store }) => {
    const r1 = await store.create('campaigns', 'c.1', 'first')
    t.type(r1, 'number')
    t.equal(await store.create('campaigns', 'c.1', 'second'), false)
    t.strictSame(await store.get('campaigns', 'c.1'), { key: 'c.1', value: 'first', revision: r1 })
  })

  check('concurrent creates: exactly one wins', async (t, { store, peer }) => {
    const stores = [store, peer ?? store]
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => stores[i % 2]!.create('conversations', 'conv.x', i)),
    )
    const winners = results.flatMap((r, i) => (r === false ? [] : [i]))
    t.equal(winners.length, 1, 'one create succeeded')
    t.equal((await store.get('conversations', 'conv.x'))?.value, winners[0])
  })

  check('update is compare-and-set on the revision', async (t, { store }) => {
    const r1 = await store.put('sites', 'k', 'one')
    const r2 = await store.update('sites', 'k', 'two', r1)
    t.type(r2, 'number')
    t.equal(await store.update('sites', 'k', 'stale', r1), false, 'stale revision refused')
    t.equal(await store.update('sites', 'k', 'zero', 0), false, 'revision 0 refused')
    t.strictSame(await store.get('sites', 'k'), { key: 'k', value: 'two', revision: r2 })
    t.equal(await store.update('sites', 'absent', 'x', r1), false, 'update of a missing key refused')
    t.equal(await store.get('sites', 'absent'), undefined)
  })

  check('concurrent updates from one revision: exactly one wins', async (t, { store, peer }) => {
    const stores = [store, peer ?? store]
    const r1 = await store.put('stats', 'counter', 0)
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => stores[i % 2]!.update('stats', 'counter', i + 1, r1)),
    )
    const winners = results.flatMap((r, i) => (r === false ? [] : [i]))
    t.equal(winners.length, 1, 'one update succeeded')
    const entry = await store.get('stats', 'counter')
    t.equal(entry?.value, winners[0]! + 1)
    t.equal(entry?.revision, results[winners[0]!])
  })

  check('outbox: two handles claiming the same listed entry, exactly one wins; it survives reopen', async (t, f) => {
    const { store, peer } = f
    await store.put('outbox', 'shop.evt_1', { attempts: 0 })
    const [seenA, seenB] = await Promise.all([store.list('outbox', ''), (peer ?? store).list('outbox', '')])
    const claims = await Promise.all([
      store.update('outbox', 'shop.evt_1', { attempts: 0, claimedBy: 'a' }, seenA[0]!.revision),
      (peer ?? store).update('outbox', 'shop.evt_1', { attempts: 0, claimedBy: 'b' }, seenB[0]!.revision),
    ])
    t.equal(claims.filter((c) => c !== false).length, 1, 'one claim succeeded')
    if (f.reopen === undefined) return
    await store.close()
    const again = await f.reopen()
    t.match(await again.list('outbox', 'shop.'), [{ key: 'shop.evt_1', value: { claimedBy: /^[ab]$/ } }])
  })

  check('delete hides the key from get and list; create works again', async (t, { store }) => {
    const r1 = await store.put('profiles', 'p.1', 'gone soon')
    await store.put('profiles', 'p.2', 'stays')
    await store.delete('profiles', 'p.1')
    t.equal(await store.get('profiles', 'p.1'), undefined)
    t.strictSame(
      (await store.list('profiles', 'p.')).map((e) => e.key),
      ['p.2'],
    )
    t.equal(await store.update('profiles', 'p.1', 'revived', r1), false, 'pre-delete revision refused')
    await store.delete('profiles', 'never.there')
    const r2 = await store.create('profiles', 'p.1', 'again')
    t.ok(r2 !== false && r2 > r1, 'create after delete succeeds with a newer revision')
    t.equal((await store.get('profiles', 'p.1'))?.value, 'again')
  })

  check('list returns live entries starting with the prefix, in key order', async (t, { store }) => {
    const keys = ['a', 'a-x', 'a.1', 'a.B', 'a.a', 'a.b', 'a.c.d', 'ab', 'b.a']
    const revisions = new Map<string, number>()
    for (const key of [...keys].reverse()) revisions.set(key, await store.put('sites', key, key.toUpperCase()))
    await store.put('campaigns', 'a.other-bucket', 1)
    const listed = async (prefix: string) => (await store.list('sites', prefix)).map((e) => e.key)
    t.strictSame(await listed(''), keys)
    t.strictSame(await listed('a'), ['a', 'a-x', 'a.1', 'a.B', 'a.a', 'a.b', 'a.c.d', 'ab'])
    t.strictSame(await listed('a.'), ['a.1', 'a.B', 'a.a', 'a.b', 'a.c.d'])
    t.strictSame(await listed('a.b'), ['a.b'])
    t.strictSame(await listed('a.c'), ['a.c.d'])
    t.strictSame(await listed('zz'), [])
    t.strictSame(await store.list('sites', 'a.c.'), [
      { key: 'a.c.d', value: 'A.C.D', revision: revisions.get('a.c.d') },
    ])
  })

  check(
    'scan returns what list returns: live entries, latest values, key order, past one read batch',
    async (t, { store }) => {
      t.strictSame(await store.scan('search', ''), [], 'empty bucket')
      const keys = Array.from({ length: 300 }, (_, i) => `s.${String(i).padStart(3, '0')}`)
      await Promise.all(keys.map((key) => store.put('search', key, { key })))
      await store.put('search', 's.007', { key: 's.007', again: true })
      await store.delete('search', 's.011')
      await store.put('search', 'other.1', 1)
      const listed = await store.list('search', 's.')
      t.equal(listed.length, 299)
      t.strictSame(await store.scan('search', 's.'), listed)
      t.match(
        listed.find((e) => e.key === 's.007'),
        { value: { again: true } },
      )
      t.strictSame(
        (await store.scan('search', 'o')).map((e) => e.key),
        ['other.1'],
      )
      t.strictSame(await store.scan('search', 'zz.'), [])
    },
  )

  check('logs: seqs start at 1 and read returns records after a seq', async (t, { store }) => {
    t.strictSame(await store.read('conv.1', 0), [])
    t.equal(await store.append('conv.1', 'one'), 1)
    t.equal(await store.append('conv.1', 'two'), 2)
    t.equal(await store.append('conv.1', { three: 3 }), 3)
    t.equal(await store.append('conv.1.x', 'other log'), 1, 'a longer key is another log')
    t.equal(await store.append('conv.10', 'other log'), 1)
    t.strictSame(await store.read('conv.1', 0), [
      { seq: 1, value: 'one' },
      { seq: 2, value: 'two' },
      { seq: 3, value: { three: 3 } },
    ])
    t.strictSame(await store.read('conv.1', 2), [{ seq: 3, value: { three: 3 } }])
    t.strictSame(await store.read('conv.1', 3), [])
    t.strictSame(await store.read('conv.1', 99), [])
    t.strictSame(await store.read('conv.1.x', 0), [{ seq: 1, value: 'other log' }])
  })

  check('concurrent appends get distinct, dense, increasing seqs', async (t, { store, peer }) => {
    const stores = [store, peer ?? store]
    const seqs = await Promise.all(Array.from({ length: 30 }, (_, i) => stores[i % 2]!.append('busy', i)))
    t.strictSame(
      [...seqs].sort((a, b) => a - b),
      Array.from({ length: 30 }, (_, i) => i + 1),
    )
    const records = await store.read('busy', 0)
    t.strictSame(
      records.map((r) => r.seq),
      Array.from({ length: 30 }, (_, i) => i + 1),
    )
    for (const [i, seq] of seqs.entries()) t.equal(records[seq - 1]?.value, i, `append ${i} is record ${seq}`)
    if (peer !== undefined) t.strictSame(await peer.read('busy', 28), records.slice(28), 'the peer reads the same log')
  })

  check('keys outside the alphabet throw StoreKeyError', async (t, { store }) => {
    for (const key of BAD_KEYS) {
      const label = JSON.stringify(key.slice(0, 10))
      await t.rejects(store.get('sites', key), StoreKeyError, `get ${label}`)
      await t.rejects(store.put('sites', key, 1), StoreKeyError, `put ${label}`)
      await t.rejects(store.create('sites', key, 1), StoreKeyError, `create ${label}`)
      await t.rejects(store.update('sites', key, 1, 1), StoreKeyError, `update ${label}`)
      await t.rejects(store.delete('sites', key), StoreKeyError, `delete ${label}`)
      await t.rejects(store.append(key, 1), StoreKeyError, `append ${label}`)
      await t.rejects(store.read(key, 0), StoreKeyError, `read ${label}`)
    }
    for (const prefix of ['.a', 'a..', 'a b', '*', '>', 'a.>']) {
      await t.rejects(store.list('sites', prefix), StoreKeyError, `list ${JSON.stringify(prefix)}`)
    }
    t.strictSame(await store.list('sites', ''), [], 'nothing was written')
  })

  check('a peer sees writes at once (read-your-writes across handles)', async (t, { store, peer }) => {
    if (peer === undefined) {
      t.pass('single-handle implementation')
      return
    }
    const r1 = await store.put('sites', 'shared', 'from store')
    t.strictSame(await peer.get('sites', 'shared'), { key: 'shared', value: 'from store', revision: r1 })
    const r2 = await peer.update('sites', 'shared', 'from peer', r1)
    t.strictSame(await store.get('sites', 'shared'), { key: 'shared', value: 'from peer', revision: r2 })
    await peer.delete('sites', 'shared')
    t.equal(await store.get('sites', 'shared'), undefined)
    t.strictSame(await store.list('sites', ''), [])
  })

  check('data survives close and reopen', async (t, { store, reopen }) => {
    if (reopen === undefined) {
      t.pass('not reopenable')
      return
    }
    const r1 = await store.put('sites', 'kept', { v: 1 })
    await store.put('sites', 'dropped', 1)
    await store.delete('sites', 'dropped')
    await store.append('log.kept', 'first')
    await store.close()
    const again = await reopen()
    t.strictSame(await again.get('sites', 'kept'), { key: 'kept', value: { v: 1 }, revision: r1 })
    t.equal(await again.get('sites', 'dropped'), undefined)
    t.strictSame(await again.read('log.kept', 0), [{ seq: 1, value: 'first' }])
    t.equal(await again.append('log.kept', 'second'), 2, 'seqs continue')
    const r2 = await again.update('sites', 'kept', { v: 2 }, r1)
    t.ok(r2 !== false && r2 > r1, 'the revision read before closing still updates, and grows')
  })

  check('deleteLog erases one log; the others stay', async (t, { store }) => {
    await store.append('erase.a', 'one')
    await store.append('erase.a', 'two')
    await store.append('erase.b', 'kept')
    await store.deleteLog('erase.a')
    t.strictSame(await store.read('erase.a', 0), [])
    t.strictSame(await store.read('erase.b', 0), [{ seq: 1, value: 'kept' }])
    await store.deleteLog('erase.never')
    t.pass('deleting a missing log is fine')
  })

  check('a read racing with deleteLog returns what was there or nothing, never hangs', async (t, { store }) => {
    for (let round = 0; round < 6; round++) {
      const log = `race.${round}`
      await store.append(log, 'gone soon')
      const reads = Array.from({ length: 5 }, () => store.read(log, 0))
      await store.deleteLog(log)
      const results = await Promise.all(reads)
      t.ok(
        results.every((r) => r.length === 0 || (r.length === 1 && r[0]?.value === 'gone soon')),
        `round ${round}`,
      )
    }
  })

  check('bytes() measures the stored data', async (t, { store }) => {
    const before = await store.bytes()
    t.ok(Number.isSafeInteger(before) && before >= 0)
    for (let i = 0; i < 50; i++) await store.put('profiles', `big.${i}`, { pad: 'x'.repeat(4000) })
    t.ok((await store.bytes()) > before + 100_000, 'grows with what is written')
  })

  check('retention: entries and log records past their max age vanish, other buckets stay', async (t, f) => {
    const store = await f.withOptions({ maxAgeMs: { profiles: 1000, logs: 1000 } })
    await store.put('profiles', 'old.1', { v: 1 })
    await store.put('sites', 'forever', { v: 1 })
    await store.append('old.log', 'message')
    t.ok(await store.get('profiles', 'old.1'), 'there at first')
    await until('the profile expires', async () => (await store.get('profiles', 'old.1')) === undefined)
    await until('the log record expires', async () => (await store.read('old.log', 0)).length === 0)
    t.strictSame((await store.get('sites', 'forever'))?.value, { v: 1 }, 'a bucket without max age keeps its entries')
    t.strictSame(await store.list('profiles', ''), [], 'list agrees')
  })
}
