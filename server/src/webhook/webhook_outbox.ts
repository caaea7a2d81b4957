import { randomBytes } from 'node:crypto'
import type { Logger } from '../logger.js'
import type { Site } from '../site/site.js'
import type { Store } from '../store/store.js'

export const WEBHOOK_EVENTS = [
  'chat.started',
  'chat.closed',
  'offline_message',
  'lead.captured',
  'invitation.sent',
  'invitation.opened',
  'invitation.dismissed',
] as const
export type WebhookEventType = (typeof WEBHOOK_EVENTS)[number]

/** The JSON body POSTed to a site's webhook URL. `id` stays the same across retries: receivers dedupe on it. */
export interface WebhookEvent {
  id: string
  type: WebhookEventType
  site: string
  /** Epoch ms when the fact happened. */
  createdAt: number
  data: Record<string, unknown>
}

/** An outbox entry (bucket `outbox`, key `SITE.EVENT_ID`): the event plus its delivery state. */
export interface OutboxRecord {
  event: WebhookEvent
  /** Deliveries tried so far. */
  attempts: number
  /** Epoch ms before which the event is not tried (again). */
  dueAt: number
  /** The node delivering it right now and until when its claim holds (a crashed node's claim lapses). */
  claimedBy?: string
  claimedUntil?: number
}

export const outboxKey = (site: string, id: string): string => `${site}.${id}`

/** Where facts become webhook events; fire-and-forget for the caller (errors are logged). */
export interface WebhookSink {
  emit(site: string, type: WebhookEventType, data: Record<string, unknown>): void
}

/**
 * Writes webhook events to the durable outbox (the Store's `outbox` bucket), from where a
 * WebhookDispatcher on some node delivers them. Only sites with a webhook URL get events.
 * Guarantee: an event whose write resolved is delivered at least once (or dropped after
 * BECKON_WEBHOOK_MAX_ATTEMPTS failures), whatever node restarts in between.
 */
export class WebhookOutbox implements WebhookSink {
  private readonly written: Array<() => void> = []

  constructor(
    private readonly store: Store,
    private readonly site: (id: string) => Site | undefined,
    private readonly log: Logger,
  ) {}

  /** Calls `listener` after each event landed in the outbox (the local dispatcher delivers at once). */
  onWritten(listener: () => void): void {
    this.written.push(listener)
  }

  emit(site: string, type: WebhookEventType, data: Record<string, unknown>): void {
    void this.add(site, type, data).catch((error: unknown) =>
      this.log.error({ err: error, site, type }, 'webhook event not stored'),
    )
  }

  /** Stores the event if the site has a webhook; resolves with it (undefined: no webhook). */
  async add(site: string, type: WebhookEventType, data: Record<string, unknown>): Promise<WebhookEvent | undefined> {
    if (!this.site(site)?.webhook) return undefined
    const now = Date.now()
    const event: WebhookEvent = {
      id: `evt_${now.toString(36)}${randomBytes(8).toString('hex')}`,
      type,
      site,
      createdAt: now,
      data,
    }
    const record: OutboxRecord = { event, attempts: 0, dueAt: now }
    await this.store.put('outbox', outboxKey(site, event.id), record)
    for (const listener of this.written) listener()
    return event
  }
}
