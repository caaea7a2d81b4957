import type {
  ChatFrame,
  ChatState,
  InviteButton,
  InviteFrame,
  InviteMedia,
  MsgFrame,
  ServerToVisitorFrame,
} from '../../shared/src/protocol.js'

/**
 * What the widget reads of `chat` beyond the v1 fields: the invitation that started the chat
 * and the operator's display name (agreed extensions, added server-side by other features).
 */
export type WidgetChatFrame = Omit<ChatFrame, 'invitation'> & { invitation?: { text: string }; operatorName?: string }
/** `msg` may come from the system (an idle-close note, say), rendered as a centred note. */
export type WidgetMsgFrame = Omit<MsgFrame, 'from'> & { from: MsgFrame['from'] | 'system' }
/** The frames the widget handles, as it reads them. */
export type WidgetFrame = Exclude<ServerToVisitorFrame, ChatFrame | MsgFrame> | WidgetChatFrame | WidgetMsgFrame

const CHAT_STATES: readonly ChatState[] = ['open', 'assigned', 'closed']

const isString = (v: unknown): v is string => typeof v === 'string'

/** The server checks campaign urls when they are saved; the widget refuses anything but https: and /path again. */
const safeUrl = (url: string): boolean => /^(https:\/\/|\/(?![/\\]))[^\s\\]*$/i.test(url)
const optionalString = (v: unknown): boolean => v === undefined || typeof v === 'string'

/**
 * Checks the shape of a decoded server frame. Frames of unknown type or with missing fields
 * give undefined and are ignored, so a newer server can add frames without breaking the widget.
 */
export function parseServerFrame(input: unknown): WidgetFrame | undefined {
  if (typeof input !== 'object' || input === null) return undefined
  const f = input as Record<string, unknown>
  switch (f.t) {
    case 'welcome':
      return isString(f.visitor) && isString(f.token) && typeof f.visit === 'number' && typeof f.resumed === 'boolean'
        ? (f as unknown as ServerToVisitorFrame)
        : undefined
    case 'invite': {
      if (!isString(f.id) || !isString(f.text) || !optionalString(f.followUp) || !optionalString(f.operator))
        return undefined
      const collect = Array.isArray(f.collect)
        ? f.collect.filter((c): c is 'name' | 'email' => c === 'name' || c === 'email')
        : undefined
      const media = f.media as InviteMedia | undefined
      const buttons = Array.isArray(f.buttons)
        ? (f.buttons as InviteButton[]).filter(
            (b) => isString(b?.label) && ('url' in b ? isString(b.url) && safeUrl(b.url) : b.reply === true),
          )
        : undefined
      return {
        ...(f as unknown as InviteFrame),
        collect,
        startChat: f.startChat === true,
        media:
          isString(media?.url) && safeUrl(media.url) ? { url: media.url, alt: String(media.alt ?? '') } : undefined,
        buttons,
      }
    }
    case 'msg':
      return isString(f.id) &&
        isString(f.conversation) &&
        (f.from === 'operator' || f.from === 'visitor' || f.from === 'system') &&
        isString(f.text) &&
        optionalString(f.operator)
        ? (f as unknown as WidgetMsgFrame)
        : undefined
    case 'chat': {
      if (!isString(f.conversation) || !CHAT_STATES.includes(f.state as ChatState) || !optionalString(f.operator))
        return undefined
      const invitation = f.invitation as { text?: unknown } | undefined
      return {
        ...(f as unknown as WidgetChatFrame),
        invitation: isString(invitation?.text) ? { text: invitation.text } : undefined,
        operatorName: isString(f.operatorName) ? f.operatorName : undefined,
      }
    }
    case 'team':
      return typeof f.online === 'boolean' && typeof f.available === 'boolean'
        ? (f as unknown as ServerToVisitorFrame)
        : undefined
    case 'offline':
    case 'contact':
      return f.ok === true ? (f as unknown as ServerToVisitorFrame) : undefined
    case 'typing':
      return isString(f.conversation) && typeof f.on === 'boolean' ? (f as unknown as ServerToVisitorFrame) : undefined
    case 'error':
      return isString(f.code) && isString(f.message) ? (f as unknown as ServerToVisitorFrame) : undefined
    default:
      return undefined
  }
}
