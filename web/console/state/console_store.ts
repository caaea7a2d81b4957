import { batch, computed, signal } from '@preact/signals'
import { CLOSE_CODE, type ErrorFrame, type ReadyFrame, type VisitorSummary } from '../../../shared/src/protocol.js'
import { CampaignListStore } from './campaign_list_store.js'
import { ChatStore } from './chat_store.js'
import { StudioStore } from './studio_store.js'
import { TypingStore } from './typing_store.js'
import { visitorLabel } from './format.js'
import { OperatorConnection, type ConnectionStatus, type OperatorAction } from './operator_connection.js'
import { forgetToken, saveToken, takeToken, tokenClaims } from './operator_token.js'
import type { ConsoleFrame } from './server_frame.js'

/** How long an error from the node stays on screen. */
const ERROR_SHOWN_MS = 8_000

export type ConsoleView = 'live' | 'studio'

/** The selected visitor; it stays readable after the visitor left. */
export interface SelectedVisitor {
  summary: VisitorSummary
  left: boolean
}

/**
 * The one state of the operator console: the connection, the live visitors, the selection,
 * the chats and the campaign list. Components read its signals and call its methods; only
 * this store talks to the operator socket.
 */
export class ConsoleStore {
  readonly token = signal<string | undefined>(undefined)
  readonly status = signal<ConnectionStatus | undefined>(undefined)
  readonly ready = signal<ReadyFrame | undefined>(undefined)
  /** Shown above the token form; undefined hides the form. */
  readonly tokenPrompt = signal<string | undefined>(undefined)
  readonly error = signal<ErrorFrame | undefined>(undefined)
  /** Wall clock, advanced every second so durations tick without traffic. */
  readonly now = signal(Date.now())
  readonly visitors = signal<ReadonlyMap<string, VisitorSummary>>(new Map())
  readonly selected = signal<SelectedVisitor | undefined>(undefined)
  readonly view = signal<ConsoleView>(location.hash === '#studio' ? 'studio' : 'live')
  readonly chats: ChatStore
  readonly campaigns = new CampaignListStore()
  readonly studio = new StudioStore()
  readonly typing = new TypingStore((action) => this.send(action))

  /** Newest visit first. */
  readonly visitorList = computed(() => [...this.visitors.value.values()].sort((a, b) => b.visitSince - a.visitSince))
  readonly perms = computed(() => new Set(this.token.value ? tokenClaims(this.token.value).perms : []))
  readonly canManageCampaigns = computed(() => this.perms.value.has('manage_campaigns'))

  private connection: OperatorConnection | undefined
  private errorTimer: number | undefined

  constructor() {
    this.chats = new ChatStore({
      send: (action) => this.send(action),
      me: () => this.ready.value?.operator,
    })
    window.setInterval(() => (this.now.value = Date.now()), 1000)
    window.addEventListener('hashchange', () => {
      if (location.hash === '#studio' || location.hash === '#live')
        this.view.value = location.hash.slice(1) as ConsoleView
    })
  }

  start(): void {
    const token = takeToken()
    if (token) this.connect(token)
    else this.askForToken('Paste an operator token (make run prints a console link that carries one).')
  }

  /** A token the operator pasted. */
  useToken(token: string): void {
    saveToken(token)
    this.connect(token)
  }

  askForToken(note: string): void {
    this.tokenPrompt.value = note
  }

  show(view: ConsoleView): void {
    this.view.value = view
    history.replaceState(null, '', view === 'studio' ? '#studio' : location.pathname + location.search)
  }

  /** Sends an action; false when the socket is not ready. */
  send(action: OperatorAction): boolean {
    return this.connection?.send(action) ?? false
  }

  label(id: string): string {
    return visitorLabel(this.visitors.value.get(id), id)
  }

  select(id: string): void {
    const summary = this.visitors.value.get(id)
    if (summary) this.selected.value = { summary, left: false }
  }

  /** Sends a manual invitation to the selected visitor; false when offline. */
  invite(request: { visitor: string; text: string; startChat: boolean; assignToMe: boolean }): boolean {
    if (request.startChat) this.chats.expect(request.visitor)
    return this.send({ t: 'invite', ...request, skipBot: true })
  }

  private connect(token: string): void {
    this.connection?.stop()
    this.token.value = token
    this.tokenPrompt.value = undefined
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws'
    this.connection = new OperatorConnection(`${scheme}://${location.host}/v1/operator`, token, {
      status: (status) => this.statusChanged(status, token),
      frame: (frame) => this.frame(frame),
    })
    this.connection.start()
  }

  private statusChanged(status: ConnectionStatus, token: string): void {
    batch(() => {
      const wasOnline = this.status.value?.state === 'online'
      this.status.value = status
      if (status.state === 'online') {
        this.ready.value = status.ready
        this.campaigns.start(status.ready.site, token)
        return
      }
      this.campaigns.stop()
      if (wasOnline) this.chats.disconnected()
      if (status.state === 'refused') {
        this.connection?.stop()
        this.connection = undefined
        if (status.code === CLOSE_CODE.unauthorized) forgetToken()
        this.askForToken(`The node refused this token: ${status.reason}. Paste a valid operator token.`)
      }
    })
  }

  private frame(frame: Exclude<ConsoleFrame, ReadyFrame>): void {
    batch(() => {
      switch (frame.t) {
        case 'visitors': {
          this.visitors.value = new Map(frame.list.map((v) => [v.id, v]))
          const selected = this.selected.value
          if (selected) {
            const v = this.visitors.value.get(selected.summary.id)
            this.selected.value = v ? { summary: v, left: false } : { ...selected, left: true }
          }
          for (const v of frame.list) this.chats.fromSummary(v)
          return
        }
        case 'visitor': {
          const { t: _t, ...summary } = frame
          const next = new Map(this.visitors.value)
          next.set(summary.id, summary)
          this.visitors.value = next
          if (this.selected.value?.summary.id === summary.id) this.selected.value = { summary, left: false }
          this.chats.fromSummary(summary)
          return
        }
        case 'gone': {
          const next = new Map(this.visitors.value)
          next.delete(frame.visitor)
          this.visitors.value = next
          const selected = this.selected.value
          if (selected?.summary.id === frame.visitor) this.selected.value = { ...selected, left: true }
          return
        }
        case 'chat':
          this.chats.chatState(frame)
          return
        case 'msg':
          if (frame.from === 'visitor') this.typing.visitor(frame.conversation, false)
          this.chats.message(frame)
          return
        case 'typing':
          this.typing.visitor(frame.conversation, frame.on)
          return
        case 'error':
          // A refused message shows in its thread; the banner is for everything else.
          if (!this.chats.refused(frame)) this.showError(frame)
      }
    })
  }

  private showError(frame: ErrorFrame): void {
    this.error.value = frame
    clearTimeout(this.errorTimer)
    this.errorTimer = window.setTimeout(() => (this.error.value = undefined), ERROR_SHOWN_MS)
  }
}
