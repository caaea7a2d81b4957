import t from 'tap'
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { chmod, copyFile, mkdir, mkdtemp, rm, symlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { delimiter, dirname, join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { signOperatorToken } from '../src/operator/operator_token.js'
import { startNodeProcess } from './support/node_process.js'
import { TestClient } from './support/test_client.js'
import { ADMIN_TOKEN, ORIGIN, SITE_SECRET } from './support/test_node.js'

/**
 * The runtime switch (deploy/node_runtime.sh) on a machine whose Node has no uWebSockets.js
 * binary. That Node is a real Node 22 from the npm registry, installed by `npm ci` (the
 * server/test/support/node22 dev dependency); nothing is installed at test time.
 */

const SWITCH = resolve('deploy/node_runtime.sh')
const PLATFORM = `${process.platform}-${process.arch}`
const NODE22 = resolve(`node_modules/node22-${PLATFORM}/bin/node`)
const LOCAL = resolve(`node_modules/node-runtime-${PLATFORM}/bin/node`)
const exec = promisify(execFile)
const skip = existsSync(NODE22) && existsSync(LOCAL) ? false : `no Node 22 / Node 20 package for ${PLATFORM}`

/** A machine whose `node` is `dir/node`, with no BECKON_NODE set. */
const pathFirst = (dir: string) => ({ ...process.env, PATH: `${dir}${delimiter}${process.env.PATH}`, BECKON_NODE: '' })
const onNode22 = pathFirst(dirname(NODE22))
const NOTICE = /^beckon: .*; running on the project-local Node (v20\.\S+)/m

/** Runs a command to its end; resolves with its exit code and output, whatever the code. */
async function run(
  file: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(file, args, { env })
    return { code: 0, stdout, stderr }
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string }
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' }
  }
}

t.test('on Node 22 the switch runs a node on the local Node 20: hello, invite, snapshot, chat', { skip }, async (t) => {
  t.equal((await run(NODE22, ['-p', 'process.versions.modules'], onNode22)).stdout.trim(), '127', 'PATH has Node 22')
  const proc = await startNodeProcess(onNode22, { launcher: SWITCH })
  t.teardown(() => proc.kill())
  const notices = proc.logs.join('\n').match(new RegExp(NOTICE, 'gm')) ?? []
  t.equal(notices.length, 1, 'says so in one line')
  t.match(
    notices[0],
    new RegExp(`no ${PLATFORM} binary for Node v22\\.\\d+\\.\\d+ \\(ABI 127\\), only for ABIs 93, 108, 115`),
  )
  const metrics = await (await fetch(`${proc.base}/metrics`)).text()
  t.match(metrics, /nodejs_version_info\{version="v20\./, 'the node process runs on Node 20')

  const admin = (path: string, body: unknown) =>
    fetch(proc.base + path, {
      method: 'PUT',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
  const site = { id: 'shop', name: 'Shop', origins: [ORIGIN], secret: SITE_SECRET, departments: [] }
  t.equal((await admin('/v1/sites/shop', site)).status, 201)
  const campaign = await admin('/v1/sites/shop/campaigns/smoke', {
    name: 'Smoke',
    when: { field: 'page.url', op: 'contains', value: '/smoke' },
    message: { text: 'Hello from the campaign', startChat: false },
  })
  t.equal(campaign.status, 201)

  const visitor = await TestClient.connect(`${proc.ws}/v1/visitor?site=shop`, { origin: ORIGIN })
  visitor.send({ t: 'hello', page: { url: 'https://shop.example/smoke', title: 'Smoke' } })
  const welcome = await visitor.next('welcome')
  t.match(welcome, { visitor: String })
  t.match(await visitor.next('invite'), { campaign: 'smoke', text: 'Hello from the campaign' })

  const operator = await TestClient.connect(`${proc.ws}/v1/operator`)
  operator.send({ t: 'auth', token: await signOperatorToken(site, { id: 'ann', name: 'Ann' }) })
  await operator.next('ready')
  operator.send({ t: 'watch', site: 'shop' })
  const snapshot = await operator.next('visitors')
  t.ok(
    (snapshot.list as Array<{ id: string }>).some((v) => v.id === welcome.visitor),
    'the snapshot lists the visitor',
  )
  operator.send({ t: 'invite', visitor: welcome.visitor, text: 'Can I help?', startChat: true })
  t.match(await visitor.next((f) => f.t === 'invite' && f.text === 'Can I help?'), { operator: 'Ann' })
  visitor.send({ t: 'msg', text: 'yes, from a Node 22 machine' })
  const msg = await operator.next((f) => f.t === 'msg' && f.from === 'visitor')
  t.match(msg, { from: 'visitor', text: 'yes, from a Node 22 machine' })
  operator.send({ t: 'msg', conversation: msg.conversation, text: 'welcome' })
  t.match(await visitor.next((f) => f.t === 'msg' && f.text === 'welcome'), { from: 'operator' })
  await Promise.all([visitor.close(), operator.close()])
})

t.test('BECKON_NODE at a Node with no uWebSockets.js binary: a clear error, no fallback', { skip }, async (t) => {
  const result = await run(SWITCH, ['--import', 'tsx', 'server/src/main.ts'], { ...onNode22, BECKON_NODE: NODE22 })
  t.equal(result.code, 3)
  t.equal(result.stdout, '', 'nothing ran')
  t.match(result.stderr, `BECKON_NODE=${NODE22}: uWebSockets.js has no ${PLATFORM} binary for Node v22`)
  t.match(result.stderr, /\(ABI 127\), only for ABIs 93, 108, 115\. Unset BECKON_NODE/)
  const missing = await run(SWITCH, ['-v'], { ...process.env, BECKON_NODE: '/nonexistent/node' })
  t.equal(missing.code, 3)
  t.match(missing.stderr, 'BECKON_NODE=/nonexistent/node is not a runnable Node.js')
})

t.test('Node 22 and no local Node 20 to fall back to: a clear error', { skip }, async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'beckon-switch-'))
  t.teardown(() => rm(root, { recursive: true, force: true }))
  await mkdir(join(root, 'deploy'))
  await copyFile(SWITCH, join(root, 'deploy', 'node_runtime.sh'))
  await chmod(join(root, 'deploy', 'node_runtime.sh'), 0o755)
  const bare = await run(join(root, 'deploy', 'node_runtime.sh'), ['-v'], onNode22)
  t.equal(bare.code, 3)
  t.match(bare.stderr, 'uWebSockets.js is not installed', 'before npm ci')
  await mkdir(join(root, 'node_modules'))
  await symlink(resolve('node_modules/uWebSockets.js'), join(root, 'node_modules', 'uWebSockets.js'))
  const result = await run(join(root, 'deploy', 'node_runtime.sh'), ['-v'], onNode22)
  t.equal(result.code, 3)
  t.equal(result.stdout, '')
  t.match(result.stderr, `no usable project-local Node 20 at ${root}/node_modules/node-runtime-${PLATFORM}/bin/node`)
  t.match(result.stderr, 'Set BECKON_NODE to a Node 20 binary.')
})

t.test('without the switch, Node 22 refuses the ws fallback at start-up', { skip }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'beckon-node22-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const env = { ...onNode22, BECKON_PORT: '0', BECKON_HOST: '127.0.0.1', BECKON_DATA_DIR: dir }
  const result = await run(NODE22, ['--import', 'tsx', 'server/src/main.ts'], env)
  t.equal(result.code, 1)
  t.match(result.stderr, `uWebSockets.js loaded its ws fallback: no native binary for ${PLATFORM} with Node ABI 127`)
})

t.test('a Node that has a binary runs as is, silently; --which names the choice', { skip }, async (t) => {
  for (const env of [pathFirst(dirname(LOCAL)), { ...onNode22, BECKON_NODE: LOCAL }]) {
    const which = await run(SWITCH, ['--which'], env)
    t.same(which, { code: 0, stdout: `${LOCAL}\n`, stderr: '' })
  }
  const fallback = await run(SWITCH, ['--which'], onNode22)
  t.equal(fallback.stdout, `${LOCAL}\n`)
  t.match(fallback.stderr, NOTICE)
  const args = await run(SWITCH, ['-p', 'process.argv.slice(1).join("|")', 'a b', 'c'], onNode22)
  t.equal(args.stdout, 'a b|c\n', 'arguments pass through unchanged')
})

t.test(
  'the Makefile runs every node and tool through the switch; BECKON_NODE as a make argument',
  { skip },
  async (t) => {
    const targets = ['-n', 'test', 'bench', 'cluster', 'run']
    const dry = await run('make', [...targets, `BECKON_NODE=${LOCAL}`], onNode22)
    t.equal(dry.code, 0, dry.stderr)
    const lines = dry.stdout.split('\n')
    const runsNode = lines.filter((l) => /node_modules\/\.bin\/|--import tsx|dist\/server\/src\//.test(l))
    t.ok(runsNode.length >= 8, 'tsc, biome, build, tests, bench, cluster, demo')
    t.same(
      runsNode.filter((l) => !l.startsWith(`${LOCAL} `)),
      [],
      'each on the Node the switch picked',
    )
    t.same(
      lines.filter((l) => /^(node|npx) /.test(l)),
      [],
      'no bare node or npx',
    )
    const refused = await run('make', [...targets, `BECKON_NODE=${NODE22}`], onNode22)
    t.not(refused.code, 0)
    t.match(refused.stderr, `BECKON_NODE=${NODE22}: uWebSockets.js has no`)
    t.match(refused.stderr, 'no Node.js can run beckon (see above)')
  },
)

t.test('native addons load under the runtime the switch picks', { skip }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'beckon-addons-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const probe = `
    const { open } = require('lmdb')
    const db = open({ path: ${JSON.stringify(join(dir, 'db'))} })
    db.putSync('k', { v: 1 })
    const extract = require('msgpackr-extract')
    console.log(process.versions.modules, db.get('k').v, typeof extract.extractStrings)
  `
  for (const env of [onNode22, pathFirst(dirname(process.execPath))]) {
    const result = await run(SWITCH, ['-e', probe], env)
    t.same(
      result.stdout.trim().split(' '),
      ['115', '1', 'function'],
      `lmdb and msgpackr-extract load: ${result.stderr}`,
    )
  }
})
