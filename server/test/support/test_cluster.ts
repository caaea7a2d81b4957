import type { Test } from 'tap'
import { startNatsServer, type NatsServerHandle } from './nats_server.js'
import { startNode, type TestNode } from './test_node.js'

/**
 * A real nats-server and two nodes `<prefix>-a`, `<prefix>-b` on it, stopped when `t` ends;
 * fast visitor feeds and refreshes so cluster tests wait little.
 */
export async function startTwoNodes(
  t: Test,
  prefix: string,
  env: Record<string, string> = {},
): Promise<{ nats: NatsServerHandle; a: TestNode; b: TestNode }> {
  const nats = await startNatsServer()
  t.teardown(() => nats.close())
  const shared = {
    BECKON_NATS_URL: nats.url,
    BECKON_FEED_INTERVAL_MS: '20',
    BECKON_REFRESH_SECONDS: '1',
    BECKON_LINGER_SECONDS: '0',
    ...env,
  }
  const a = await startNode({ ...shared, BECKON_NODE_ID: `${prefix}-a` })
  const b = await startNode({ ...shared, BECKON_NODE_ID: `${prefix}-b` })
  t.teardown(async () => {
    await a.stop()
    await b.stop()
  })
  return { nats, a, b }
}
