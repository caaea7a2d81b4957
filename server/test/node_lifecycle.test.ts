import t from 'tap'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CLOSE_CODE } from '../../shared/src/protocol.js'
import { ADMIN_TOKEN, ORIGIN, SITE_SECRET, startNode } from './support/test_node.js'
import { TestClient } from './support/test_client.js'
import { startNodeProcess } from './support/node_process.js'

t.test('profiles survive a restart', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'beckon-restart-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  let n = await startNode({ BECKON_VISIT_GAP_SECONDS: '1', BECKON_LINGER_SECONDS: '0' }, dir)
  await n.site()
  const first = await n.visitor()
  first.client.send({ t: 'contact', name: 'Lin' })
  first.client.send({ t: 'page', url: 'https://shop.example/p', title: 'P' })
  await first.client.close()
  await n.stop()

  n = await startNode({ BECKON_VISIT_GAP_SECONDS: '1', BECKON_LINGER_SECONDS: '0' }, dir)
  t.teardown(() => n.stop())
  const same = await n.visitor({
    token: first.welcome.token,
    reconnect: true,
    page: { url: 'https://shop.example/p', title: 'P' },
  })
  t.equal(same.welcome.visitor, first.welcome.visitor, 'the site and the visitor came back from disk')
  t.equal(same.welcome.resumed, true)
  t.equal(same.welcome.visit, 1, 'reconnecting within the gap continues the visit')
  const live = n.node.hub.get('shop', first.welcome.visitor)
  t.equal(live?.facts.get('visitor.name'), 'Lin')
  t.equal(live?.facts.get('visit.pageViews'), 2, 'a reconnect of the same page is not a new view')
  t.equal(live?.facts.get('visitor.returning'), false)
  const closedAt = Date.now()
  await same.client.close()

  // The gap is a duration with nothing connected: wait it out, then the next tab opens visit 2.
  await new Promise((resolve) => setTimeout(resolve, 1100 - (Date.now() - closedAt)))
  const later = await n.visitor({ token: first.welcome.token })
  t.equal(later.welcome.visit, 2)
  const next = n.node.hub.get('shop', first.welcome.visitor)
  t.equal(next?.facts.get('visitor.visits'), 2)
  t.equal(next?.facts.get('visitor.returning'), true)
  t.equal(next?.facts.get('visit.pageViews'), 1)
  await later.client.close()
})

t.test('health, readiness and metrics', async (t) => {
  const n = await startNode()
  t.teardown(() => n.stop())
  await n.site()
  const { client } = await n.visitor()
  client.send({ t: 'page', url: 'https://shop.example/a', title: 'A' })
  client.send({ t: 'nope' })
  await client.next('error')
  t.same(await (await fetch(`${n.base}/healthz`)).json(), { ok: true, node: n.config.nodeId })
  t.equal((await fetch(`${n.base}/readyz`)).status, 200)
  const metrics = await (await fetch(`${n.base}/metrics`)).text()
  t.match(metrics, /beckon_sockets\{role="visitor",node="[^"]+"\} 1/)
  t.match(metrics, /beckon_frames_in_total\{role="visitor",type="hello"/)
  t.match(metrics, /beckon_event_seconds_count\{node="[^"]+"\} 1\b/, 'the page event was timed')
  t.match(metrics, /beckon_error_frames_total\{code="unknown_type",node="[^"]+"\} 1\b/)
  t.match(metrics, /process_resident_memory_bytes/)
  const missing = await fetch(`${n.base}/nothing-here`)
  t.equal(missing.status, 404)
  t.match(await missing.json(), { error: { code: 'not_found' } })
  await client.close()
})

t.test('admin site API', async (t) => {
  const n = await startNode()
  t.teardown(() => n.stop())
  let res = await n.admin('PUT', '/v1/sites/acme', {
    name: 'Acme',
    origins: ['https://acme.example'],
    secret: SITE_SECRET,
    departments: ['sales'],
  })
  t.equal(res.status, 201)
  t.notOk('secret' in res.body, 'secret is never returned')
  res = await n.admin('PUT', '/v1/sites/acme', {
    name: 'Acme 2',
    origins: ['https://acme.example'],
    secret: SITE_SECRET,
  })
  t.equal(res.status, 200)
  res = await n.admin('GET', '/v1/sites/acme')
  t.same(res.body, { id: 'acme', name: 'Acme 2', origins: ['https://acme.example'], departments: [] })
  res = await n.admin('PUT', '/v1/sites/acme', {
    name: 'x',
    origins: ['https://acme.example/path'],
    secret: SITE_SECRET,
  })
  t.match(res, { status: 400, body: { error: { code: 'invalid_site', path: 'origins.0' } } })
  res = await n.admin('PUT', '/v1/sites/acme', { name: 'x', origins: [], secret: 'short' })
  t.match(res, { status: 400, body: { error: { path: 'secret' } } })
  res = await n.admin('PUT', '/v1/sites/Bad%20Id', { name: 'x', origins: [], secret: SITE_SECRET })
  t.match(res, { status: 400, body: { error: { path: 'site' } } })
  res = await n.admin('PUT', '/v1/sites/acme', '{"name":')
  t.match(res, { status: 400, body: { error: { code: 'invalid_json' } } })
  res = await n.admin('PUT', '/v1/sites/acme', { name: 'x'.repeat(300 * 1024), origins: [], secret: SITE_SECRET })
  t.match(res, { status: 413, body: { error: { code: 'body_too_large' } } })
  res = await n.admin('GET', '/v1/sites/ghost')
  t.equal(res.status, 404)
  res = await n.admin('DELETE', '/v1/sites/acme')
  t.equal(res.status, 405)
  const anonymous = await fetch(`${n.base}/v1/sites/acme`)
  t.equal(anonymous.status, 401)
  const wrong = await fetch(`${n.base}/v1/sites/acme`, { headers: { authorization: 'Bearer wrong-token-wrong-token' } })
  t.equal(wrong.status, 401)

  const off = await startNode({ BECKON_ADMIN_TOKEN: '' })
  t.teardown(() => off.stop())
  const disabled = await fetch(`${off.base}/v1/sites/acme`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
  t.equal(disabled.status, 404)
  t.match(await disabled.json(), { error: { code: 'admin_disabled' } })
})

t.test('SIGTERM drains: sockets are told to reconnect and the process exits 0', async (t) => {
  const proc = await startNodeProcess()
  t.teardown(() => proc.kill())
  await fetch(`${proc.base}/v1/sites/shop`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    body: JSON.stringify({ name: 'Shop', origins: [ORIGIN], secret: SITE_SECRET }),
  })
  const client = await TestClient.connect(`${proc.ws}/v1/visitor?site=shop`, { origin: ORIGIN })
  client.send({ t: 'hello', page: { url: 'https://shop.example/', title: '' } })
  await client.next('welcome')
  proc.child.kill('SIGTERM')
  t.match(await client.closed, { code: CLOSE_CODE.serviceRestart })
  t.equal(await proc.exited, 0)
})
