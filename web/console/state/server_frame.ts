import {
  UTM_KEYS,
  type ChatFrame,
  type ChatInvitation,
  type ChatState,
  type DevicePlatform,
  type ErrorFrame,
  type GoneFrame,
  type MsgFrame,
  type OperatorsFrame,
  type PageInfo,
  type Rating,
  type ReadyFrame,
  type TypingFrame,
  type VisitorSummary,
  type VisitorsFrame,
  type VisitorUpsertFrame,
  type WindowFrame,
} from '../../../shared/src/protocol.js'

/**
 * Operators get the visitor of a chat with each chat frame, and the tags of the campaign
 * whose invitation started it (extensions of the contract).
 */
export type ChatStateFrame = ChatFrame & { visitor: string; tags?: string[] }
/** Operators get the visitor of a message with each msg frame (an extension of the contract). */
export type ChatMessageFrame = MsgFrame & { visitor: string }
/** Extension: the visitor of a chat started or stopped typing. */
export type VisitorTypingFrame = TypingFrame & { visitor: string }

export type ConsoleFrame =
  | ReadyFrame
  | VisitorsFrame
  | WindowFrame
  | VisitorUpsertFrame
  | GoneFrame
  | ChatStateFrame
  | ChatMessageFrame
  | ErrorFrame
  | OperatorsFrame
  | VisitorTypingFrame

/** A frame from the node that this console cannot use; it is reported and skipped. */
export class ServerFrameError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ServerFrameError'
  }
}

type Json = Record<string, unknown>

function object(value: unknown, path: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new ServerFrameError(`${path}: expected an object`)
  return value as Json
}
function string(o: Json, key: string, path: string): string {
  const value = o[key]
  if (typeof value !== 'string') throw new ServerFrameError(`${path}.${key}: expected a string`)
  return value
}
/** A chat's invitation (campaign or manual), its thread's first entry. */
function invitation(value: unknown, path: string): ChatInvitation {
  const o = object(value, `${path}.invitation`)
  const p = `${path}.invitation`
  return {
    text: string(o, 'text', p),
    at: number(o, 'at', p),
    campaign: optString(o, 'campaign', p),
    campaignName: optString(o, 'campaignName', p),
    operator: optString(o, 'operator', p),
  }
}

function rating(value: unknown, path: string): Rating | undefined {
  if (value === undefined || value === null) return undefined
  if (value === 'great' || value === 'average' || value === 'poor') return value
  throw new ServerFrameError(`${path}.rating: unknown rating`)
}

function optString(o: Json, key: string, path: string): string | undefined {
  return o[key] === undefined || o[key] === null ? undefined : string(o, key, path)
}
function number(o: Json, key: string, path: string): number {
  const value = o[key]
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new ServerFrameError(`${path}.${key}: expected a number`)
  return value
}
function optNumber(o: Json, key: string, path: string): number | undefined {
  return o[key] === undefined || o[key] === null ? undefined : number(o, key, path)
}
function boolean(o: Json, key: string, path: string): boolean {
  const value = o[key]
  if (typeof value !== 'boolean') throw new ServerFrameError(`${path}.${key}: expected a boolean`)
  return value
}
function strings(o: Json, key: string, path: string): string[] {
  const value = o[key]
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string'))
    throw new ServerFrameError(`${path}.${key}: expected strings`)
  return value as string[]
}

const CHAT_STATES: readonly ChatState[] = ['open', 'assigned', 'closed', 'offline']
function chatState(o: Json, key: string, path: string): ChatState {
  const value = string(o, key, path)
  if (!(CHAT_STATES as readonly string[]).includes(value))
    throw new ServerFrameError(`${path}.${key}: unknown chat state ${value}`)
  return value as ChatState
}

/** An offline message's details: the email is how the operator answers it. */
function contact(value: unknown, path: string): { name?: string; email: string } {
  const o = object(value, path)
  return { name: optString(o, 'name', path), email: string(o, 'email', path) }
}

const PLATFORMS: readonly DevicePlatform[] = ['desktop', 'mobile', 'tablet']

function page(value: unknown, path: string): PageInfo {
  const o = object(value, path)
  return { url: string(o, 'url', path), title: string(o, 'title', path), referrer: optString(o, 'referrer', path) }
}

/** Copies only the known fields, so nothing unexpected reaches the DOM. */
export function parseVisitorSummary(value: unknown, path = 'visitor'): VisitorSummary {
  const o = object(value, path)
  const geo = object(o.geo ?? {}, `${path}.geo`)
  const device = object(o.device ?? {}, `${path}.device`)
  const utmIn = object(o.utm ?? {}, `${path}.utm`)
  const utm: VisitorSummary['utm'] = {}
  for (const key of UTM_KEYS) utm[key] = optString(utmIn, key, `${path}.utm`)
  const platform = optString(device, 'platform', `${path}.device`)
  let chat: VisitorSummary['chat']
  if (o.chat !== undefined && o.chat !== null) {
    const c = object(o.chat, `${path}.chat`)
    chat = {
      conversation: string(c, 'conversation', `${path}.chat`),
      state: chatState(c, 'state', `${path}.chat`),
      operator: optString(c, 'operator', `${path}.chat`),
    }
  }
  return {
    id: string(o, 'id', path),
    site: string(o, 'site', path),
    departments: strings(o, 'departments', path),
    name: optString(o, 'name', path),
    email: optString(o, 'email', path),
    authenticated: boolean(o, 'authenticated', path),
    page: page(o.page, `${path}.page`),
    pageSince: number(o, 'pageSince', path),
    visitSince: number(o, 'visitSince', path),
    visits: number(o, 'visits', path),
    pageViews: number(o, 'pageViews', path),
    referrer: optString(o, 'referrer', path),
    source: optString(o, 'source', path),
    utm,
    geo: {
      country: optString(geo, 'country', `${path}.geo`),
      region: optString(geo, 'region', `${path}.geo`),
      city: optString(geo, 'city', `${path}.geo`),
    },
    device: {
      platform:
        platform && (PLATFORMS as readonly string[]).includes(platform) ? (platform as DevicePlatform) : 'desktop',
      os: optString(device, 'os', `${path}.device`),
      browser: optString(device, 'browser', `${path}.device`),
    },
    language: optString(o, 'language', path),
    widgetOpen: boolean(o, 'widgetOpen', path),
    tabs: number(o, 'tabs', path),
    chat,
  }
}

/** Validates a decoded JSON frame from the operator socket. */
export function parseServerFrame(input: unknown): ConsoleFrame {
  const o = object(input, 'frame')
  const t = string(o, 't', 'frame')
  const path = `frame(${t})`
  switch (t) {
    case 'ready':
      return {
        t,
        operator: string(o, 'operator', path),
        site: string(o, 'site', path),
        departments: strings(o, 'departments', path),
      }
    case 'visitors': {
      if (!Array.isArray(o.list)) throw new ServerFrameError(`${path}.list: expected an array`)
      return {
        t,
        site: string(o, 'site', path),
        list: o.list.map((v, i) => parseVisitorSummary(v, `${path}.list[${i}]`)),
        total: optNumber(o, 'total', path),
        offset: optNumber(o, 'offset', path),
        limit: optNumber(o, 'limit', path),
      }
    }
    case 'window':
      return {
        t,
        site: string(o, 'site', path),
        total: number(o, 'total', path),
        offset: number(o, 'offset', path),
        ids: strings(o, 'ids', path),
      }
    case 'visitor':
      return { t, ...parseVisitorSummary(o, path) }
    case 'gone':
      return { t, visitor: string(o, 'visitor', path) }
    case 'chat':
      return {
        t,
        conversation: string(o, 'conversation', path),
        state: chatState(o, 'state', path),
        operator: optString(o, 'operator', path),
        accepted: o.accepted === true,
        visitor: string(o, 'visitor', path),
        tags: o.tags === undefined || o.tags === null ? undefined : strings(o, 'tags', path),
        createdAt: o.createdAt === undefined ? undefined : number(o, 'createdAt', path),
        contact: o.contact === undefined ? undefined : contact(o.contact, `${path}.contact`),
        invitation: o.invitation === undefined || o.invitation === null ? undefined : invitation(o.invitation, path),
        rating: rating(o.rating, path),
        visitorName: optString(o, 'visitorName', path),
        visitorEmail: optString(o, 'visitorEmail', path),
      }
    case 'msg': {
      const from = string(o, 'from', path)
      if (from !== 'operator' && from !== 'visitor' && from !== 'system')
        throw new ServerFrameError(`${path}.from: unknown sender ${from}`)
      return {
        t,
        id: string(o, 'id', path),
        conversation: string(o, 'conversation', path),
        visitor: string(o, 'visitor', path),
        from,
        operator: optString(o, 'operator', path),
        text: string(o, 'text', path),
        at: number(o, 'at', path),
      }
    }
    case 'operators': {
      if (!Array.isArray(o.list)) throw new ServerFrameError(`${path}.list: expected an array`)
      return {
        t,
        departments: strings(o, 'departments', path),
        list: o.list.map((value, i) => {
          const at = `${path}.list[${i}]`
          const m = object(value, at)
          return {
            id: string(m, 'id', at),
            displayName: optString(m, 'displayName', at),
            avatar: optString(m, 'avatar', at),
            departments: strings(m, 'departments', at),
            seesAll: boolean(m, 'seesAll', at),
            chats: number(m, 'chats', at),
            maxChats: number(m, 'maxChats', at),
          }
        }),
      }
    }
    case 'typing':
      return {
        t,
        conversation: string(o, 'conversation', path),
        on: boolean(o, 'on', path),
        visitor: string(o, 'visitor', path),
      }
    case 'error':
      return {
        t,
        code: string(o, 'code', path) as ErrorFrame['code'],
        message: string(o, 'message', path),
        ref: optString(o, 'ref', path),
      }
    default:
      throw new ServerFrameError(`unknown frame type ${t}`)
  }
}
