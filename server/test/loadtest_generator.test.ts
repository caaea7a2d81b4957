import t from 'tap'
import { ChatLoad } from '../../loadtest/generator/chat_load.js'
import { EventLoad } from '../../loadtest/generator/event_load.js'
import { OperatorLoad } from '../../loadtest/generator/operator_load.js'
import { ReconnectStorm } from '../../loadtest/generator/reconnect_storm.js'
import { setupLoadSite } from '../../loadtest/generator/site_setup.js'
import { VisitorLoad } from '../../loadtest/generator/visitor_load.js'
import { ADMIN_TOKEN, startNode } from './support/test_node.js'

t.test('the Node load generator against a real node', async (t) => {
  const node = await startNode({ BECKON_MAX_CONNECTIONS_PER_IP: '1000' })
  t.teardown(() => node.stop())
  const { operatorToken } = await setupLoadSite({
    base: node.base,
    adminToken: ADMIN_TOKEN,
    site: 'load',
    secret: 'load-test-secret-0123456789',
    inviteAfterSeconds: 1,
  })

  t.test('visitors browse and get one invitation per kb page view', async (t) => {
    const load = new VisitorLoad({
      url: node.ws,
      site: 'load',
      count: 5,
      pages: 2,
      kbShare: 1,
      dwellMs: [0, 0],
      inviteAfterSeconds: 1,
      spreadMs: 100,
    })
    t.equal((await load.connect()).connected, 5)
    const run = await load.run()
    await load.close()
    t.match(run, {
      pageViews: 10,
      invitesExpected: 10,
      invitesReceived: 10,
      invitesMissed: 0,
      invitesUnexpected: 0,
      closedByServer: 0,
    })
    t.equal(run.inviteLatencies.length, 10, 'a latency per invitation')
  })

  t.test('operators get a snapshot listing the connected visitors', async (t) => {
    // A site of its own: visitors of the other subtests linger on 'load'.
    const watch = await setupLoadSite({
      base: node.base,
      adminToken: ADMIN_TOKEN,
      site: 'watch',
      secret: 'watch-test-secret-0123456789',
      inviteAfterSeconds: 1,
    })
    const visitors = new VisitorLoad({ url: node.ws, site: 'watch', count: 3, pages: 0 })
    await visitors.connect()
    t.teardown(() => visitors.close())
    const ops = new OperatorLoad({
      url: node.ws,
      site: 'watch',
      token: watch.operatorToken,
      count: 2,
      durationMs: 500,
      concurrency: 2,
    })
    t.equal((await ops.connect()).connected, 2)
    const run = await ops.run()
    await ops.close()
    t.equal(run.snapshot?.count, 2)
    t.equal(run.listedAtEnd, 3, 'snapshot plus upserts list every visitor (the feed coalesces for 100 ms)')
  })

  t.test('a reconnect storm resumes every visitor with its token', async (t) => {
    const storm = new ReconnectStorm({
      url: node.ws,
      site: 'load',
      count: 10,
      rounds: 2,
      jitterMs: 50,
      pauseMs: 10,
      concurrency: 10,
    })
    t.equal((await storm.connect()).connected, 10)
    const run = await storm.run()
    await storm.close()
    t.match(run, { reconnects: 20, resumed: 20, failures: {} })
  })

  t.test('an operator chats with a visitor, every message arrives', async (t) => {
    const chat = new ChatLoad({
      operatorUrl: node.ws,
      visitorUrl: node.ws,
      site: 'load',
      token: operatorToken,
      messages: 5,
      intervalMs: 0,
    })
    await chat.connect()
    const run = await chat.run()
    await chat.close()
    t.equal(run.lost, 0)
    t.equal(run.operatorToVisitor?.count, 5)
    t.equal(run.visitorToOperator?.count, 5)
  })

  t.test('the event stream is acknowledged by beckon', async (t) => {
    const load = new EventLoad({
      url: `${node.ws}/v1/visitor?site=load`,
      site: 'load',
      count: 4,
      frames: 3,
      roundMs: 0,
      concurrency: 4,
    })
    t.equal((await load.connect()).connected, 4)
    const run = await load.run()
    await load.close()
    t.match(run, { events: 12, acknowledged: 4 })
  })

  t.test('counts refused sockets by reason instead of throwing', async (t) => {
    const load = new VisitorLoad({ url: node.ws, site: 'nope', count: 2, pages: 0 })
    const report = await load.connect()
    t.equal(report.connected, 0)
    t.same(report.failures, { 'http 404': 2 })
  })

  t.test('refuses targets off the loopback range', async (t) => {
    t.throws(() => new VisitorLoad({ url: 'ws://192.0.2.1:8080', site: 'load', count: 1 }), /loopback/)
  })
})
