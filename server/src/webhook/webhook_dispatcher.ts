import type { WebhookConfig } from '../config.js'
import type { Logger } from '../logger.js'
import type { Site } from '../site/site.js'
import type { Entry, Store } from '../store/store.js'
import type { OutboxRecord } from './webhook_outbox.js'
import { SIGNATURE_HEADER, signWebhook } from './webhook_signature.js'

/** Deliveries one node runs at once; more due events wait for the next pass. */
const MAX_IN_FLIGHT = 32

/** Wait before attempt `attempts + 1`, after `attempts` failures: base × 2^(attempts-1), capped. */
export function retryDelay(config: Pick<WebhookConfig, 'baseDelayMs' | 'maxDelayMs'>, attempts: number): number {
  return Math.min(config.maxDelayMs, config.baseDelayMs * 2 ** Math.max(0, attempts - 1))
}

/**
 * Delivers outbox events to their site's webhook. Every node runs one; an event is claimed
 * by compare-and-set on its outbox entry (claimedBy/claimedUntil, BECKON_WEBHOOK_LEASE_MS)
 * before it is sent, so exactly one node sends each attempt while nodes are healthy. A 2xx
 * answer deletes the entry; anything else (status, timeout, refused connection) schedules a
 * retry with exponential backoff, up to BECKON_WEBHOOK_MAX_ATTEMPTS. A node dying mid-delivery
 * leaves a claim that lapses, after which another node (or the restarted one) sends it again:
 * at least once, never ordered, deduplicated by the receiver on the event id.
 */
export class WebhookDispatcher {
  private timer: NodeJS.Timeout | undefined
  private pass: Promise<void> | undefined
  private again = false
  private readonly inFlight = new Set<Promise<void>>()
  private stopped = false

  constructor(
    private readonly nodeId: string,
    private readonly store: Store,
    private readonly site: (id: string) => Site | undefined,
    private readonly config: WebhookConfig,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.kick(), this.config.pollMs)
    this.kick()
  }

  /** Looks for due events now (coalesced: one pass at a time, one more queued). */
  kick(): void {
    if (this.stopped) return
    if (this.pass) {
      this.again = true
      return
    }
    this.pass = this.scan()
      .catch((error: unknown) => this.log.warn({ err: error }, 'webhook outbox scan failed'))
      .finally(() => {
        this.pass = undefined
        if (this.again) {
          this.again = false
          this.kick()
        }
      })
  }

  private async scan(): Promise<void> {
    const now = Date.now()
    for (const entry of await this.store.list<OutboxRecord>('outbox', '')) {
      if (this.stopped || this.inFlight.size >= MAX_IN_FLIGHT) return
      const record = entry.value
      if (record.dueAt > now || (record.claimedUntil ?? 0) > now) continue
      const claimed: OutboxRecord = { ...record, claimedBy: this.nodeId, claimedUntil: now + this.config.leaseMs }
      const revision = await this.store.update('outbox', entry.key, claimed, entry.revision)
      if (revision === false) continue // another node claimed it first
      const delivery = this.deliver({ key: entry.key, value: claimed, revision }).catch((error: unknown) =>
        this.log.error({ err: error, event: record.event.id }, 'webhook delivery bookkeeping failed'),
      )
      this.inFlight.add(delivery)
      void delivery.finally(() => this.inFlight.delete(delivery))
    }
  }

  private async deliver(entry: Entry<OutboxRecord>): Promise<void> {
    const { event } = entry.value
    const webhook = this.site(event.site)?.webhook
    if (!webhook) {
      // The site dropped its webhook (or was deleted) since: nobody to deliver to.
      await this.store.delete('outbox', entry.key)
      return
    }
    const attempt = entry.value.attempts + 1
    const failure = await this.post(webhook.url, webhook.secret, JSON.stringify(event), event.type, event.id, attempt)
    if (failure === undefined) {
      await this.store.delete('outbox', entry.key)
      return
    }
    if (attempt >= this.config.maxAttempts) {
      this.log.warn({ event: event.id, type: event.type, site: event.site, attempt, failure }, 'webhook event dropped')
      await this.store.delete('outbox', entry.key)
      return
    }
    const delay = retryDelay(this.config, attempt)
    this.log.info({ event: event.id, attempt, failure, retryInMs: delay }, 'webhook delivery failed')
    const next: OutboxRecord = { event, attempts: attempt, dueAt: Date.now() + delay }
    // A lost CAS means our claim lapsed and another node took over: its outcome wins.
    await this.store.update('outbox', entry.key, next, entry.revision)
    if (!this.stopped) setTimeout(() => this.kick(), delay).unref()
  }

  /** POSTs one signed delivery; undefined on a 2xx answer, else why it failed. */
  private async post(
    url: string,
    secret: string,
    body: string,
    type: string,
    id: string,
    attempt: number,
  ): Promise<string | undefined> {
    try {
      const res = await fetch(url, {
        method: 'POST',
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.config.timeoutMs),
        headers: {
          'content-type': 'application/json',
          'user-agent': 'beckon-webhook/1',
          'beckon-event': type,
          'beckon-event-id': id,
          'beckon-delivery-attempt': String(attempt),
          [SIGNATURE_HEADER]: signWebhook(secret, body, Math.floor(Date.now() / 1000)),
        },
      })
      await res.body?.cancel()
      return res.status >= 200 && res.status < 300 ? undefined : `HTTP ${res.status}`
    } catch (error) {
      return error instanceof Error ? error.message : String(error)
    }
  }

  /** Stops polling and waits for deliveries under way (each bounded by BECKON_WEBHOOK_TIMEOUT_MS). */
  async stop(): Promise<void> {
    this.stopped = true
    clearInterval(this.timer)
    await this.pass
    await Promise.all(this.inFlight)
  }
}
