import { el } from './dom.js'

export interface CampaignStats {
  eligibleNow: number
  sent: number
  shown: number
  opened: number
  dismissed: number
  replied: number
}

export interface CampaignRow {
  id: string
  name: string
  enabled: boolean
  priority: number
  stats?: CampaignStats
}

const STAT_KEYS = ['eligibleNow', 'sent', 'shown', 'opened', 'dismissed', 'replied'] as const
const STAT_LABELS: Record<(typeof STAT_KEYS)[number], string> = {
  eligibleNow: 'Eligible now',
  sent: 'Sent',
  shown: 'Shown',
  opened: 'Opened',
  dismissed: 'Dismissed',
  replied: 'Replied',
}

/** Why a campaign list could not be read. */
export class CampaignListError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'CampaignListError'
  }
}

/** Validates `GET /v1/sites/SITE/campaigns`; campaigns without stats show dashes. */
export function parseCampaignList(input: unknown): CampaignRow[] {
  if (!Array.isArray(input)) throw new CampaignListError('expected an array of campaigns')
  return input.map((item: unknown, i) => {
    if (typeof item !== 'object' || item === null) throw new CampaignListError(`campaign ${i}: expected an object`)
    const c = item as Record<string, unknown>
    if (typeof c.id !== 'string') throw new CampaignListError(`campaign ${i}: id missing`)
    const row: CampaignRow = {
      id: c.id,
      name: typeof c.name === 'string' && c.name ? c.name : c.id,
      enabled: c.enabled !== false,
      priority: typeof c.priority === 'number' ? c.priority : 0,
    }
    if (typeof c.stats === 'object' && c.stats !== null) {
      const s = c.stats as Record<string, unknown>
      row.stats = Object.fromEntries(
        STAT_KEYS.map((k) => [k, typeof s[k] === 'number' ? s[k] : 0]),
      ) as unknown as CampaignStats
    }
    return row
  })
}

/** Refresh period of the live stats. */
const REFRESH_MS = 3_000

/**
 * The site's campaigns with live stats, polled while the console is connected and visible.
 * A node without the route (404) or a token without the right (401/403) shows a notice
 * instead; polling continues, so the list appears once the node offers it.
 */
export class CampaignList {
  private timer: number | undefined
  private controller: AbortController | undefined
  private source: { site: string; token: string } | undefined
  private readonly status = el('p', { className: 'note', testid: 'campaigns-status' })
  private readonly table = el('table', { className: 'grid' })

  constructor(root: HTMLElement) {
    root.dataset.testid = 'campaigns'
    root.replaceChildren(el('h2', { text: 'Campaigns' }), this.status, this.table)
    this.table.hidden = true
    this.status.textContent = 'Waiting for the connection…'
    document.addEventListener('visibilitychange', () => {
      if (!document.hidden && this.source) this.refresh()
    })
  }

  start(site: string, token: string): void {
    this.stop()
    this.source = { site, token }
    this.refresh()
  }

  stop(): void {
    this.source = undefined
    clearTimeout(this.timer)
    this.controller?.abort()
    this.controller = undefined
  }

  private refresh(): void {
    clearTimeout(this.timer)
    const source = this.source
    if (!source) return
    this.timer = window.setTimeout(() => this.refresh(), REFRESH_MS)
    if (document.hidden || this.controller) return
    const controller = new AbortController()
    this.controller = controller
    void this.load(source, controller).finally(() => {
      if (this.controller === controller) this.controller = undefined
    })
  }

  private async load(source: { site: string; token: string }, controller: AbortController): Promise<void> {
    let response: Response
    try {
      response = await fetch(`/v1/sites/${encodeURIComponent(source.site)}/campaigns`, {
        headers: { authorization: `Bearer ${source.token}`, accept: 'application/json' },
        signal: controller.signal,
      })
    } catch {
      if (!controller.signal.aborted) this.notice('Campaigns unavailable: the node did not answer.')
      return
    }
    if (controller.signal.aborted) return
    if (response.status === 404) return this.notice('This node does not list campaigns to operators (404).')
    if (response.status === 401 || response.status === 403)
      return this.notice(`Not allowed to read this site's campaigns (${response.status}).`)
    if (!response.ok) return this.notice(`Campaigns unavailable (HTTP ${response.status}).`)
    try {
      this.render(parseCampaignList(((await response.json()) as { campaigns?: unknown })?.campaigns))
    } catch (error) {
      if (controller.signal.aborted) return
      this.notice(`Campaign list unreadable: ${error instanceof Error ? error.message : String(error)}`)
    }
  }

  private notice(text: string): void {
    this.status.textContent = text
    this.table.hidden = true
  }

  private render(list: CampaignRow[]): void {
    this.status.textContent =
      list.length === 0 ? 'No campaigns defined for this site.' : `Updated ${new Date().toLocaleTimeString()}`
    this.table.hidden = list.length === 0
    const head = el('thead', {}, [
      el('tr', {}, [
        el('th', { text: 'Campaign', attrs: { scope: 'col' } }),
        ...['Priority', ...STAT_KEYS.map((k) => STAT_LABELS[k])].map((h) =>
          el('th', { text: h, className: 'num', attrs: { scope: 'col' } }),
        ),
      ]),
    ])
    const body = el(
      'tbody',
      {},
      [...list]
        .sort((a, b) => Number(b.enabled) - Number(a.enabled) || b.priority - a.priority)
        .map((c) =>
          el('tr', { testid: 'campaign-row', dataset: { campaignId: c.id }, className: c.enabled ? '' : 'disabled' }, [
            el('td', { title: c.id }, [
              el('strong', { text: c.name }),
              ...(c.enabled ? [] : [el('span', { className: 'tag', text: 'off' })]),
            ]),
            el('td', { className: 'num', text: String(c.priority) }),
            ...STAT_KEYS.map((k) =>
              el('td', { className: 'num', dataset: { stat: k }, text: c.stats ? String(c.stats[k]) : '—' }),
            ),
          ]),
        ),
    )
    this.table.replaceChildren(head, body)
  }
}
