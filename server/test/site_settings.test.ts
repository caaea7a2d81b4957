import t from 'tap'
import { signOperatorToken } from '../src/operator/operator_token.js'
import { ORIGIN, startNode, type TestNode } from './support/test_node.js'
import { TestClient } from './support/test_client.js'
import { until } from './support/until.js'

const ALL_DAY = Object.fromEntries(
  ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => [d, [['00:00', '24:00']]]),
)

async function asOperator(n: TestNode, method: string, perms: string[], body?: unknown) {
  const site = n.node.sites.get('shop')
  if (!site) throw new Error('no site')
  const token = await signOperatorToken(site, { id: 'lead', name: 'Lead', perms })
  const res = await fetch(`${n.base}/v1/sites/shop/settings`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await res.text()
  return { status: res.status, body: text ? JSON.parse(text) : undefined, text }
}

t.test('site settings', async (t) => {
  const n = await startNode()
  t.teardown(() => n.stop())
  await n.site()

  t.test('operators need manage_site; the admin token works', async (t) => {
    const denied = await asOperator(n, 'GET', [])
    t.equal(denied.status, 403)
    t.match(denied.body, { error: { code: 'forbidden', message: /manage_site/ } })
    t.equal((await asOperator(n, 'PATCH', [], { departments: ['x'] })).status, 403, 'PATCH too')
    t.equal(n.node.sites.get('shop')?.departments.includes('x'), false, 'nothing changed')
    const read = await asOperator(n, 'GET', ['manage_site'])
    t.equal(read.status, 200)
    t.strictSame(read.body, {
      site: 'shop',
      origins: [ORIGIN],
      departments: ['sales', 'support'],
      hours: null,
      webhook: null,
    })
    t.equal((await n.admin('GET', '/v1/sites/shop/settings')).status, 200)
  })

  t.test('bad input is 400 with the path of the bad value', async (t) => {
    const cases: Array<[unknown, string]> = [
      [{ webhook: { url: 'ftp://example.com/x', secret: 'long-enough-secret-1' } }, 'webhook.url'],
      [{ webhook: { url: 'https://user:pw@example.com/x', secret: 'long-enough-secret-1' } }, 'webhook.url'],
      [{ webhook: { url: 'https://example.com/x', secret: 'short' } }, 'webhook.secret'],
      [{ webhook: { url: 'https://example.com/x' } }, 'webhook.secret'],
      [{ hours: { tz: 'Mars/Base', week: {} } }, 'hours.tz'],
      [{ hours: { tz: 'Europe/Berlin', week: { mon: [['17:00', '09:00']] } } }, 'hours.week.mon.0.1'],
      [{ hours: { tz: 'Europe/Berlin', week: { mon: [['9', '17:00']] } } }, 'hours.week.mon.0.0'],
      [{ origins: ['https://example.com/path'] }, 'origins.0'],
      [{ departments: ['no spaces'] }, 'departments.0'],
      [{ colour: 'red' }, ''],
    ]
    for (const [body, path] of cases) {
      const res = await asOperator(n, 'PATCH', ['manage_site'], body)
      t.equal(res.status, 400, JSON.stringify(body))
      t.equal(res.body?.error?.path, path, `path of ${JSON.stringify(body)}`)
    }
  })

  t.test('the webhook secret is write-only; a URL change keeps it', async (t) => {
    const set = await asOperator(n, 'PATCH', ['manage_site'], {
      webhook: { url: 'http://127.0.0.1:9/hook', secret: 'hook-secret-0123456789' },
    })
    t.equal(set.status, 200)
    t.strictSame(set.body.webhook, { url: 'http://127.0.0.1:9/hook', hasSecret: true }, 'loopback allowed')
    t.notMatch(set.text, /hook-secret/)
    const moved = await asOperator(n, 'PATCH', ['manage_site'], { webhook: { url: 'https://hooks.example/b' } })
    t.equal(moved.status, 200)
    t.strictSame(n.node.sites.get('shop')?.webhook, {
      url: 'https://hooks.example/b',
      secret: 'hook-secret-0123456789',
    })
    const site = await n.admin('GET', '/v1/sites/shop')
    t.notMatch(JSON.stringify(site.body), /hook-secret/, 'the site GET hides it too')
    t.strictSame(site.body.webhook, { url: 'https://hooks.example/b', hasSecret: true })
    const cleared = await asOperator(n, 'PATCH', ['manage_site'], { webhook: null })
    t.equal(cleared.body.webhook, null)
    t.equal(n.node.sites.get('shop')?.webhook, undefined)
  })

  t.test('origins and departments apply at once', async (t) => {
    const other = 'https://other.example'
    const res = await asOperator(n, 'PATCH', ['manage_site'], { origins: [ORIGIN, other], departments: ['billing'] })
    t.equal(res.status, 200)
    t.strictSame(res.body.departments, ['billing'])
    const client = await TestClient.connect(`${n.ws}/v1/visitor?site=shop`, { origin: other })
    t.teardown(() => client.close())
    client.send({ t: 'hello', page: { url: 'https://other.example/', title: 'x' } })
    t.ok(await client.next('welcome'), 'the new origin may connect')
    t.equal(n.node.sites.get('shop')?.secret.length, 28, 'the site secret is kept')
  })

  t.test('campaign schedules without ranges of their own follow the business hours', async (t) => {
    for (const [id, hours, priority] of [
      ['in-hours', 'inside', 10],
      ['after-hours', 'outside', 1],
    ] as const) {
      const res = await n.admin('PUT', `/v1/sites/shop/campaigns/${id}`, {
        id,
        priority,
        schedule: { hours },
        message: { text: id },
      })
      t.equal(res.status, 201, `${id} accepted`)
    }
    const patch = await asOperator(n, 'PATCH', ['manage_site'], { hours: { tz: 'Pacific/Auckland', week: ALL_DAY } })
    t.strictSame(patch.body.hours, { tz: 'Pacific/Auckland', week: ALL_DAY })
    await until('recompiled', () => n.node.campaigns.engine('shop') !== undefined)
    const open = await n.visitor()
    t.teardown(() => open.client.close())
    t.equal((await open.client.next('invite')).text, 'in-hours', 'inside business hours')

    await asOperator(n, 'PATCH', ['manage_site'], { hours: null })
    await until('hours cleared', () => n.node.sites.get('shop')?.hours === undefined)
    const closed = await n.visitor()
    t.teardown(() => closed.client.close())
    t.equal((await closed.client.next('invite')).text, 'after-hours', 'no business hours: outside')
  })
})
