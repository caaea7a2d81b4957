import type { Signal } from '@preact/signals'
import type { FieldError } from './studio_store.js'

/** A refused request: the HTTP status and the node's `{error: {code, message, path?}}`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Dotted path of the bad value in the request body (`when.all.1.value`); '' for the whole. */
    readonly path: string,
  ) {
    super(message)
    this.name = 'ApiError'
  }
}

export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)
export const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined)
export const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined)

/**
 * Calls a node route with the operator's JWT as bearer and returns the parsed JSON answer;
 * throws ApiError for a refusal (status 0: the node did not answer). An aborted call rethrows the abort.
 */
export async function apiRequest(
  token: string,
  method: string,
  path: string,
  body?: unknown,
  signal?: AbortSignal,
): Promise<unknown> {
  let response: Response
  try {
    response = await fetch(path, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        accept: 'application/json',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
    })
  } catch (error) {
    if (signal?.aborted) throw error
    throw new ApiError(0, 'unreachable', 'the node did not answer', '')
  }
  const text = await response.text()
  let parsed: unknown
  try {
    parsed = text ? JSON.parse(text) : undefined
  } catch {
    parsed = undefined
  }
  if (!response.ok) {
    const e = isObject(parsed) && isObject(parsed.error) ? parsed.error : {}
    throw new ApiError(
      response.status,
      str(e.code) ?? `http_${response.status}`,
      str(e.message) ?? `HTTP ${response.status}`,
      str(e.path) ?? '',
    )
  }
  return parsed
}

/** An error as one line for a notice: the node's message and status. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) return `${error.message} (${error.status || error.code})`
  return error instanceof Error ? error.message : String(error)
}

/** The signals of a form that saves through the node. */
export interface SavingState {
  busy: Signal<boolean>
  /** The node's 400, shown at the field its `path` names. */
  error: Signal<FieldError | undefined>
  /** Any other failure, as one line. */
  notice: Signal<string>
}

/** Runs a save unless one is running: busy meanwhile, a 400 to `error`, anything else to `notice`. */
export async function saving(state: SavingState, task: () => Promise<void>): Promise<void> {
  if (state.busy.value) return
  state.busy.value = true
  state.notice.value = ''
  state.error.value = undefined
  try {
    await task()
  } catch (error) {
    if (error instanceof ApiError && error.status === 400)
      state.error.value = { path: error.path, message: error.message }
    else state.notice.value = `Not saved: ${describeError(error)}`
  } finally {
    state.busy.value = false
  }
}
