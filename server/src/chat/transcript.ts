import type { Conversation, StoredMessage } from './conversation.js'

/** A conversation with its messages, as the transcript download and the History view get it. */
export interface Transcript {
  conversation: Omit<Conversation, 'declined' | 'accepted'>
  messages: StoredMessage[]
}

export function transcriptOf(c: Conversation, messages: StoredMessage[]): Transcript {
  const { declined: _declined, accepted: _accepted, ...conversation } = c
  return { conversation, messages }
}

const time = (at: number): string => `${new Date(at).toISOString().slice(0, 19).replace('T', ' ')} UTC`

/** The visitor as a transcript names it: name <email>, else the email, else `visitor ID`. */
export function visitorLabel(c: Pick<Conversation, 'visitor' | 'visitorName' | 'visitorEmail' | 'contact'>): string {
  const name = c.visitorName ?? c.contact?.name
  const email = c.visitorEmail ?? c.contact?.email
  if (name !== undefined && email !== undefined) return `${name} <${email}>`
  return name ?? email ?? `visitor ${c.visitor}`
}

/** A plain-text transcript (the `?format=text` download): a header, then one line per message. */
export function transcriptText({ conversation: c, messages }: Transcript): string {
  const lines = [`Conversation ${c.id} (site ${c.site})`, `Visitor: ${visitorLabel(c)} [${c.visitor}]`]
  if (c.operator !== undefined) lines.push(`Operator: ${c.operator}`)
  lines.push(`Started: ${time(c.createdAt)}`)
  if (c.closedAt !== undefined) lines.push(`Closed: ${time(c.closedAt)}`)
  if (c.rating !== undefined) lines.push(`Rating: ${c.rating}`)
  if (c.invitation) {
    const from = c.invitation.campaign
      ? `campaign ${c.invitation.campaignName ?? c.invitation.campaign}`
      : `operator ${c.invitation.operator ?? ''}`.trim()
    lines.push(`Invitation (${from}), ${time(c.invitation.at)}: ${c.invitation.text}`)
  }
  lines.push('')
  const who = visitorLabel(c)
  for (const m of messages) {
    const author = m.from === 'visitor' ? who : (m.operator ?? 'operator')
    lines.push(`[${time(m.at)}] ${author}: ${m.text}`)
  }
  return `${lines.join('\n')}\n`
}
