import { signal } from '@preact/signals'
import type { OperatorsFrame, TeamMember } from '../../../shared/src/protocol.js'

/** The operator's own settings as `GET|PATCH /v1/sites/SITE/operators/me/settings` answer them. */
export interface OwnSettings {
  displayName?: string
  avatar?: string
  maxChats: number
  autoAccept: boolean
  /** BECKON_OPERATOR_MAX_CHATS_LIMIT: the highest maxChats the node accepts. */
  maxChatsLimit: number
}

/** A PATCH body: a cleared name or avatar is null. */
export type SettingsChange = {
  displayName: string | null
  avatar: string | null
  maxChats: number
  autoAccept: boolean
}

export type SaveState =
  | { state: 'idle' | 'saving' | 'saved' }
  | { state: 'error'; message: string /** The refused field ('' for the whole). */; path: string }

function parseOwnSettings(input: unknown): OwnSettings {
  const o = typeof input === 'object' && input !== null ? (input as Record<string, unknown>) : {}
  if (typeof o.maxChats !== 'number' || typeof o.autoAccept !== 'boolean' || typeof o.maxChatsLimit !== 'number')
    throw new Error('settings unreadable')
  return {
    displayName: typeof o.displayName === 'string' ? o.displayName : undefined,
    avatar: typeof o.avatar === 'string' ? o.avatar : undefined,
    maxChats: o.maxChats,
    autoAccept: o.autoAccept,
    maxChatsLimit: o.maxChatsLimit,
  }
}

/** Initials for an operator without an avatar: first letters of the first two words. */
export function initials(name: string): string {
  return name
    .trim()
    .split(/[\s._@-]+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((w) => [...w][0]?.toUpperCase() ?? '')
    .join('')
}

/**
 * The team as this console sees it: the site's online operators with display names and chat
 * counts (the node's `operators` frames), its departments, and this operator's own settings,
 * read and saved over HTTP with the operator token.
 */
export class TeamStore {
  readonly members = signal<ReadonlyMap<string, TeamMember>>(new Map())
  readonly departments = signal<readonly string[]>([])
  readonly own = signal<OwnSettings | undefined>(undefined)
  readonly loadError = signal('')
  readonly save = signal<SaveState>({ state: 'idle' })
  private source: { site: string; token: string; me: string } | undefined

  start(site: string, token: string, me: string): void {
    this.source = { site, token, me }
    void this.request('GET').then(
      (own) => {
        this.own.value = own
        this.loadError.value = ''
      },
      (error: unknown) => (this.loadError.value = error instanceof Error ? error.message : String(error)),
    )
  }

  roster(frame: OperatorsFrame): void {
    this.members.value = new Map(frame.list.map((m) => [m.id, m]))
    this.departments.value = frame.departments
  }

  /** The operator's display name wherever it is shown; its id when it set none. */
  label(id: string): string {
    const named = this.members.value.get(id)?.displayName
    if (named) return named
    return (id === this.source?.me ? this.own.value?.displayName : undefined) ?? id
  }

  async store(change: SettingsChange): Promise<void> {
    this.save.value = { state: 'saving' }
    try {
      this.own.value = await this.request('PATCH', change)
      this.save.value = { state: 'saved' }
    } catch (error) {
      this.save.value = {
        state: 'error',
        message: error instanceof Error ? error.message : String(error),
        path: error instanceof SettingsRefused ? error.path : '',
      }
    }
  }

  private async request(method: 'GET' | 'PATCH', body?: SettingsChange): Promise<OwnSettings> {
    const source = this.source
    if (!source) throw new Error('not connected')
    let response: Response
    try {
      response = await fetch(`/v1/sites/${encodeURIComponent(source.site)}/operators/me/settings`, {
        method,
        headers: {
          authorization: `Bearer ${source.token}`,
          accept: 'application/json',
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        body: body ? JSON.stringify(body) : undefined,
      })
    } catch {
      throw new Error('the node did not answer')
    }
    const json: unknown = await response.json().catch(() => undefined)
    if (!response.ok) {
      const error = (json as { error?: { message?: unknown; path?: unknown } } | undefined)?.error
      throw new SettingsRefused(
        typeof error?.message === 'string' ? error.message : `HTTP ${response.status}`,
        typeof error?.path === 'string' ? error.path : '',
      )
    }
    return parseOwnSettings(json)
  }
}

class SettingsRefused extends Error {
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(message)
    this.name = 'SettingsRefused'
  }
}
