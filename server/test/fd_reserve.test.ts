import t from 'tap'
import { signOperatorToken } from '../src/operator/operator_token.js'
import { startNodeProcess } from './support/node_process.js'
import { ADMIN_TOKEN, ORIGIN, SITE_SECRET } from './support/test_node.js'
import { TestClient } from './support/test_client.js'

const OPEN_FILES = 256
const RESERVE = 128 // BECKON_FD_RESERVE's default

t.test('a node at its open-file limit refuses visitors with 503 and stays manageable', async (t) => {
  const node = await startNodeProcess(
    { BECKON_MAX_CONNECTIONS_PER_IP: '10000', BECKON_HELLO_TIMEOUT_MS: '600000' },
    { openFiles: OPEN_FILES },
  )
  t.teardown(() => node.kill())
  const admin = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }
  const site = { id: 'shop', name: 'Shop', origins: [ORIGIN], secret: SITE_SECRET, departments: [] }
  t.equal(
    (await fetch(`${node.base}/v1/sites/shop`, { method: 'PUT', headers: admin, body: JSON.stringify(site) })).status,
    201,
  )
  const metrics = await (await fetch(`${node.base}/metrics`)).text()
  t.match(metrics, new RegExp(`beckon_max_sockets\\{[^}]*\\} ${OPEN_FILES - RESERVE}\\n`), 'derived from ulimit -n')

  // Past the limit minus the reserve a visitor upgrade gets 503, never a hang or a dropped connection.
  const visitors: TestClient[] = []
  t.teardown(() => Promise.all(visitors.map((c) => c.ws.terminate())))
  const url = `${node.ws}/v1/visitor?site=shop`
  let refusal: { status: number; body: string } | undefined
  while (!refusal && visitors.length <= OPEN_FILES) {
    const batch = await Promise.all(
      Array.from({ length: 16 }, () =>
        TestClient.connect(url, { origin: ORIGIN }).catch((error: { status?: number; body?: string }) => error),
      ),
    )
    for (const result of batch) {
      if (result instanceof TestClient) visitors.push(result)
      else refusal ??= { status: result.status ?? 0, body: result.body ?? String(result) }
    }
  }
  t.equal(visitors.length, OPEN_FILES - RESERVE, 'exactly BECKON_MAX_SOCKETS visitor sockets')
  t.equal(refusal?.status, 503)
  t.match(JSON.parse(refusal?.body ?? '{}'), { error: { code: 'node_full', message: /BECKON_MAX_SOCKETS/ } })
  t.match(await TestClient.refusal(url, { origin: ORIGIN }), { status: 503 }, 'and again')

  t.equal((await fetch(`${node.base}/healthz`)).status, 200, '/healthz answers')
  t.match(await (await fetch(`${node.base}/metrics`)).text(), /beckon_rejected_upgrades_total\{[^}]*status="503"/)
  const token = await signOperatorToken({ id: 'shop', secret: SITE_SECRET } as never, { id: 'op1' })
  const operators = await Promise.all(Array.from({ length: 8 }, () => TestClient.connect(`${node.ws}/v1/operator`)))
  for (const op of operators) op.send({ t: 'auth', token })
  for (const op of operators) t.match(await op.next('ready'), { operator: 'op1' })
  t.pass('operator sockets open in the reserve')

  // Operators count too: once they and one visitor left, a visitor fits again.
  await Promise.all(operators.map((op) => op.close()))
  await visitors.pop()?.close()
  const again = await TestClient.connect(url, { origin: ORIGIN })
  again.send({ t: 'hello', page: { url: 'https://shop.example/', title: '' } })
  t.match(await again.next('welcome'), { t: 'welcome' })
  visitors.push(again)
  t.equal(await node.kill('SIGTERM'), 0, 'drains and exits 0')
})
