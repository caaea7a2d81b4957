import { randomBytes } from 'node:crypto'
import { z } from 'zod'
import type { ChatFrame, ChatInvitation, ChatState, MsgFrame, Rating } from '../../../shared/src/protocol.js'

/**
 * A chat between one visitor and the site's operators (bucket `conversations`, key
 * `SITE.c.ID`). At most one is open per visitor, enforced by the `SITE.open.VISITOR` pointer
 * created atomically. Messages live in the log `SITE.ID`.
 */
export interface Conversation {
  id: string
  site: string
  visitor: string
  /** The visitor's departments when the chat began: decides which operators see it. */
  departments: string[]
  state: ChatState
  operator?: string
  /** The assigned operator confirmed (accept, reply, invite-and-start or assign-to-me). */
  accepted: boolean
  /** Operators who let an offer lapse; auto-assignment skips them. */
  declined: string[]
  /** Who transferred the chat to its current (not yet accepted) assignee or department. */
  transferredBy?: string
  createdAt: number
  closedAt?: number
  /** Extension: tags of the campaign whose invitation started it. */
  tags?: string[]
  /** An offline message's name and email (state `offline`, until an operator closes it). */
  contact?: { name?: string; email: string }
  /** The invitation the chat answers (campaign or manual), shown as the thread's first entry. */
  invitation?: Invitation
  /** The visitor's rating of the chat (`rate` while it is open or after it closed). */
  rating?: Rating
  /** The visitor's name and email as known when the chat began, so operators see who it is. */
  visitorName?: string
  visitorEmail?: string
}

export type Invitation = ChatInvitation

/** A pending manual invitation: whom the chat goes to if the visitor replies. */
export interface PendingInvite {
  operator: string
  assignToMe: boolean
  at: number
  /** The invitation's text (absent in records written before it was kept). */
  text?: string
}

export const conversationKey = (site: string, id: string): string => `${site}.c.${id}`
export const openKey = (site: string, visitor: string): string => `${site}.open.${visitor}`
/** Pointer of an offline message waiting in the Offline queue (deleted when it is closed). */
export const offlineKey = (site: string, id: string): string => `${site}.offline.${id}`
export const inviteKey = (site: string, visitor: string): string => `${site}.invite.${visitor}`
export const messageLog = (site: string, id: string): string => `${site}.${id}`

export function newConversationId(): string {
  return `c${Date.now().toString(36)}${randomBytes(5).toString('hex')}`
}

const conversationSchema = z.object({
  id: z.string(),
  site: z.string(),
  visitor: z.string(),
  departments: z.array(z.string()),
  state: z.enum(['open', 'assigned', 'closed', 'offline']),
  operator: z.string().optional(),
  accepted: z.boolean(),
  declined: z.array(z.string()),
  transferredBy: z.string().optional(),
  createdAt: z.number(),
  closedAt: z.number().optional(),
  tags: z.array(z.string()).optional(),
  contact: z.object({ name: z.string().optional(), email: z.string() }).optional(),
  invitation: z
    .object({
      text: z.string(),
      at: z.number(),
      campaign: z.string().optional(),
      campaignName: z.string().optional(),
      operator: z.string().optional(),
    })
    .optional(),
  rating: z.enum(['great', 'average', 'poor']).optional(),
  visitorName: z.string().optional(),
  visitorEmail: z.string().optional(),
})

export function parseConversation(input: unknown): Conversation {
  return conversationSchema.parse(input) as Conversation
}

const messageSchema = z.object({
  id: z.string(),
  from: z.enum(['operator', 'visitor', 'system']),
  operator: z.string().optional(),
  text: z.string(),
  at: z.number(),
  ref: z.string().optional(),
})

export type StoredMessage = z.infer<typeof messageSchema>

export function parseStoredMessage(input: unknown): StoredMessage {
  return messageSchema.parse(input)
}

export function chatFrame(c: Conversation): ChatFrame & { visitor: string } {
  const frame: ChatFrame & { visitor: string } = {
    t: 'chat',
    conversation: c.id,
    state: c.state,
    accepted: c.accepted,
    visitor: c.visitor,
  }
  if (c.operator !== undefined) frame.operator = c.operator
  if (c.transferredBy !== undefined && !c.accepted) frame.transferredBy = c.transferredBy
  if (c.tags !== undefined) frame.tags = c.tags
  if (c.contact !== undefined) frame.contact = c.contact
  frame.createdAt = c.createdAt
  if (c.invitation !== undefined) frame.invitation = c.invitation
  if (c.rating !== undefined) frame.rating = c.rating
  if (c.visitorName !== undefined) frame.visitorName = c.visitorName
  if (c.visitorEmail !== undefined) frame.visitorEmail = c.visitorEmail
  return frame
}

export function msgFrame(c: Conversation, m: StoredMessage): MsgFrame & { visitor: string } {
  return { t: 'msg', conversation: c.id, visitor: c.visitor, ...m }
}

/** A conversation as webhook events carry it (no routing internals such as `declined`). */
export function conversationData(c: Conversation): Record<string, unknown> {
  const data: Record<string, unknown> = {
    id: c.id,
    visitor: c.visitor,
    state: c.state,
    departments: c.departments,
    createdAt: c.createdAt,
  }
  if (c.operator !== undefined) data.operator = c.operator
  if (c.closedAt !== undefined) data.closedAt = c.closedAt
  if (c.contact !== undefined) data.contact = c.contact
  return data
}
