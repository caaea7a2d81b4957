import t from 'tap'
import { operatorRequest } from './support/operator_request.js'
import { startTwoNodes } from './support/test_cluster.js'
import { startNode } from './support/test_node.js'

const PATH = '/v1/sites/shop/canned'
const writer = { id: 'lead', perms: ['manage_canned'] }
const reader = { id: 'ann' }

t.test('canned responses on one node', async (t) => {
  const n = await startNode({ BECKON_MAX_CANNED_RESPONSES: '2', BECKON_MAX_CANNED_TITLE_LENGTH: '20' })
  t.teardown(() => n.stop())
  await n.site()
  await n.site('other')

  t.test('writes need manage_canned; every operator of the site reads', async (t) => {
    const denied = await operatorRequest(n, 'PUT', `${PATH}/hello`, reader, { title: 'Hello', text: 'Hi!' })
    t.equal(denied.status, 403)
    t.match(denied.body, { error: { code: 'forbidden', message: /manage_canned/ } })
    const created = await operatorRequest(n, 'PUT', `${PATH}/hello`, writer, {
      title: 'Hello',
      text: 'Hi {{visitor.name|there}}, how can I help?',
    })
    t.equal(created.status, 201)
    t.match(created.body, { id: 'hello', title: 'Hello', updatedBy: 'lead', updatedAt: /^\d{4}-/ })
    const list = await operatorRequest(n, 'GET', PATH, reader)
    t.equal(list.status, 200)
    t.match(list.body.canned, [{ id: 'hello', text: 'Hi {{visitor.name|there}}, how can I help?' }])
    t.equal((await operatorRequest(n, 'GET', `${PATH}/hello`, reader)).body.title, 'Hello')
    const replaced = await operatorRequest(n, 'PUT', `${PATH}/hello`, writer, { title: 'Hello', text: 'Hi!' })
    t.equal(replaced.status, 200, 'a replace is 200')
    t.equal((await n.admin('GET', `${PATH}/hello`)).body.text, 'Hi!', 'the admin token reads too')
    const foreign = await operatorRequest(n, 'GET', PATH, { id: 'eve', site: 'other' })
    t.equal(foreign.status, 403, "another site's operator is refused")
    t.strictSame((await operatorRequest(n, 'GET', '/v1/sites/other/canned', { id: 'eve', site: 'other' })).body, {
      canned: [],
    })
  })

  t.test('bad input is 400 with the path of the bad value', async (t) => {
    const cases: Array<[string, unknown, string]> = [
      ['ok', { title: '', text: 'x' }, 'title'],
      ['ok', { title: 'x'.repeat(21), text: 'x' }, 'title'],
      ['ok', { title: 'T', text: '   ' }, 'text'],
      ['ok', { title: 'T', text: 'x'.repeat(4001) }, 'text'],
      ['ok', { title: 'T', text: 'Hi {{visitor.nmae}}' }, 'text'],
      ['ok', { title: 'T', text: 'x', colour: 'red' }, ''],
      ['ok', 'not an object', ''],
      ['No%20Spaces', { title: 'T', text: 'x' }, 'id'],
    ]
    for (const [id, body, path] of cases) {
      const res = await operatorRequest(n, 'PUT', `${PATH}/${id}`, writer, body)
      t.equal(res.status, 400, `${id} ${JSON.stringify(body)}`)
      t.equal(res.body?.error?.code, 'invalid_canned')
      t.equal(res.body?.error?.path, path, `path of ${JSON.stringify(body)}`)
    }
    t.equal((await operatorRequest(n, 'GET', `${PATH}/ok`, reader)).status, 404, 'nothing stored')
  })

  t.test('a site keeps at most BECKON_MAX_CANNED_RESPONSES; delete frees a slot', async (t) => {
    t.equal((await operatorRequest(n, 'PUT', `${PATH}/bye`, writer, { title: 'Bye', text: 'Bye!' })).status, 201)
    const third = await operatorRequest(n, 'PUT', `${PATH}/third`, writer, { title: 'T', text: 'x' })
    t.equal(third.status, 409)
    t.equal(third.body.error.code, 'too_many_canned')
    t.equal((await operatorRequest(n, 'PUT', `${PATH}/bye`, writer, { title: 'Bye', text: 'Ciao' })).status, 200)
    t.equal((await operatorRequest(n, 'DELETE', `${PATH}/bye`, reader)).status, 403, 'delete needs manage_canned')
    t.strictSame((await operatorRequest(n, 'DELETE', `${PATH}/bye`, writer)).body, { id: 'bye', deleted: true })
    t.equal((await operatorRequest(n, 'DELETE', `${PATH}/bye`, writer)).status, 404)
    t.equal((await operatorRequest(n, 'PUT', `${PATH}/third`, writer, { title: 'T', text: 'x' })).status, 201)
    t.strictSame(
      (await operatorRequest(n, 'GET', PATH, reader)).body.canned.map((c: { id: string }) => c.id),
      ['hello', 'third'],
    )
  })
})

t.test('canned responses are shared by every node of a cluster', async (t) => {
  const { a, b } = await startTwoNodes(t, 'canned')
  await a.site()
  const put = await operatorRequest(a, 'PUT', `${PATH}/refund`, writer, {
    title: 'Refund',
    text: 'Refunds take 3 days.',
  })
  t.equal(put.status, 201)
  const seen = await operatorRequest(b, 'GET', PATH, reader)
  t.match(seen.body.canned, [{ id: 'refund', text: 'Refunds take 3 days.' }], 'node b reads what node a wrote')
  t.equal((await operatorRequest(b, 'DELETE', `${PATH}/refund`, writer)).status, 200)
  t.strictSame((await operatorRequest(a, 'GET', PATH, reader)).body.canned, [], 'and a sees b delete it')
})
