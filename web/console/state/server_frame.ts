import {
  UTM_KEYS,
  type ChatFrame,
  type ChatState,
  type DevicePlatform,
  type ErrorFrame,
  type GoneFrame,
  type MsgFrame,
  type PageInfo,
  type ReadyFrame,
  type TypingFrame,
  type VisitorSummary,
  type VisitorsFrame,
  type VisitorUpsertFrame,
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
  | VisitorUpsertFrame
  | GoneFrame
  | ChatStateFrame
  | ChatMessageFrame
  | ErrorFrame
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
function optString(o: Json, key: string, path: string): string | undefined {
  return o[key] === undefined || o[key] === null ? undefined : string(o, key, path)
}
function number(o: Json, key: string, path: string): number {
  const value = o[key]
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new ServerFrameError(`${path}.${key}: expected a number`)
  return value
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

const CHAT_STATES: readonly ChatState[] = ['open', 'assigned', 'closed']
function chatState(o: Json, key: string, path: string): ChatState {
  const value = string(o, key, path)
  if (!(CHAT_STATES as readonly string[]).includes(value))
    throw new ServerFrameError(`${path}.${key}: unknown chat state ${value}`)
  return value as ChatState
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
      }
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
      }
    case 'msg': {
      const from = string(o, 'from', path)
      if (from !== 'operator' && from !== 'visitor') throw new ServerFrameError(`${path}.from: unknown sender ${from}`)
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
