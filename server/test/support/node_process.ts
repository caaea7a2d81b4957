import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { startNatsServer, type NatsServerHandle } from './nats_server.js'
import { ADMIN_TOKEN, ORIGIN, SITE_SECRET } from './test_node.js'
import { TestClient, type Frame } from './test_client.js'

export interface NodeProcess {
  child: ChildProcess
  port: number
  base: string
  ws: string
  /** Every log line so far. */
  logs: string[]
  /** Resolves with the exit code. */
  exited: Promise<number | null>
  kill(signal?: NodeJS.Signals): Promise<number | null>
}

/**
 * Starts `server/src/main.ts` as a real process on an ephemeral port; resolves once it listens.
 * `openFiles`: run it under `ulimit -n` (soft and hard open-file limit). `launcher` runs it: this
 * test's Node by default, or e.g. the runtime switch.
 */
export async function startNodeProcess(
  env: Record<string, string> = {},
  opts: { openFiles?: number; launcher?: string } = {},
): Promise<NodeProcess> {
  const dir = await mkdtemp(join(tmpdir(), 'beckon-proc-'))
  const command = [opts.launcher ?? process.execPath, '--import', 'tsx', 'server/src/main.ts']
  const [file, ...args] =
    opts.openFiles === undefined
      ? command
      : ['/bin/bash', '-c', `ulimit -n ${opts.openFiles} && exec "$@"`, 'beckon', ...command]
  const child = spawn(file!, args, {
    env: {
      ...process.env,
      BECKON_HOST: '127.0.0.1',
      BECKON_PORT: '0',
      BECKON_DATA_DIR: dir,
      BECKON_ADMIN_TOKEN: ADMIN_TOKEN,
      BECKON_LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const exited = once(child, 'exit').then(async ([code]) => {
    await rm(dir, { recursive: true, force: true })
    return code as number | null
  })
  const logs: string[] = []
  child.stderr?.on('data', (chunk: Buffer) => logs.push(chunk.toString()))
  const port = await new Promise<number>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! })
    lines.on('line', (line) => {
      logs.push(line)
      try {
        const entry = JSON.parse(line) as { msg?: string; port?: number }
        if (entry.msg === 'beckon node listening' && entry.port) resolve(entry.port)
      } catch {
        // not a log line
      }
    })
    void exited.then((code) => reject(new Error(`node exited with ${code} before listening:\n${logs.join('\n')}`)))
  })
  return {
    child,
    port,
    base: `http://127.0.0.1:${port}`,
    ws: `ws://127.0.0.1:${port}`,
    logs,
    exited,
    kill(signal: NodeJS.Signals = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      return exited
    },
  }
}

/** An admin request to a node process, with the admin token. */
export const adminRequest = (node: NodeProcess, method: string, path: string, body?: unknown): Promise<Response> =>
  fetch(`${node.base}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    body: body === undefined ? undefined : JSON.stringify(body),
  })

/**
 * A real nats-server and two node processes `x` and `y` on it (refresh 1 s, plus `env`), with
 * site `shop` created through x; all of them are stopped at teardown (nodes by kill -9).
 */
export async function startProcessPair(
  t: { teardown(fn: () => unknown): void },
  env: Record<string, string> = {},
): Promise<{ nats: NatsServerHandle; x: NodeProcess; y: NodeProcess }> {
  const nats = await startNatsServer()
  t.teardown(() => nats.close())
  const shared = { BECKON_NATS_URL: nats.url, BECKON_REFRESH_SECONDS: '1', ...env }
  const x = await startNodeProcess({ ...shared, BECKON_NODE_ID: 'x' })
  const y = await startNodeProcess({ ...shared, BECKON_NODE_ID: 'y' })
  t.teardown(async () => {
    await x.kill()
    await y.kill()
  })
  const site = await adminRequest(x, 'PUT', '/v1/sites/shop', { name: 'Shop', origins: [ORIGIN], secret: SITE_SECRET })
  if (site.status !== 201) throw new Error(`site shop: HTTP ${site.status}`)
  return { nats, x, y }
}

/** Connects a visitor tab of site `shop` the way the widget does: retry with backoff until a node welcomes it. */
export async function visitorTab(
  node: NodeProcess,
  hello: Record<string, unknown>,
): Promise<{ client: TestClient; welcome: Frame }> {
  for (let attempt = 0; ; attempt++) {
    const client = await TestClient.connect(`${node.ws}/v1/visitor?site=shop`, { origin: ORIGIN })
    client.send({ t: 'hello', page: { url: 'https://shop.example/offer', title: 'Offer' }, ...hello })
    const welcome = await Promise.race([client.next('welcome', 30_000), client.closed.then(() => undefined)])
    if (welcome) return { client, welcome }
    if (attempt > 40) throw new Error('never welcomed')
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
}
