/**
 * Per-site key/value storage in localStorage, shared by all tabs of the origin, so several tabs
 * and later visits resume one visitor. Falls back to memory where localStorage is unavailable
 * or throws (private modes, sandboxed iframes, storage disabled): the visitor then lives as long
 * as the page.
 */
export class SiteStorage {
  private readonly memory = new Map<string, string>()

  constructor(private readonly site: string) {}

  private key(name: string): string {
    return `beckon:${this.site}:${name}`
  }

  get(name: string): string | undefined {
    try {
      const value = window.localStorage.getItem(this.key(name))
      if (value !== null) return value
    } catch {
      // Storage blocked: memory only.
    }
    return this.memory.get(name)
  }

  set(name: string, value: string): void {
    this.memory.set(name, value)
    try {
      window.localStorage.setItem(this.key(name), value)
    } catch {
      // Quota or blocked storage: memory keeps it for this page.
    }
  }
}
