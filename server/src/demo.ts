import { randomBytes } from 'node:crypto'
import type { BeckonNode } from './beckon_node.js'
import { signOperatorToken } from './operator/operator_token.js'
import { exitOnFailure, runNode } from './run_node.js'

/** Campaigns the demo site starts with, to show proactive invitations at work. */
const DEMO_CAMPAIGNS = [
  {
    id: 'kb-help',
    name: 'Help on knowledge base articles',
    priority: 10,
    frequency: 'once_per_visit',
    when: { all: [{ field: 'page.url', op: 'contains', value: '/kb/' }, { field: 'page.seconds', op: 'gte', value: 8 }] },
    message: { text: 'Hi {{visitor.name|there}}! Did you find what you were looking for in “{{page.title}}”?', followUp: 'We reply within minutes.', startChat: false },
  },
  {
    id: 'pricing-exit',
    name: 'Leaving the pricing page',
    priority: 20,
    frequency: 'once_per_visitor',
    when: { all: [{ field: 'page.url', op: 'contains', value: '/pricing' }, { field: 'exit.seconds', op: 'exists' }] },
    message: { text: 'Before you go: questions about plans? Leave your email and we get back to you.', collect: ['email'], startChat: false },
  },
  {
    id: 'app-engaged',
    name: 'Engaged in the app',
    priority: 5,
    frequency: 'once_per_visit',
    when: { field: 'visit.pageViews', op: 'gte', value: 4 },
    message: { text: 'You have seen {{visit.pageViews}} pages: want a quick tour with a real person?', startChat: true },
  },
]

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
  for (const campaign of DEMO_CAMPAIGNS) if (!node.campaigns.get('demo', campaign.id)) await node.campaigns.put('demo', campaign)
  const token = await signOperatorToken(site, { id: 'demo-operator', name: 'Dana (demo)', perms: ['sees_all_online_visitors'] }, 30 * 24 * 3600)
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
