import type { WebhookSink } from '../webhook/webhook_outbox.js'
import { randomBytes } from 'node:crypto'
import type { InvitationAction, InviteFrame } from '../../../shared/src/protocol.js'
import type { Logger } from '../logger.js'
import type { Metrics } from '../metrics.js'
import type { CampaignEngine, Invitation } from '../rules/campaign_engine.js'
import type { VisitorMatcher } from '../rules/visitor_matcher.js'
import type { LiveVisitor, TabSink } from '../visitor/live_visitor.js'
import type { VisitorHub, VisitorObserver } from '../visitor/visitor_hub.js'
import type { CampaignRegistry } from './campaign_registry.js'
import type { CampaignStats } from './campaign_stats.js'
import { inviteContent } from './campaign_variants.js'
import { profileMemory } from './profile_memory.js'

/** One live visitor's matching state on this node. */
interface Matching {
  engine: CampaignEngine
  matcher: VisitorMatcher
  /** Visit number the matcher's memory belongs to: a new visit re-attaches. */
  visit: number
  timer: NodeJS.Timeout | undefined
  /** Invitations sent this visit, made when the first one is (most visitors never get one). */
  sent: Map<string, SentInvitation> | undefined
  /** The invitation holding the one visible slot, until opened, dismissed or expired. */
  pending: PendingInvitation | undefined
  /** Latest campaign invitation not yet answered by a visitor message. */
  awaitingReply: string | undefined
}

interface PendingInvitation {
  frame: InviteFrame
  /** Sent to the tabs; false while its fired-record is not durable yet (held). */
  released: boolean
  /** Shown again in new tabs: not when it started a chat, whose replay takes over. */
  redeliver: boolean
}

interface SentInvitation {
  /** Undefined for an operator's invitation. */
  campaign: string | undefined
  /** Lifecycle actions already counted, as ACTION_BIT flags. */
  counted: number
  /** The A/B variant it carried, if any (stats per variant). */
  variant?: string
  /** What it said and when (a chat it starts shows it first). */
  text?: string
  at?: number
}

/** The campaign invitation a visitor's first message answers. */
export interface RepliedInvitation {
  campaign: string
  text: string
  at: number
}

const ACTION_BIT: Record<InvitationAction, number> = { shown: 1, opened: 2, dismissed: 4, clicked: 8 }

/** A held invitation retries its profile write this often, doubling up to the maximum, while the store fails. */
const HOLD_RETRY_MS = 500
const HOLD_RETRY_MAX_MS = 5000

export const newInvitationId = (): string => `i${Date.now().toString(36)}${randomBytes(4).toString('hex')}`

/**
 * Runs the campaign matcher for every live visitor of this node: feeds it the facts each
 * event changed, wakes it when a time condition comes due (so an invitation fires on time,
 * with no new event), delivers invitations to all the visitor's tabs and tracks their
 * lifecycle for stats and the one-visible-invitation slot.
 *
 * Guarantees: an invitation of a frequency-limited campaign (once_per_visitor, once_per_visit,
 * cooldown) reaches a tab only after the profile recording it is durable; while the store
 * fails it is held (the write retried) and dropped if the visitor leaves or starts a new
 * visit first. A pending invitation (neither opened nor dismissed) is re-delivered to every
 * tab the visitor attaches during the visit, marked `redelivered` and counted once, until it
 * expires `ttlMs` after it was sent and frees the slot; it is kept in the visit record, so
 * this holds after the visitor left the node's memory or moved to another owner.
 */
export class CampaignRunner implements VisitorObserver {
  private readonly matchings = new Map<LiveVisitor, Matching>()
  /** Operator invitations of visitors without campaigns (no Matching), for their lifecycle events. */
  private readonly unmatched = new WeakMap<LiveVisitor, Map<string, SentInvitation>>()

  constructor(
    private readonly hub: VisitorHub,
    private readonly registry: CampaignRegistry,
    private readonly stats: CampaignStats,
    private readonly metrics: Metrics,
    private readonly log: Logger,
    /** BECKON_INVITATION_TTL_SECONDS in ms. */
    private readonly ttlMs: number,
    private readonly webhooks: WebhookSink,
  ) {
    hub.observe(this)
  }

  changed(visitor: LiveVisitor, changes: ReadonlyMap<string, unknown>, now: number): void {
    const engine = this.registry.engine(visitor.site)
    let m = this.matchings.get(visitor)
    if (!engine) {
      if (m) this.detach(visitor, m)
      return
    }
    if (!m || m.engine !== engine || m.visit !== visitor.visit.n) {
      m = this.attach(visitor, engine, m, now)
      this.run(visitor, m, m.matcher.wake(now))
      return
    }
    this.run(visitor, m, m.matcher.update(changes as ReadonlyMap<string, never>, now))
  }

  gone(visitor: LiveVisitor): void {
    const m = this.matchings.get(visitor)
    if (m) this.detach(visitor, m)
  }

  /** The site's campaigns changed: every visitor of the site moves to the new engine. */
  recompiled(site: string): void {
    for (const visitor of this.hub.visitors(site)) this.changed(visitor, new Map(), Date.now())
  }

  private attach(visitor: LiveVisitor, engine: CampaignEngine, previous: Matching | undefined, now: number): Matching {
    if (previous) clearTimeout(previous.timer)
    const sameVisit = previous?.visit === visitor.visit.n
    const memory = profileMemory(visitor.profile, visitor.visit)
    const m: Matching = {
      engine,
      matcher: engine.attach(visitor.facts, memory, now, sameVisit ? previous.matcher : undefined),
      visit: visitor.visit.n,
      timer: undefined,
      sent: sameVisit ? previous.sent : undefined,
      pending: sameVisit ? previous.pending : undefined,
      awaitingReply: sameVisit ? previous.awaitingReply : undefined,
    }
    this.matchings.set(visitor, m)
    if (!sameVisit) this.restore(visitor, m, now)
    if (m.pending) m.matcher.occupy()
    return m
  }

  /**
   * The visit's pending invitation from the profile (the visitor left this node, or its owner
   * changed): it holds the slot again and is re-delivered until it expires.
   */
  private restore(visitor: LiveVisitor, m: Matching, now: number): void {
    const stored = visitor.visit.pendingInvitation
    if (!stored) return
    const { frame, counted } = stored
    if (frame.at + this.ttlMs <= now) {
      visitor.visit.pendingInvitation = undefined
      return
    }
    const pending: PendingInvitation = { frame, released: true, redeliver: true }
    ;(m.sent ??= new Map()).set(frame.id, { campaign: frame.campaign, counted, variant: frame.variant })
    m.pending = pending
    if (frame.campaign !== undefined) m.awaitingReply = frame.id
    this.expireLater(visitor, pending, frame.at + this.ttlMs - now)
    // The tab whose arrival loaded the visitor attached before this matching existed.
    visitor.broadcast({ ...frame, redelivered: true })
  }

  private detach(visitor: LiveVisitor, m: Matching): void {
    clearTimeout(m.timer)
    this.matchings.delete(visitor)
  }

  /** Delivers what the matcher fired and sets the timer for its next wake-up. */
  private run(visitor: LiveVisitor, m: Matching, invitations: Invitation[]): void {
    for (const invitation of invitations) this.deliver(visitor, m, invitation)
    clearTimeout(m.timer)
    m.timer = undefined
    const wakeAt = m.matcher.nextWakeAt
    if (wakeAt === undefined) return
    m.timer = setTimeout(
      () => {
        m.timer = undefined
        if (this.matchings.get(visitor) !== m) return
        try {
          this.run(visitor, m, m.matcher.wake(Date.now()))
        } catch (error) {
          this.log.error({ err: error, visitor: visitor.id }, 'campaign wake-up failed')
        }
      },
      Math.max(0, wakeAt - Date.now()),
    )
  }

  private deliver(visitor: LiveVisitor, m: Matching, invitation: Invitation): void {
    const now = Date.now()
    const campaign = this.registry.get(visitor.site, invitation.campaign)
    const content = inviteContent(campaign, invitation, visitor.id, visitor.facts, now)
    const frame: InviteFrame = {
      t: 'invite',
      id: newInvitationId(),
      campaign: invitation.campaign,
      ...content,
      ...(invitation.collect !== undefined ? { collect: invitation.collect } : {}),
      startChat: invitation.startChat,
      at: now,
    }
    const pending: PendingInvitation = { frame, released: false, redeliver: true }
    ;(m.sent ??= new Map()).set(frame.id, {
      campaign: invitation.campaign,
      counted: 0,
      variant: content.variant,
      text: frame.text,
      at: now,
    })
    m.pending = pending
    m.awaitingReply = frame.id
    visitor.invited(invitation.campaign, now)
    this.hub.timeline.invited(visitor, frame, campaign?.name)
    // Written with the fired-record: a profile that says it fired also knows it is pending.
    visitor.visit.pendingInvitation = { frame, counted: 0 }
    void this.release(visitor, pending, invitation.campaign, invitation.limited, content.variant)
    // The invitation changed invitations.* facts: let the matcher see them after this step.
    queueMicrotask(() => this.hub.emit(visitor))
  }

  /**
   * Durable before it is shown: a crash right after must not let another node fire it again.
   * A limited campaign's invitation waits for a successful write; an every_time one without
   * cooldown has nothing to repeat and is shown whatever the write's outcome.
   */
  private async release(
    visitor: LiveVisitor,
    pending: PendingInvitation,
    campaign: string,
    limited: boolean,
    variant: string | undefined,
  ) {
    // Not waited for when unlimited: the invitation goes out at once (a disk sync less of latency).
    if (!limited) void this.hub.saveNow(visitor)
    else
      for (let wait = HOLD_RETRY_MS; !(await this.hub.saveNow(visitor)); ) {
        if (!this.holds(visitor, pending)) return
        this.log.warn({ visitor: visitor.id, campaign }, 'invitation held until its fired-record is stored')
        await new Promise((resolve) => setTimeout(resolve, wait))
        wait = Math.min(wait * 2, HOLD_RETRY_MAX_MS)
      }
    if (!this.holds(visitor, pending)) return
    pending.released = true
    this.stats.count(visitor.site, campaign, 'sent', variant)
    this.metrics.invitations.inc({ origin: 'campaign' })
    const { frame } = pending
    this.webhooks.emit(visitor.site, 'invitation.sent', {
      invitation: { id: frame.id, campaign, text: frame.text, startChat: frame.startChat },
      visitor: { id: visitor.id },
    })
    visitor.broadcast(pending.frame)
    this.expireLater(visitor, pending)
  }

  /** Whether `pending` still holds the slot of a visitor live on this node. */
  private holds(visitor: LiveVisitor, pending: PendingInvitation): boolean {
    return this.matchings.get(visitor)?.pending === pending
  }

  /** A pending invitation frees the slot after the TTL, so an ignored one does not block the visit. */
  private expireLater(visitor: LiveVisitor, pending: PendingInvitation, afterMs = this.ttlMs): void {
    setTimeout(() => {
      const m = this.matchings.get(visitor)
      if (!m || m.pending !== pending) return
      this.unpend(visitor, m)
      try {
        this.run(visitor, m, m.matcher.resolved(Date.now()))
      } catch (error) {
        this.log.error({ err: error, visitor: visitor.id }, 'invitation expiry failed')
      }
    }, afterMs).unref()
  }

  /** The pending invitation was answered or expired: the slot is free, on every node. */
  private unpend(visitor: LiveVisitor, m: Matching): void {
    m.pending = undefined
    visitor.visit.pendingInvitation = undefined
    void this.hub.saveNow(visitor)
  }

  /** An operator's invitation reached the visitor: it takes the visible slot too. */
  operatorInvited(visitor: LiveVisitor, frame: InviteFrame): void {
    const m = this.matchings.get(visitor)
    if (!m) {
      let sent = this.unmatched.get(visitor)
      if (!sent) this.unmatched.set(visitor, (sent = new Map()))
      sent.set(frame.id, { campaign: undefined, counted: 0 })
      // Only the latest few matter: the widget shows one invitation at a time.
      if (sent.size > 8) sent.delete(sent.keys().next().value as string)
      return
    }
    const pending: PendingInvitation = { frame, released: true, redeliver: !frame.startChat }
    ;(m.sent ??= new Map()).set(frame.id, { campaign: undefined, counted: 0 })
    m.pending = pending
    m.matcher.occupy()
    visitor.visit.pendingInvitation = pending.redeliver ? { frame, counted: 0 } : undefined
    void this.hub.saveNow(visitor)
    this.expireLater(visitor, pending)
  }

  /** A tab attached: it shows the pending invitation too (re-delivered, not a new `sent`). */
  attached(visitor: LiveVisitor, sink: TabSink): void {
    const m = this.matchings.get(visitor)
    if (m?.pending?.released && m.pending.redeliver && m.visit === visitor.visit.n)
      sink.send({ ...m.pending.frame, redelivered: true })
  }

  /** `inv {id, action}` from a tab: counts it once per invitation and frees the slot on opened/dismissed. */
  lifecycle(visitor: LiveVisitor, id: string, action: InvitationAction): void {
    const m = this.matchings.get(visitor)
    const sent = m?.sent?.get(id) ?? this.unmatched.get(visitor)?.get(id)
    if (!sent) return
    if (!(sent.counted & ACTION_BIT[action])) {
      sent.counted |= ACTION_BIT[action]
      if (sent.campaign !== undefined) this.stats.count(visitor.site, sent.campaign, action, sent.variant)
      if (action === 'opened' || action === 'dismissed') {
        const invitation = sent.campaign === undefined ? { id } : { id, campaign: sent.campaign }
        this.webhooks.emit(visitor.site, `invitation.${action}`, { invitation, visitor: { id: visitor.id } })
      }
      const stored = visitor.visit.pendingInvitation
      if (stored?.frame.id === id) {
        stored.counted = sent.counted
        this.hub.saveSoon(visitor)
      }
    }
    // A click leaves the bubble up (a link opens in a new tab); opening or dismissing frees the slot.
    if (m && (action === 'opened' || action === 'dismissed') && m.pending?.frame.id === id) {
      this.unpend(visitor, m)
      this.run(visitor, m, m.matcher.resolved(Date.now()))
    }
  }

  /**
   * The visitor wrote a chat message: the latest campaign invitation counts as replied.
   * Returns that invitation (its campaign's tags and its text go on a conversation the message starts).
   */
  replied(visitor: LiveVisitor): RepliedInvitation | undefined {
    const m = this.matchings.get(visitor)
    const id = m?.awaitingReply
    if (!m || id === undefined) return undefined
    m.awaitingReply = undefined
    const sent = m.sent?.get(id)
    if (sent?.campaign === undefined) return undefined
    this.stats.count(visitor.site, sent.campaign, 'replied', sent.variant)
    return { campaign: sent.campaign, text: sent.text ?? '', at: sent.at ?? Date.now() }
  }

  /** Whether an invitation (campaign or operator) holds the visitor's visible slot. */
  showing(visitor: LiveVisitor): boolean {
    return this.matchings.get(visitor)?.pending !== undefined
  }

  /** Campaign id → visitors of this node eligible right now, per site. */
  eligibleCounts(): Map<string, Map<string, number>> {
    const bySite = new Map<string, Map<string, number>>()
    for (const [visitor, m] of this.matchings) {
      let counts = bySite.get(visitor.site)
      if (!counts) bySite.set(visitor.site, (counts = new Map()))
      for (const id of m.matcher.eligibleNow()) counts.set(id, (counts.get(id) ?? 0) + 1)
    }
    return bySite
  }

  close(): void {
    for (const [visitor, m] of this.matchings) this.detach(visitor, m)
  }
}
