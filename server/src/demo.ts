import { randomBytes } from 'node:crypto'
import type { BeckonNode } from './beckon_node.js'
import { DEMO_CAMPAIGNS } from './demo_campaigns.js'
import { signOperatorToken } from './operator/operator_token.js'
import { exitOnFailure, runNode } from './run_node.js'

/** `make run`: a node with a demo site, its campaigns, and a console link with an operator token. */
async function seed(node: BeckonNode): Promise<void> {
  const origins = [`http://localhost:${node.port}`, `http://127.0.0.1:${node.port}`]
  const existing = node.sites.get('demo')
  const site = {
    id: 'demo',
    name: 'Demo shop',
    origins,
    secret: existing?.secret ?? randomBytes(24).toString('base64url'),
    departments: ['sales', 'support'],
  }
  await node.sites.put(site)
  for (const campaign of DEMO_CAMPAIGNS)
    if (!node.campaigns.get('demo', campaign.id)) await node.campaigns.put('demo', campaign)
  const token = await signOperatorToken(
    site,
    { id: 'demo-operator', name: 'Dana (demo)', perms: ['sees_all_online_visitors'] },
    node.config.maxOperatorTokenSeconds,
  )
  const base = `http://localhost:${node.port}`
  process.stdout.write(
    [
      '',
      'beckon is running.',
      `  demo site        ${base}/demo/`,
      `  operator console ${base}/console/#token=${token}`,
      `  admin token      ${node.config.adminToken ?? ''}   (Authorization: Bearer … on /v1/sites/…)`,
      `  operator token   ${token}`,
      `  metrics          ${base}/metrics`,
      'Stop with Ctrl-C.',
      '',
    ].join('\n'),
  )
}

runNode({
  prepare: (config) => ({ ...config, adminToken: config.adminToken ?? randomBytes(18).toString('base64url') }),
  started: seed,
}).catch(exitOnFailure)
