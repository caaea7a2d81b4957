import type { JsonObject, UserInfo } from '../../shared/src/protocol.js'
import { MAX_CONTEXT_BYTES, MAX_CONTEXT_KEYS, MAX_CONTEXT_KEY_LENGTH, MAX_USER_FIELD } from './limits.js'

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
    if (key.length === 0 || key.length > MAX_CONTEXT_KEY_LENGTH) {
      throw new ApiInputError(`context keys are 1-${MAX_CONTEXT_KEY_LENGTH} characters`)
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
  if (Object.keys(merged).length > MAX_CONTEXT_KEYS) {
    throw new ApiInputError(`context holds at most ${MAX_CONTEXT_KEYS} keys`)
  }
  if (JSON.stringify(merged).length > MAX_CONTEXT_BYTES) {
    throw new ApiInputError(`context holds at most ${MAX_CONTEXT_BYTES} bytes of JSON`)
  }
  return merged
}

function optionalField(input: Record<string, unknown>, name: 'name' | 'email'): string | undefined {
  const value = input[name]
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'string' || value.length > MAX_USER_FIELD) {
    throw new ApiInputError(`identify: ${name} is a string of at most ${MAX_USER_FIELD} characters`)
  }
  return value
}

/** An `identify` argument: `{id, hash}` where hash = hex HMAC-SHA256(site secret, id). */
export function parseUser(input: unknown): UserInfo {
  if (!isPlainObject(input)) throw new ApiInputError('identify expects {id, hash, name?, email?}')
  const { id, hash } = input
  if (typeof id !== 'string' || id.length === 0 || id.length > MAX_USER_FIELD) {
    throw new ApiInputError(`identify: id is a string of 1-${MAX_USER_FIELD} characters`)
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
