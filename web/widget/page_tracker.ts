import type { PageInfo } from '../../shared/src/protocol.js'
import { MAX_TEXT_LENGTH, MAX_URL_LENGTH } from './limits.js'

function pageInfo(url: string, referrer: string): PageInfo {
  const page: PageInfo = {
    url: url.slice(0, MAX_URL_LENGTH),
    title: document.title.slice(0, MAX_TEXT_LENGTH),
  }
  if (referrer) page.referrer = referrer.slice(0, MAX_URL_LENGTH)
  return page
}

/**
 * The page the visitor is on, following SPA navigation: history.pushState/replaceState,
 * popstate and hashchange. A change is reported only when the URL really differs, and only
 * after the current task so a router's title update is seen. The referrer of an SPA page is
 * the previous URL.
 */
export class PageTracker {
  private page: PageInfo
  private pending = false

  constructor(private readonly changed: (page: PageInfo) => void) {
    this.page = pageInfo(location.href, document.referrer)
  }

  get current(): PageInfo {
    return this.page
  }

  start(): void {
    for (const method of ['pushState', 'replaceState'] as const) {
      const original = history[method]
      const check = this.check
      history[method] = function (this: History, ...args: Parameters<History['pushState']>) {
        const result = original.apply(this, args)
        check()
        return result
      }
    }
    window.addEventListener('popstate', this.check)
    window.addEventListener('hashchange', this.check)
  }

  private readonly check = (): void => {
    if (this.pending) return
    this.pending = true
    window.setTimeout(() => {
      this.pending = false
      const url = location.href
      if (url.slice(0, MAX_URL_LENGTH) === this.page.url) return
      this.page = pageInfo(url, this.page.url)
      this.changed(this.page)
    }, 0)
  }
}
