import type { JsonObject, UserInfo } from '../../shared/src/protocol.js'
import { WIDGET_LIMITS } from './limits.js'

/** A host page called the public API with something it cannot use. */
export class ApiInputError extends TypeError {
  constructor(message: string) {
    super(`beckon: ${message}`)
    this.name = 'ApiInputError'
  }
}

export const WIDGET_EVENTS = ['invite', 'message', 'chat', 'welcome'] as const
export type WidgetEventName = (typeof WIDGET_EVENTS)[number]

function isPlainObject(input: unknown): input is Record<string, unknown> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return false
  const proto = Object.getPrototypeOf(input) as unknown
  return proto === Object.prototype || proto === null
}

/** A `setContext` argument: a plain object of JSON values; `null` removes a key. */
export function parseContextPatch(input: unknown): JsonObject {
  if (!isPlainObject(input)) throw new ApiInputError('setContext expects a plain object')
  for (const key of Object.keys(input)) {
    if (key.length === 0 || key.length > WIDGET_LIMITS.maxContextKeyLength) {
      throw new ApiInputError(`context keys are 1-${WIDGET_LIMITS.maxContextKeyLength} characters`)
    }
  }
  let json: string
  try {
    json = JSON.stringify(input)
  } catch {
    throw new ApiInputError('context must be JSON-serializable')
  }
  return JSON.parse(json) as JsonObject
}

/** Shallow-merges a patch the way the server does; throws when the result exceeds the limits. */
export function mergeContext(current: JsonObject, patch: JsonObject): JsonObject {
  const merged: JsonObject = { ...current }
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete merged[key]
    else merged[key] = value
  }
  if (Object.keys(merged).length > WIDGET_LIMITS.maxContextKeys) {
    throw new ApiInputError(`context holds at most ${WIDGET_LIMITS.maxContextKeys} keys`)
  }
  if (JSON.stringify(merged).length > WIDGET_LIMITS.maxContextBytes) {
    throw new ApiInputError(`context holds at most ${WIDGET_LIMITS.maxContextBytes} bytes of JSON`)
  }
  return merged
}

function optionalField(input: Record<string, unknown>, name: 'name' | 'email'): string | undefined {
  const value = input[name]
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'string' || value.length > WIDGET_LIMITS.maxUserField) {
    throw new ApiInputError(`identify: ${name} is a string of at most ${WIDGET_LIMITS.maxUserField} characters`)
  }
  return value
}

/** An `identify` argument: `{id, hash}` where hash = hex HMAC-SHA256(site secret, id). */
export function parseUser(input: unknown): UserInfo {
  if (!isPlainObject(input)) throw new ApiInputError('identify expects {id, hash, name?, email?}')
  const { id, hash } = input
  if (typeof id !== 'string' || id.length === 0 || id.length > WIDGET_LIMITS.maxUserField) {
    throw new ApiInputError(`identify: id is a string of 1-${WIDGET_LIMITS.maxUserField} characters`)
  }
  if (typeof hash !== 'string' || !/^[0-9a-fA-F]{64}$/.test(hash)) {
    throw new ApiInputError('identify: hash is the hex HMAC-SHA256 of id with the site secret')
  }
  const user: UserInfo = { id, hash }
  const name = optionalField(input, 'name')
  const email = optionalField(input, 'email')
  if (name !== undefined) user.name = name
  if (email !== undefined) user.email = email
  return user
}

export function parseEventName(input: unknown): WidgetEventName {
  const name = WIDGET_EVENTS.find((known) => known === input)
  if (!name) throw new ApiInputError(`on: event is one of ${WIDGET_EVENTS.join(', ')}`)
  return name
}
