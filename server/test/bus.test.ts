import t from 'tap'
import type { Status } from '@nats-io/transport-node'
import { MemoryBus } from '../src/bus/memory_bus.js'
import { NatsBus } from '../src/bus/nats_bus.js'
import { busContract, Inbox } from './bus_contract.js'
import { startNatsServer } from './support/nats_server.js'

busContract(t, 'MemoryBus', async () => {
  const logged: string[] = []
  const bus = new MemoryBus({ log: (msg) => logged.push(msg) })
  return { bus, logged, cleanup: () => bus.close() }
})

t.test('NatsBus on nats-server', async (t) => {
  const server = await startNatsServer({ jetstream: false })
  t.teardown(() => server.close())

  busContract(t, 'NatsBus', async () => {
    const logged: string[] = []
    const log = (msg: string) => logged.push(msg)
    const [bus, peer] = await Promise.all([
      NatsBus.connect({ servers: server.url, name: 'contract', log }),
      NatsBus.connect({ servers: server.url, name: 'contract-peer', log }),
    ])
    return { bus, peer, logged, cleanup: async () => void (await Promise.all([bus.close(), peer.close()])) }
  })

  t.test('a queue group spread over two connections gets each message once', async (t) => {
    const [a, b] = await Promise.all([
      NatsBus.connect({ servers: server.url }),
      NatsBus.connect({ servers: server.url }),
    ])
    t.teardown(() => Promise.all([a.close(), b.close()]))
    const group = new Inbox()
    const members = [a, b].map((bus) => {
      const member = new Inbox()
      bus.subscribe(
        'work.*',
        (msg, subject) => {
          member.handler(msg, subject)
          group.handler(msg, subject)
        },
        { queue: 'workers' },
      )
      return member
    })
    await Promise.all([a.flush(), b.flush()])
    for (let i = 0; i < 100; i++) a.publish('work.item', i)
    await group.count(100)
    t.strictSame(
      (group.messages as number[]).sort((x, y) => x - y),
      Array.from({ length: 100 }, (_, i) => i),
    )
    t.ok(
      members.every((m) => m.received.length > 0),
      'both connections got work',
    )
  })
})

t.test('NatsBus keeps working after nats-server restarts on the same port', async (t) => {
  const server = await startNatsServer({ jetstream: false })
  t.teardown(() => server.close())
  const logged: string[] = []
  const log = (msg: string) => logged.push(msg)
  const [a, b] = await Promise.all([
    NatsBus.connect({ servers: server.url, log }),
    NatsBus.connect({ servers: server.url, log }),
  ])
  t.teardown(() => Promise.all([a.close(), b.close()]))
  const inbox = new Inbox()
  b.subscribe('restart.x', inbox.handler)
  await b.flush()
  a.publish('restart.x', 'before')
  await inbox.count(1)

  const reconnected = Promise.all([a, b].map((bus) => nextStatus(bus, 'reconnect')))
  await server.kill()
  await server.restart()
  await reconnected
  await b.flush() // b's subscription is registered again before a publishes
  a.publish('restart.x', 'after')
  await inbox.count(2)
  t.strictSame(inbox.messages, ['before', 'after'])
  t.ok(
    logged.some((line) => line.includes('reconnected')),
    'the reconnect was logged',
  )
})

async function nextStatus(bus: NatsBus, type: Status['type']): Promise<void> {
  for await (const status of bus.nc.status()) if (status.type === type) return
}
