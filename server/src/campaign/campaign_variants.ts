import { createHash } from 'node:crypto'
import type { InviteFrame } from '../../../shared/src/protocol.js'
import type { Campaign, MessageContent, MessageVariant } from '../rules/campaign.js'
import type { Facts } from '../rules/facts.js'
import type { Invitation } from '../rules/visitor_matcher.js'
import { renderTemplate } from '../rules/template.js'

/**
 * The A/B variant a visitor gets: the first 32 bits of SHA-256(campaign id, NUL, visitor id)
 * modulo the sum of weights picks a variant in definition order. Deterministic, so a visitor
 * sees the same variant on every tab, node and visit, and the split follows the weights.
 */
export function pickVariant(variants: readonly MessageVariant[], visitor: string, campaign: string): MessageVariant {
  const total = variants.reduce((sum, v) => sum + v.weight, 0)
  let r = createHash('sha256').update(`${campaign}\0${visitor}`).digest().readUInt32BE(0) % total
  for (const v of variants) {
    if (r < v.weight) return v
    r -= v.weight
  }
  return variants[variants.length - 1] as MessageVariant
}

/** What an invitation frame carries beyond the matcher's rendered message. */
export type InviteContent = Pick<InviteFrame, 'text' | 'followUp' | 'variant' | 'media' | 'buttons'>

/**
 * The content a visitor's invitation shows: its variant's (texts rendered like the matcher
 * renders the message) when the campaign has variants, else the matcher's rendered message,
 * with media and buttons as defined.
 */
export function inviteContent(
  campaign: Campaign | undefined,
  invitation: Invitation,
  visitor: string,
  facts: Facts,
  now: number,
): InviteContent {
  const variants = campaign?.message.variants
  const variant = variants && pickVariant(variants, visitor, invitation.campaign)
  const source: MessageContent | undefined = variant ?? campaign?.message
  const content: InviteContent = variant
    ? { text: renderTemplate(variant.text, facts, now), variant: variant.id }
    : { text: invitation.text }
  const followUp = variant ? variant.followUp && renderTemplate(variant.followUp, facts, now) : invitation.followUp
  if (followUp) content.followUp = followUp
  if (source?.media) content.media = source.media
  if (source?.buttons?.length) content.buttons = source.buttons
  return content
}
