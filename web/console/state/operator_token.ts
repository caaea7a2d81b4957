/** Where the operator JWT is kept for this tab: it survives reloads, not the tab. */
const STORAGE_KEY = 'beckon.operatorToken'

function storage(): Storage | undefined {
  try {
    return window.sessionStorage
  } catch {
    return undefined
  }
}

/**
 * The token of this tab: from the URL fragment (`#token=JWT`, as `make run` prints it), which
 * is then removed from the address bar so it does not linger in history or screenshots; else
 * the one stored earlier in this tab.
 */
export function takeToken(): string | undefined {
  const fragment = new URLSearchParams(location.hash.slice(1)).get('token')?.trim()
  if (fragment) {
    saveToken(fragment)
    history.replaceState(null, '', location.pathname + location.search)
    return fragment
  }
  return storage()?.getItem(STORAGE_KEY) || undefined
}

export function saveToken(token: string): void {
  storage()?.setItem(STORAGE_KEY, token)
}

export function forgetToken(): void {
  storage()?.removeItem(STORAGE_KEY)
}

/** What the console reads from its token to shape the UI; the node verifies it on every use. */
export interface TokenClaims {
  sub?: string
  site?: string
  perms: string[]
}

/** The unverified claims of a JWT (its middle part); empty perms when unreadable. */
export function tokenClaims(token: string): TokenClaims {
  try {
    const part = token.split('.')[1] ?? ''
    const json: unknown = JSON.parse(atob(part.replace(/-/g, '+').replace(/_/g, '/')))
    if (typeof json !== 'object' || json === null) return { perms: [] }
    const o = json as Record<string, unknown>
    return {
      sub: typeof o.sub === 'string' ? o.sub : undefined,
      site: typeof o.site === 'string' ? o.site : undefined,
      perms: Array.isArray(o.perms) ? o.perms.filter((p): p is string => typeof p === 'string') : [],
    }
  } catch {
    return { perms: [] }
  }
}
