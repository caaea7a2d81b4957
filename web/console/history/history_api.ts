import type { ChatInvitation, Rating } from '../../../shared/src/protocol.js'

/** A closed conversation as the History list shows it (`GET /v1/sites/SITE/conversations`). */
export interface HistoryItem {
  id: string
  visitor: string
  name?: string
  email?: string
  operator?: string
  departments: string[]
  createdAt: number
  closedAt: number
  messages: number
  preview: string
  rating?: Rating
  invitation?: ChatInvitation
}

export interface HistoryPage {
  conversations: HistoryItem[]
  next?: string
}

export interface TranscriptMessage {
  id: string
  from: string
  operator?: string
  text: string
  at: number
}

/** One conversation with its messages (`GET /v1/sites/SITE/conversations/ID`). */
export interface Transcript {
  conversation: HistoryItem & { state: string; visitorName?: string; visitorEmail?: string }
  messages: TranscriptMessage[]
}

export interface HistoryFilters {
  q: string
  visitor: string
  operator: string
  from: string
  to: string
}

/** A refused request: the node's reason, and the parameter it names. */
export class HistoryApiError extends Error {
  constructor(
    message: string,
    readonly param: string,
  ) {
    super(message)
    this.name = 'HistoryApiError'
  }
}

type Json = Record<string, unknown>

class ShapeError extends Error {}

function object(v: unknown, path: string): Json {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ShapeError(`${path}: expected an object`)
  return v as Json
}
function str(o: Json, key: string, path: string): string {
  const v = o[key]
  if (typeof v !== 'string') throw new ShapeError(`${path}.${key}: expected a string`)
  return v
}
function optStr(o: Json, key: string, path: string): string | undefined {
  return o[key] === undefined ? undefined : str(o, key, path)
}
function num(o: Json, key: string, path: string): number {
  const v = o[key]
  if (typeof v !== 'number') throw new ShapeError(`${path}.${key}: expected a number`)
  return v
}
function rating(v: unknown): Rating | undefined {
  return v === 'great' || v === 'average' || v === 'poor' ? v : undefined
}
function invitation(v: unknown, path: string): ChatInvitation | undefined {
  if (v === undefined) return undefined
  const o = object(v, path)
  return {
    text: str(o, 'text', path),
    at: num(o, 'at', path),
    campaign: optStr(o, 'campaign', path),
    campaignName: optStr(o, 'campaignName', path),
    operator: optStr(o, 'operator', path),
  }
}

function item(v: unknown, path: string): HistoryItem {
  const o = object(v, path)
  const departments = Array.isArray(o.departments) ? o.departments.filter((d) => typeof d === 'string') : []
  return {
    id: str(o, 'id', path),
    visitor: str(o, 'visitor', path),
    name: optStr(o, 'name', path) ?? optStr(o, 'visitorName', path),
    email: optStr(o, 'email', path) ?? optStr(o, 'visitorEmail', path),
    operator: optStr(o, 'operator', path),
    departments,
    createdAt: num(o, 'createdAt', path),
    closedAt: typeof o.closedAt === 'number' ? o.closedAt : num(o, 'createdAt', path),
    messages: typeof o.messages === 'number' ? o.messages : 0,
    preview: typeof o.preview === 'string' ? o.preview : '',
    rating: rating(o.rating),
    invitation: invitation(o.invitation, `${path}.invitation`),
  }
}

export function parseHistoryPage(input: unknown): HistoryPage {
  const o = object(input, 'page')
  if (!Array.isArray(o.conversations)) throw new ShapeError('page.conversations: expected a list')
  const page: HistoryPage = { conversations: o.conversations.map((c, i) => item(c, `conversations.${i}`)) }
  const next = optStr(o, 'next', 'page')
  if (next !== undefined) page.next = next
  return page
}

export function parseTranscript(input: unknown): Transcript {
  const o = object(input, 'transcript')
  const c = object(o.conversation, 'conversation')
  if (!Array.isArray(o.messages)) throw new ShapeError('transcript.messages: expected a list')
  return {
    conversation: {
      ...item(c, 'conversation'),
      state: str(c, 'state', 'conversation'),
      messages: o.messages.length,
    },
    messages: o.messages.map((m, i) => {
      const mo = object(m, `messages.${i}`)
      return {
        id: str(mo, 'id', `messages.${i}`),
        from: str(mo, 'from', `messages.${i}`),
        operator: optStr(mo, 'operator', `messages.${i}`),
        text: str(mo, 'text', `messages.${i}`),
        at: num(mo, 'at', `messages.${i}`),
      }
    }),
  }
}

/** `YYYY-MM-DD` fields as typed; empty ones are left out. */
export function historyQuery(filters: HistoryFilters, next?: string): string {
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(filters)) if (value.trim() !== '') params.set(key, value.trim())
  if (next !== undefined) params.set('next', next)
  const query = params.toString()
  return query === '' ? '' : `?${query}`
}

/** GETs `path` with the operator token; throws HistoryApiError with the node's reason when refused. */
export async function historyGet(token: string, path: string): Promise<Response> {
  const res = await fetch(path, { headers: { authorization: `Bearer ${token}` } })
  if (res.ok) return res
  let message = `HTTP ${res.status}`
  let param = ''
  try {
    const body = object(await res.json(), 'error')
    const error = object(body.error, 'error')
    message = str(error, 'message', 'error')
    param = optStr(error, 'path', 'error') ?? ''
  } catch {
    // The status line is all there is.
  }
  throw new HistoryApiError(message, param)
}
