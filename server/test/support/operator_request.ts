import { signOperatorToken } from '../../src/operator/operator_token.js'
import type { TestNode } from './test_node.js'

/** An HTTP request to `n` with a freshly signed operator JWT (these claims) as bearer. */
export async function operatorRequest(
  n: TestNode,
  method: string,
  path: string,
  claims: { id: string; perms?: string[]; departments?: string[]; site?: string },
  body?: unknown,
): Promise<{ status: number; body: any }> {
  const site = n.node.sites.get(claims.site ?? 'shop')
  if (!site) throw new Error(`no site ${claims.site ?? 'shop'} on this node`)
  const res = await fetch(n.base + path, {
    method,
    headers: { authorization: `Bearer ${await signOperatorToken(site, claims)}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await res.text()
  return { status: res.status, body: text ? JSON.parse(text) : undefined }
}
