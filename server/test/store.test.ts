import t from 'tap'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect, type NatsConnection } from '@nats-io/transport-node'
import { NatsBus } from '../src/bus/nats_bus.js'
import { LmdbStore } from '../src/store/lmdb_store.js'
import { NatsStore } from '../src/store/nats_store.js'
import type { Store } from '../src/store/store.js'
import { storeContract } from './store_contract.js'
import { startNatsCluster, startNatsServer } from './support/nats_server.js'

storeContract(t, 'LmdbStore', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'beckon-lmdb-'))
  let store: Store = await LmdbStore.open(dir)
  return {
    store,
    reopen: async () => (store = await LmdbStore.open(dir)),
    withOptions: async (opts) => {
      await store.close()
      return (store = await LmdbStore.open(dir, { ...opts, sweepMs: 100 }))
    },
    cleanup: async () => {
      await store.close()
      await rm(dir, { recursive: true, force: true })
    },
  }
})

t.test('NatsStore on nats-server with JetStream', async (t) => {
  const server = await startNatsServer()
  t.teardown(() => server.close())
  const connections: NatsConnection[] = []
  t.teardown(() => Promise.all(connections.map((nc) => nc.close())))
  const [nc1, nc2] = await Promise.all([connect({ servers: server.url }), connect({ servers: server.url })])
  connections.push(nc1, nc2)
  let fixtures = 0

  storeContract(t, 'NatsStore', async () => {
    const prefix = `t${++fixtures}`
    const store = await NatsStore.open(nc1, { prefix })
    return {
      store,
      peer: await NatsStore.open(nc2, { prefix }),
      reopen: async () => {
        const nc = await connect({ servers: server.url })
        connections.push(nc)
        return NatsStore.open(nc, { prefix })
      },
      withOptions: (opts) => NatsStore.open(nc1, { prefix, ...opts }),
      cleanup: async () => {},
    }
  })
})

// nats-server 2.9 clusters check Nats-Expected-Last-Subject-Sequence against applied
// messages only; these races between writers on different nodes catch a store relying on it.
t.test('NatsStore on a 3-node JetStream cluster, writers on different nodes', async (t) => {
  const cluster = await startNatsCluster(3)
  t.teardown(() => cluster.close())
  const [nc1, nc3] = await Promise.all([connect({ servers: cluster.urls[0]! }), connect({ servers: cluster.urls[2]! })])
  t.teardown(() => Promise.all([nc1.close(), nc3.close()]))
  const a = await NatsStore.open(nc1, { replicas: 3 })
  const b = await NatsStore.open(nc3, { replicas: 3 })
  const rounds = Array.from({ length: 10 }, (_, i) => i)

  for (const round of rounds) {
    const key = `cas.${round}`
    const r1 = await a.put('stats', key, 'start')
    const results = await Promise.all([a, b, a, b].map((s, i) => s.update('stats', key, i, r1)))
    t.equal(results.filter((r) => r !== false).length, 1, `round ${round}: one update from revision ${r1} wins`)
  }

  for (const round of rounds) {
    const key = `put.${round}`
    const r1 = await a.put('stats', key, 'start')
    const [updated, put] = await Promise.all([b.update('stats', key, 'update', r1), a.put('stats', key, 'put')])
    t.ok(updated === false || put > updated, `round ${round}: a put cannot slip in before a winning update`)
  }

  for (const round of rounds) {
    const key = `del.${round}`
    const r1 = await a.put('stats', key, 'start')
    await Promise.all([b.update('stats', key, 'update', r1), a.delete('stats', key)])
    t.equal(await b.get('stats', key), undefined, `round ${round}: an update cannot revive a deleted key`)
  }

  const seqs = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? a : b).append('conv.race', i)))
  t.strictSame(
    [...seqs].sort((x, y) => x - y),
    Array.from({ length: 40 }, (_, i) => i + 1),
    'dense seqs',
  )
  const records = await b.read('conv.race', 0)
  t.strictSame(
    records.map((r) => r.value),
    Array.from({ length: 40 }, (_, seq) => seqs.indexOf(seq + 1)),
  )
  t.strictSame(await a.read('conv.race', 30), records.slice(30))
})

t.test('NatsStore keeps its data and works on through a nats-server crash and restart', async (t) => {
  const server = await startNatsServer()
  t.teardown(() => server.close())
  const bus = await NatsBus.connect({ servers: server.url, log: () => {} })
  t.teardown(() => bus.close())
  const store = await NatsStore.open(bus.nc, { prefix: 'crash' })
  const r1 = await store.put('sites', 'site.1', { name: 'kept' })
  await store.append('conv.1', 'first')

  const reconnected = (async () => {
    for await (const status of bus.nc.status()) if (status.type === 'reconnect') return
  })()
  await server.kill()
  await server.restart()
  await reconnected

  t.strictSame(await store.get('sites', 'site.1'), { key: 'site.1', value: { name: 'kept' }, revision: r1 })
  t.equal(await store.append('conv.1', 'second'), 2)
  t.strictSame(await store.read('conv.1', 0), [
    { seq: 1, value: 'first' },
    { seq: 2, value: 'second' },
  ])
})
