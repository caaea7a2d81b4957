import type { BeckonNode } from './beckon_node.js'
import { ConfigError } from './config.js'
import { DEMO_CAMPAIGNS } from './demo_campaigns.js'
import { type DemoTokens, loadDemoTokens, saveDemoTokens } from './demo_tokens.js'
import { signOperatorToken, verifyOperatorToken } from './operator/operator_token.js'
import type { Site } from './site/site.js'
import { exitOnFailure, runNode } from './run_node.js'

/** The demo's operator token lives this long (its node's BECKON_MAX_OPERATOR_TOKEN_SECONDS default). */
const OPERATOR_TOKEN_SECONDS = 30 * 24 * 3600

/**
 * The kept operator token if it verifies for at least half its lifetime yet, else a new one
 * (saved). `lifetime` is the node's BECKON_MAX_OPERATOR_TOKEN_SECONDS.
 */
async function operatorToken(site: Site, tokens: DemoTokens, file: string, lifetime: number): Promise<string> {
  if (tokens.operatorToken) {
    const identity = await verifyOperatorToken(
      tokens.operatorToken,
      (id) => (id === site.id ? site : undefined),
      lifetime,
    ).catch(() => undefined)
    const left = (identity?.exp ?? 0) - Date.now() / 1000
    if (left > lifetime / 2) return tokens.operatorToken
  }
  // The demo operator may use the campaign studio too.
  const token = await signOperatorToken(
    site,
    { id: 'demo-operator', name: 'Dana (demo)', perms: ['sees_all_online_visitors', 'manage_campaigns'] },
    lifetime,
  )
  saveDemoTokens(file, { ...tokens, operatorToken: token })
  return token
}

/**
 * `make run`: a node on 127.0.0.1 (unless BECKON_HOST says otherwise) with a demo site, its
 * campaigns, and a console link. Its tokens persist in the data dir (demo_tokens.ts); the
 * banner comes last, as one block, once start-up has logged everything it logs.
 */
async function seed(node: BeckonNode, tokens: DemoTokens, file: string): Promise<void> {
  const { host } = node.config
  const wildcard = host === '0.0.0.0' || host === '::'
  const shown = wildcard || host === '127.0.0.1' ? 'localhost' : host.includes(':') ? `[${host}]` : host
  const base = `http://${shown}:${node.port}`
  const origins = [...new Set([`http://localhost:${node.port}`, `http://127.0.0.1:${node.port}`, base])]
  const site = {
    id: 'demo',
    name: 'Demo shop',
    origins,
    secret: tokens.siteSecret,
    departments: ['sales', 'support'],
  }
  await node.sites.put(site)
  for (const campaign of DEMO_CAMPAIGNS)
    if (!node.campaigns.get('demo', campaign.id)) await node.campaigns.put('demo', campaign)
  const token = await operatorToken(site, tokens, file, node.config.maxOperatorTokenSeconds)
  const banner = [
    '',
    `beckon is running on ${wildcard ? `every interface (BECKON_HOST=${host})` : host}.`,
    `  demo site        ${base}/demo/`,
    `  operator console ${base}/console/#token=${token}`,
    `  admin token      ${node.config.adminToken ?? ''}   (Authorization: Bearer … on /v1/sites/…)`,
    `  operator token   ${token}`,
    `  metrics          ${base}/metrics`,
    `Tokens are kept in ${file}; delete it and restart to rotate them.`,
    'Stop with Ctrl-C.',
    '',
  ].join('\n')
  // Start-up log lines first, then the banner in one write, so no JSON line lands inside it.
  await new Promise<void>((resolve) => node.log.flush(() => resolve()))
  process.stdout.write(banner)
}

let kept: { tokens: DemoTokens; file: string } | undefined
runNode({
  defaults: { BECKON_HOST: '127.0.0.1', BECKON_MAX_OPERATOR_TOKEN_SECONDS: String(OPERATOR_TOKEN_SECONDS) },
  prepare: (config) => {
    try {
      kept = loadDemoTokens(config.dataDir)
    } catch (error) {
      throw new ConfigError('BECKON_DATA_DIR', (error as Error).message)
    }
    return { ...config, adminToken: config.adminToken ?? kept.tokens.adminToken }
  },
  started: (node) => seed(node, kept!.tokens, kept!.file),
}).catch(exitOnFailure)
