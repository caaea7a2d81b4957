import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino, type Logger } from 'pino'
import { BeckonNode } from '../../src/beckon_node.js'
import { parseConfig, type Config } from '../../src/config.js'
import { TestClient } from './test_client.js'

export const ADMIN_TOKEN = 'test-admin-token-0123456789'
export const SITE_SECRET = 'site-secret-0123456789abcdef'
export const ORIGIN = 'https://shop.example'

export interface TestNode {
  node: BeckonNode
  config: Config
  base: string
  ws: string
  dataDir: string
  /** Admin request with the admin token. */
  admin(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>
  /** Creates a site (default `shop`, origin ORIGIN). */
  site(id?: string, extra?: Record<string, unknown>): Promise<void>
  /** Opens a visitor socket and completes hello; returns the client and welcome frame. */
  visitor(
    hello?: Record<string, unknown>,
    opts?: Parameters<typeof TestClient.connect>[1] & { site?: string },
  ): Promise<{ client: TestClient; welcome: any }>
  stop(): Promise<void>
}

/** Starts a real node on an ephemeral loopback port with its own data dir (and `log`, default silent). */
export async function startNode(env: Record<string, string> = {}, dataDir?: string, log?: Logger): Promise<TestNode> {
  const dir = dataDir ?? (await mkdtemp(join(tmpdir(), 'beckon-test-')))
  const config = parseConfig({
    BECKON_HOST: '127.0.0.1',
    BECKON_PORT: '0',
    BECKON_ADMIN_TOKEN: ADMIN_TOKEN,
    BECKON_DATA_DIR: dir,
    BECKON_DRAIN_SECONDS: '2',
    BECKON_LOG_LEVEL: 'silent',
    ...env,
  })
  const node = await BeckonNode.start(config, log ?? pino({ level: process.env.BECKON_TEST_LOG ?? 'silent' }))
  const base = `http://127.0.0.1:${node.port}`
  const t: TestNode = {
    node,
    config,
    base,
    ws: `ws://127.0.0.1:${node.port}`,
    dataDir: dir,
    async admin(method, path, body) {
      const res = await fetch(base + path, {
        method,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      })
      const text = await res.text()
      return { status: res.status, body: text ? JSON.parse(text) : undefined }
    },
    async site(id = 'shop', extra = {}) {
      const res = await t.admin('PUT', `/v1/sites/${id}`, {
        name: `Site ${id}`,
        origins: [ORIGIN],
        secret: SITE_SECRET,
        departments: ['sales', 'support'],
        ...extra,
      })
      if (res.status >= 300) throw new Error(`site create failed: ${JSON.stringify(res.body)}`)
    },
    async visitor(hello = {}, opts = {}) {
      const client = await TestClient.connect(`${t.ws}/v1/visitor?site=${opts.site ?? 'shop'}`, {
        origin: ORIGIN,
        ...opts,
      })
      client.send({ t: 'hello', page: { url: 'https://shop.example/', title: 'Home' }, ...hello })
      const welcome = await client.next('welcome')
      return { client, welcome }
    },
    async stop() {
      await node.stop()
      if (!dataDir) await rm(dir, { recursive: true, force: true })
    },
  }
  return t
}

/** Saves campaign `body.id` of site `shop` (name and message defaulted); throws when refused. */
export async function putCampaign(n: TestNode, body: Record<string, unknown>): Promise<void> {
  const res = await n.admin('PUT', `/v1/sites/shop/campaigns/${body.id as string}`, {
    name: String(body.id),
    message: { text: `hello from ${body.id as string}`, startChat: false },
    ...body,
  })
  if (res.status >= 300) throw new Error(`campaign refused: ${JSON.stringify(res.body)}`)
}
