import { signal } from '@preact/signals'

export const STAT_KEYS = ['eligibleNow', 'sent', 'shown', 'opened', 'dismissed', 'replied', 'clicked'] as const
export type StatKey = (typeof STAT_KEYS)[number]
export type CampaignStats = Record<StatKey, number>

export interface CampaignRow {
  id: string
  name: string
  enabled: boolean
  priority: number
  stats?: CampaignStats
}

/** Why a campaign list could not be read. */
export class CampaignListError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'CampaignListError'
  }
}

/** Reads counters, missing ones as 0 (older nodes lack `clicked`). */
export function parseStats(input: unknown): CampaignStats {
  const s = typeof input === 'object' && input !== null ? (input as Record<string, unknown>) : {}
  return Object.fromEntries(STAT_KEYS.map((k) => [k, typeof s[k] === 'number' ? s[k] : 0])) as CampaignStats
}

/**
 * Validates `GET /v1/sites/SITE/campaigns`: `{campaigns: [...]}` (or a bare array, as older
 * nodes answer); campaigns without stats show dashes.
 */
export function parseCampaignList(input: unknown): CampaignRow[] {
  const list = Array.isArray(input)
    ? input
    : typeof input === 'object' && input !== null && Array.isArray((input as { campaigns?: unknown }).campaigns)
      ? (input as { campaigns: unknown[] }).campaigns
      : undefined
  if (!list) throw new CampaignListError('expected a list of campaigns')
  return list.map((item: unknown, i) => {
    if (typeof item !== 'object' || item === null) throw new CampaignListError(`campaign ${i}: expected an object`)
    const c = item as Record<string, unknown>
    if (typeof c.id !== 'string') throw new CampaignListError(`campaign ${i}: id missing`)
    const row: CampaignRow = {
      id: c.id,
      name: typeof c.name === 'string' && c.name ? c.name : c.id,
      enabled: c.enabled !== false,
      priority: typeof c.priority === 'number' ? c.priority : 0,
    }
    if (typeof c.stats === 'object' && c.stats !== null) row.stats = parseStats(c.stats)
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
export class CampaignListStore {
  readonly rows = signal<readonly CampaignRow[] | undefined>(undefined)
  readonly status = signal('Waiting for the connection…')
  private timer: number | undefined
  private controller: AbortController | undefined
  private source: { site: string; token: string } | undefined

  constructor() {
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

  refresh(): void {
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
      const rows = parseCampaignList(await response.json())
      this.rows.value = rows
      this.status.value =
        rows.length === 0 ? 'No campaigns defined for this site.' : `Updated ${new Date().toLocaleTimeString()}`
    } catch (error) {
      if (controller.signal.aborted) return
      this.notice(`Campaign list unreadable: ${error instanceof Error ? error.message : String(error)}`)
    }
  }

  private notice(text: string): void {
    this.status.value = text
    this.rows.value = undefined
  }
}
