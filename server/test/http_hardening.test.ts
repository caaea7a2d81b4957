import t from 'tap'
import { once } from 'node:events'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { connect, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ADMIN_TOKEN, ORIGIN, startNode } from './support/test_node.js'
import { until } from './support/until.js'

/** A static dir laid out like web/ after a build, with the files that must never be served. */
async function staticDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'beckon-static-'))
  const files: Record<string, string> = {
    'tsconfig.json': '{"compilerOptions":{}}',
    'build.ts': 'export {}',
    'dist/widget.js': 'console.log(1)\n//# sourceMappingURL=widget.js.map',
    'dist/widget.js.map': '{"sourcesContent":["secret source"]}',
    'console/index.html': '<!doctype html><title>console</title>',
    'console/console.css': 'body{}',
    'console/console.ts': 'export const source = 1',
    'demo/index.html': '<!doctype html><title>demo</title>',
    'demo/kb/index.html': '<!doctype html><title>kb</title>',
    'demo/.env': 'SECRET=1',
  }
  for (const [path, body] of Object.entries(files)) {
    await mkdir(join(dir, path, '..'), { recursive: true })
    await writeFile(join(dir, path), body)
  }
  return dir
}

t.test('static files: only built public assets; source maps only when asked', async (t) => {
  const dir = await staticDir()
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const n = await startNode({ BECKON_STATIC_DIR: dir })
  t.teardown(() => n.stop())
  for (const path of ['/dist/widget.js', '/console/', '/console/console.css', '/demo/', '/demo/kb/']) {
    t.equal((await fetch(n.base + path)).status, 200, `${path} is served`)
  }
  for (const path of [
    '/tsconfig.json',
    '/build.ts',
    '/dist/widget.js.map',
    '/console/console.ts',
    '/demo/.env',
    '/%2e%2e/package.json',
  ]) {
    const res = await fetch(n.base + path)
    t.equal(res.status, 404, `${path} is not served`)
    t.match(await res.json(), { error: { code: 'not_found' } })
  }

  const maps = await startNode({ BECKON_STATIC_DIR: dir, BECKON_SERVE_SOURCE_MAPS: 'true' })
  t.teardown(() => maps.stop())
  t.equal((await fetch(`${maps.base}/dist/widget.js.map`)).status, 200, 'BECKON_SERVE_SOURCE_MAPS serves the maps')
  t.equal((await fetch(`${maps.base}/tsconfig.json`)).status, 404)
})

t.test('HEAD works on every GET route', async (t) => {
  const dir = await staticDir()
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const n = await startNode({ BECKON_STATIC_DIR: dir })
  t.teardown(() => n.stop())
  await n.site()
  const auth = { authorization: `Bearer ${ADMIN_TOKEN}` }
  for (const path of ['/healthz', '/readyz', '/metrics', '/dist/widget.js', '/demo/', '/v1/sites/shop', '/nope.js']) {
    const get = await fetch(n.base + path, { headers: auth })
    const getBody = await get.arrayBuffer()
    const head = await fetch(n.base + path, { method: 'HEAD', headers: auth })
    t.equal(head.status, get.status, `HEAD ${path}: same status as GET (${get.status})`)
    t.equal(head.headers.get('content-type'), get.headers.get('content-type'), `HEAD ${path}: same type`)
    // Metrics change between two scrapes; every other body is the same.
    if (path !== '/metrics') {
      t.equal(Number(head.headers.get('content-length')), getBody.byteLength, `HEAD ${path}: GET's content-length`)
    }
    t.equal((await head.arrayBuffer()).byteLength, 0, `HEAD ${path}: no body`)
  }
  t.equal((await fetch(`${n.base}/`, { method: 'HEAD', redirect: 'manual' })).status, 302)
})

/** Sends raw bytes on a fresh connection and collects what comes back until the server closes it. */
function rawRequest(port: number, head: string, body = ''): { socket: Socket; response: Promise<string> } {
  const socket = connect(port, '127.0.0.1')
  socket.write(head + body)
  let text = ''
  socket.on('data', (chunk: Buffer) => (text += chunk.toString()))
  const response = once(socket, 'close').then(() => text)
  return { socket, response }
}

t.test('admin routes refuse a bad bearer before reading the body', async (t) => {
  const n = await startNode()
  t.teardown(() => n.stop())
  // A 10 MB body is announced but only 1 KB sent: the server answers and hangs up without waiting for the rest.
  const { response } = rawRequest(
    n.node.port,
    'PUT /v1/sites/shop HTTP/1.1\r\nhost: x\r\nauthorization: Bearer wrong-token-0123456789\r\n' +
      'content-type: application/json\r\ncontent-length: 10000000\r\n\r\n',
    'x'.repeat(1024),
  )
  const text = await response
  t.match(text, /^HTTP\/1\.1 401/, 'refused with 401')
  t.match(text, /"code":"unauthorized"/)
  t.match(text, /\r\nConnection: close\r\n/i, 'and closes the connection instead of reading the body')

  // The admin's own requests still read their body (paused until the bearer checked out, then resumed).
  const put = await n.admin('PUT', '/v1/sites/shop', {
    name: 'Shop',
    origins: [ORIGIN],
    secret: 'site-secret-0123456789abcdef',
    note: 'y'.repeat(100_000),
  })
  t.equal(put.status, 201, 'a big admin body is read')
})

t.test('concurrent HTTP requests per IP are capped with 429', async (t) => {
  const n = await startNode({ BECKON_MAX_HTTP_REQUESTS_PER_IP: '2' })
  t.teardown(() => n.stop())
  await n.site()
  const body = JSON.stringify({ name: 'Shop', origins: [ORIGIN], secret: 'site-secret-0123456789abcdef' })
  // Two admin requests whose bodies are half sent stay in flight.
  const held = [1, 2].map(() =>
    rawRequest(
      n.node.port,
      `PUT /v1/sites/shop HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${ADMIN_TOKEN}\r\n` +
        `content-type: application/json\r\nconnection: close\r\ncontent-length: ${body.length}\r\n\r\n`,
      body.slice(0, 10),
    ),
  )
  const refused = await until('a third request refused', async () => {
    const res = await fetch(`${n.base}/v1/sites/shop`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
    return res.status === 429 && res.json()
  })
  t.match(refused, { error: { code: 'too_many_requests', message: /more than 2 HTTP requests/ } })
  t.equal((await fetch(`${n.base}/healthz`)).status, 200, 'health is not counted')
  t.equal((await fetch(`${n.base}/metrics`)).status, 200, 'metrics are not counted')

  held[0]?.socket.write(body.slice(10))
  t.match(await held[0]?.response, /^HTTP\/1\.1 200/, 'the held request completes')
  const again = await fetch(`${n.base}/v1/sites/shop`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
  t.equal(again.status, 200, 'a slot is free again')
  held[1]?.socket.destroy()
  await held[1]?.response
})

// uWS validates text frames itself: on invalid UTF-8 it drops the TCP connection without a
// close frame (the JS message callback never runs), so a 4000 close cannot be sent.
t.test('invalid UTF-8 in a text frame: uWS drops the connection (1006), the node counts it', async (t) => {
  const n = await startNode()
  t.teardown(() => n.stop())
  await n.site()
  const { client } = await n.visitor()
  client.sendRaw(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), false)
  t.match(await client.closed, { code: 1006 })
  await until('the drop is counted', async () => {
    const text = await (await fetch(`${n.base}/metrics`)).text()
    return /beckon_invalid_utf8_closes_total\{[^}]*\} 1/.test(text)
  })
  t.pass('counted in beckon_invalid_utf8_closes_total')
  const other = await n.visitor()
  t.ok(other.welcome.visitor, 'the node keeps serving')
  await other.client.close()
})
