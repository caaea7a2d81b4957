import t from 'tap'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { statSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { networkInterfaces, tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { CLOSE_CODE } from '../../shared/src/protocol.js'
import { DEMO_TOKENS_FILE } from '../src/demo_tokens.js'
import { TestClient } from './support/test_client.js'

/** `make run`'s demo as a user meets it: where it listens, its banner, tokens that last. */

interface Demo {
  port: number
  /** stdout lines up to the banner's last one. */
  lines: string[]
  banner: string[]
  adminToken: string
  operatorToken: string
  stop(): Promise<void>
}

/** Starts server/src/demo.ts with BECKON_HOST unset; resolves once its banner is complete. */
async function startDemo(dataDir: string, env: Record<string, string> = {}): Promise<Demo> {
  const { BECKON_HOST: _host, BECKON_ADMIN_TOKEN: _admin, ...inherited } = process.env
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/src/demo.ts'], {
    env: { ...inherited, BECKON_PORT: '0', BECKON_DATA_DIR: dataDir, BECKON_DRAIN_SECONDS: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const exited = once(child, 'exit')
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const lines: string[] = []
  const done = new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      lines.push(line)
      if (line === 'Stop with Ctrl-C.') resolve()
    })
    void exited.then(([code]) => reject(new Error(`demo exited with ${code}: ${stderr}${lines.join('\n')}`)))
  })
  await done
  const start = lines.findIndex((l) => l.startsWith('beckon is running'))
  const banner = lines.slice(start)
  const field = (name: string) => banner.find((l) => l.startsWith(`  ${name}`))?.split(/\s+/)[3] ?? ''
  const listening = lines.map((l) => (l.startsWith('{') ? JSON.parse(l) : {})).find((e) => e.port)
  return {
    port: listening.port,
    lines,
    banner,
    adminToken: field('admin token'),
    operatorToken: field('operator token'),
    async stop() {
      child.kill('SIGTERM')
      await exited
    },
  }
}

/** An address of this machine other than loopback, if it has one. */
const outside = Object.values(networkInterfaces())
  .flat()
  .find((a) => a && a.family === 'IPv4' && !a.internal)?.address

t.test('the demo listens on 127.0.0.1 and keeps its tokens in its data dir', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'beckon-demo-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const first = await startDemo(dir)
  t.teardown(() => first.stop())
  t.equal(first.banner[0], 'beckon is running on 127.0.0.1.')
  t.equal((await fetch(`http://127.0.0.1:${first.port}/healthz`)).status, 200)
  if (outside) await t.rejects(fetch(`http://${outside}:${first.port}/healthz`), `not reachable on ${outside}`)
  t.ok(
    first.lines.findIndex((l) => /beckon node listening/.test(l)) < first.lines.indexOf(first.banner[0] ?? ''),
    'start-up logs come before the banner',
  )
  t.same(
    first.banner.filter((l) => l.startsWith('{')),
    [],
    'no log line inside the banner',
  )
  const file = join(dir, DEMO_TOKENS_FILE)
  t.match(first.banner.join('\n'), `Tokens are kept in ${file}; delete it and restart to rotate them.`)
  t.equal(statSync(file).mode & 0o777, 0o600, 'the token file is private')
  const sites = await fetch(`http://127.0.0.1:${first.port}/v1/sites/demo`, {
    headers: { authorization: `Bearer ${first.adminToken}` },
  })
  t.equal(sites.status, 200, 'the printed admin token works')
  await first.stop()

  const second = await startDemo(dir)
  t.teardown(() => second.stop())
  t.equal(second.adminToken, first.adminToken, 'the same admin token after a restart')
  t.equal(second.operatorToken, first.operatorToken, 'the same operator token after a restart')
  await second.stop()

  await rm(file)
  const rotated = await startDemo(dir)
  t.teardown(() => rotated.stop())
  t.not(rotated.adminToken, first.adminToken, 'deleting the file rotates the admin token')
  t.not(rotated.operatorToken, first.operatorToken)
  const old = await TestClient.connect(`ws://127.0.0.1:${rotated.port}/v1/operator`)
  old.send({ t: 'auth', token: first.operatorToken })
  t.match(await old.closed, { code: CLOSE_CODE.unauthorized }, 'the old operator token no longer works')
  const current = await TestClient.connect(`ws://127.0.0.1:${rotated.port}/v1/operator`)
  current.send({ t: 'auth', token: rotated.operatorToken })
  t.match(await current.next('ready'), { t: 'ready' })
  await current.close()
})

t.test('BECKON_HOST moves the demo; a broken token file is a clear error', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'beckon-demo-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const open = await startDemo(dir, { BECKON_HOST: '0.0.0.0' })
  t.teardown(() => open.stop())
  t.equal(open.banner[0], 'beckon is running on every interface (BECKON_HOST=0.0.0.0).')
  if (outside) t.equal((await fetch(`http://${outside}:${open.port}/healthz`)).status, 200)
  await open.stop()

  await writeFile(join(dir, DEMO_TOKENS_FILE), '{"adminToken": "short"}')
  await t.rejects(startDemo(dir), /exited with 2: beckon: bad configuration: BECKON_DATA_DIR: .*demo-tokens\.json: /)
})
