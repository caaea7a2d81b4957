import { signOperatorToken } from '../../src/operator/operator_token.js'
import { TestClient } from './test_client.js'
import type { TestNode } from './test_node.js'

/** An operator socket of site `shop` on `n`, authenticated (and watching, unless `watch` is false). */
export async function connectOperator(
  n: TestNode,
  id: string,
  opts: { perms?: string[]; watch?: boolean } = {},
): Promise<TestClient> {
  const site = n.node.sites.get('shop')
  if (!site) throw new Error('no site')
  const client = await TestClient.connect(`${n.ws}/v1/operator`)
  client.send({ t: 'auth', token: await signOperatorToken(site, { id, name: id, perms: opts.perms ?? [] }) })
  await client.next('ready')
  if (opts.watch === false) return client
  client.send({ t: 'watch', site: 'shop' })
  await client.next('visitors')
  return client
}
