import { signOperatorToken } from '../../server/src/operator/operator_token.js'
import type { Site } from '../../server/src/site/site.js'

/** The site every load scenario uses: any origin (load clients send none), two departments. */
export function loadSite(id: string, secret: string): Site {
  return { id, name: `Load test ${id}`, origins: ['*'], secret, departments: ['sales', 'support'] }
}

/**
 * The load campaign: invites on every `/kb/` page view once the visitor has been on it for
 * `seconds` (a time condition: it fires on time, with no new event from the visitor).
 */
export function kbCampaign(seconds: number): Record<string, unknown> {
  return {
    name: 'Load: KB help',
    frequency: 'every_time',
    when: {
      all: [
        { field: 'page.url', op: 'contains', value: '/kb/' },
        { field: 'page.seconds', op: 'gte', value: seconds },
      ],
    },
    message: { text: 'Need help with this article?', startChat: false },
  }
}

async function put(base: string, adminToken: string, path: string, body: unknown): Promise<void> {
  const res = await fetch(base + path, {
    method: 'PUT',
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  if (!res.ok) throw new Error(`PUT ${path}: ${res.status} ${await res.text()}`)
}

/**
 * Creates (or replaces) the load site and its kb campaign through the admin API of the node at
 * `base` (`http://HOST:PORT`); returns an operator JWT that sees every visitor of the site.
 */
export async function setupLoadSite(opts: {
  base: string
  adminToken: string
  site: string
  secret: string
  inviteAfterSeconds: number
}): Promise<{ operatorToken: string }> {
  const site = loadSite(opts.site, opts.secret)
  const { id: _id, ...body } = site
  await put(opts.base, opts.adminToken, `/v1/sites/${site.id}`, body)
  await put(opts.base, opts.adminToken, `/v1/sites/${site.id}/campaigns/load-kb`, kbCampaign(opts.inviteAfterSeconds))
  const operatorToken = await signOperatorToken(site, {
    id: 'load-operator',
    name: 'Load operator',
    departments: site.departments,
    perms: ['sees_all_online_visitors'],
  })
  return { operatorToken }
}
