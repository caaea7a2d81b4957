import { SignJWT } from 'jose'
import t from 'tap'
import { CLOSE_CODE } from '../../shared/src/protocol.js'
import { signOperatorToken } from '../src/operator/operator_token.js'
import { startTwoNodes } from './support/test_cluster.js'
import { ORIGIN, SITE_SECRET, startNode, type TestNode } from './support/test_node.js'
import { TestClient } from './support/test_client.js'
import { until } from './support/until.js'

const NEW_SECRET = 'rotated-secret-0123456789abcdef'

function rawToken(claims: { exp?: number; iat?: number }, secret = SITE_SECRET): Promise<string> {
  let jwt = new SignJWT({ site: 'shop' }).setProtectedHeader({ alg: 'HS256' }).setSubject('ann')
  if (claims.iat !== undefined) jwt = jwt.setIssuedAt(claims.iat)
  if (claims.exp !== undefined) jwt = jwt.setExpirationTime(claims.exp)
  return jwt.sign(new TextEncoder().encode(secret))
}

async function authed(n: TestNode, token: string): Promise<TestClient> {
  const client = await TestClient.connect(`${n.ws}/v1/operator`)
  client.send({ t: 'auth', token })
  await client.next('ready')
  return client
}

async function refused(n: TestNode, token: string): Promise<string> {
  const client = await TestClient.connect(`${n.ws}/v1/operator`)
  client.send({ t: 'auth', token })
  const closed = await client.closed
  if (closed.code !== CLOSE_CODE.unauthorized) throw new Error(`closed with ${closed.code} ${closed.reason}`)
  return closed.reason
}

t.test('operator tokens must carry exp within BECKON_MAX_OPERATOR_TOKEN_SECONDS', async (t) => {
  const n = await startNode({ BECKON_MAX_OPERATOR_TOKEN_SECONDS: '3600' })
  t.teardown(() => n.stop())
  await n.site()
  const now = Math.floor(Date.now() / 1000)
  t.match(await refused(n, await rawToken({})), /exp/, 'no exp: refused')
  t.match(await refused(n, await rawToken({ exp: now + 7200 })), /longer than 3600/, 'exp - now over the cap')
  t.match(await refused(n, await rawToken({ iat: now - 3000, exp: now + 1200 })), /longer than 3600/, 'exp - iat over')
  const ok = await authed(n, await rawToken({ iat: now, exp: now + 3500 }))
  await ok.close()
  const bearer = await rawToken({ exp: now + 7200 })
  const res = await fetch(`${n.base}/v1/sites/shop/campaigns`, { headers: { authorization: `Bearer ${bearer}` } })
  t.equal(res.status, 401, 'the same rule holds for operator bearers on the HTTP routes')
})

t.test('two nodes on one nats-server: site changes apply everywhere before PUT returns', async (t) => {
  const { a, b } = await startTwoNodes(t, 'ryw')
  await until('both nodes alive', async () => (await b.node.liveness.aliveNodes()).length === 2)

  t.test('a site PUT on B is usable on A at once (create and update)', async (t) => {
    const misses: string[] = []
    for (let i = 0; i < 30; i++) {
      const id = `ryw-${i}`
      const put = await b.admin('PUT', `/v1/sites/${id}`, { name: id, origins: [ORIGIN], secret: SITE_SECRET })
      t.equal(put.status, 201)
      const visitor = await TestClient.connect(`${a.ws}/v1/visitor?site=${id}`, { origin: ORIGIN }).catch(
        (error: Error) => error,
      )
      if (visitor instanceof TestClient) await visitor.close()
      else misses.push(`${id}: ${visitor.message}`)
      // An update too: the new origin is allowed on A as soon as the PUT on B returned.
      const origin = `https://new-${i}.example`
      await b.admin('PUT', `/v1/sites/${id}`, { name: id, origins: [origin], secret: SITE_SECRET })
      const updated = await TestClient.connect(`${a.ws}/v1/visitor?site=${id}`, { origin }).catch(
        (error: Error) => error,
      )
      if (updated instanceof TestClient) await updated.close()
      else misses.push(`${id} update: ${updated.message}`)
    }
    t.same(misses, [], 'no upgrade on A missed a site just written on B')
  })

  t.test('a campaign PUT or DELETE on B is served by A at once', async (t) => {
    await b.site('shop')
    const misses: string[] = []
    for (let i = 0; i < 30; i++) {
      const id = `c-${i}`
      await b.admin('PUT', `/v1/sites/shop/campaigns/${id}`, {
        name: id,
        when: { field: 'page.url', op: 'contains', value: `/p${i}` },
        message: { text: `text ${i}` },
      })
      const got = await a.admin('GET', `/v1/sites/shop/campaigns/${id}`)
      if (got.status !== 200) misses.push(`${id}: ${got.status}`)
      await b.admin('DELETE', `/v1/sites/shop/campaigns/${id}`)
      const gone = await a.admin('GET', `/v1/sites/shop/campaigns/${id}`)
      if (gone.status !== 404) misses.push(`${id} deleted: ${gone.status}`)
    }
    t.same(misses, [])
  })

  t.test('rotating the secret closes the site operator sessions on every node with 4001', async (t) => {
    await b.site('shop')
    const site = a.node.sites.get('shop')
    if (!site) throw new Error('no site')
    const onA = await authed(a, await signOperatorToken(site, { id: 'ann' }))
    const onB = await authed(b, await signOperatorToken(site, { id: 'bob' }))
    await b.site('shop', { name: 'Renamed shop' })
    t.equal(onA.ws.readyState, onA.ws.OPEN, 'an update that keeps the secret keeps sessions')
    const put = await b.admin('PUT', '/v1/sites/shop', {
      name: 'Shop',
      origins: [ORIGIN],
      secret: NEW_SECRET,
      departments: ['sales', 'support'],
    })
    t.equal(put.status, 200)
    for (const [client, node] of [
      [onA, a],
      [onB, b],
    ] as const) {
      t.match(
        await client.closed,
        { code: CLOSE_CODE.unauthorized, reason: /rotated/ },
        `closed on ${node.config.nodeId}`,
      )
    }
    t.match(await refused(a, await signOperatorToken(site, { id: 'ann' })), /signature/, 'old-secret tokens refused')
    const fresh = a.node.sites.get('shop')
    if (!fresh) throw new Error('no site')
    await (await authed(b, await signOperatorToken(fresh, { id: 'ann' }))).close()
    await b.site('shop')
  })

  t.test('DELETE .../operators/SUB/sessions ends that operator everywhere and refuses its older tokens', async (t) => {
    const site = a.node.sites.get('shop')
    if (!site) throw new Error('no site')
    const annToken = await signOperatorToken(site, { id: 'ann' })
    const annA = await authed(a, annToken)
    const annB = await authed(b, annToken)
    const bob = await authed(a, await signOperatorToken(site, { id: 'bob' }))
    t.teardown(() => bob.close())

    const noAuth = await fetch(`${b.base}/v1/sites/shop/operators/ann/sessions`, { method: 'DELETE' })
    t.equal(noAuth.status, 401)
    t.equal((await b.admin('DELETE', '/v1/sites/nope/operators/ann/sessions')).status, 404)
    t.equal((await b.admin('DELETE', '/v1/sites/shop/operators/bad%20id/sessions')).status, 400)
    const res = await b.admin('DELETE', '/v1/sites/shop/operators/ann/sessions')
    t.match(res, { status: 200, body: { site: 'shop', operator: 'ann', nodesMissing: [] } })
    t.match(await annA.closed, { code: CLOSE_CODE.unauthorized, reason: /ended by an admin/ })
    t.match(await annB.closed, { code: CLOSE_CODE.unauthorized })
    t.equal(bob.ws.readyState, bob.ws.OPEN, 'other operators keep their sessions')
    t.match(await refused(a, annToken), /revoked/, 'the revoked token cannot sign in again on A')
    t.match(await refused(b, annToken), /revoked/, 'nor on B')
    const later = Math.floor(Date.now() / 1000) + 1
    const renewed = new SignJWT({ site: 'shop' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('ann')
      .setIssuedAt(later)
      .setExpirationTime(later + 3600)
    await (await authed(a, await renewed.sign(new TextEncoder().encode(SITE_SECRET)))).close()
    t.pass('a token issued after the revocation works')
    // A site PUT keeps the revocation.
    await b.site('shop')
    t.match(await refused(a, annToken), /revoked/)
  })
})
