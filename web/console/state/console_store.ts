import { batch, computed, effect, signal, untracked } from '@preact/signals'
import { CLOSE_CODE, type ErrorFrame, type ReadyFrame, type VisitorSummary } from '../../../shared/src/protocol.js'
import { AlertStore } from './alert_store.js'
import { CampaignListStore } from './campaign_list_store.js'
import { CannedStore } from './canned_store.js'
import { ChatStore } from './chat_store.js'
import { SiteSettingsStore } from './site_settings_store.js'
import { HistoryStore } from './history_store.js'
import { StudioStore } from './studio_store.js'
import { TeamStore } from './team_store.js'
import { TimelineStore } from './timeline_store.js'
import { TypingStore } from './typing_store.js'
import { visitorLabel } from './format.js'
import { OperatorConnection, type ConnectionStatus, type OperatorAction } from './operator_connection.js'
import { forgetToken, saveToken, takeToken, tokenClaims } from './operator_token.js'
import type { ConsoleFrame } from './server_frame.js'
import { VisitorWindow } from './visitor_window.js'

/** How long an error from the node stays on screen. */
const ERROR_SHOWN_MS = 8_000

export const CONSOLE_VIEWS = ['live', 'studio', 'history', 'settings', 'canned'] as const
export type ConsoleView = (typeof CONSOLE_VIEWS)[number]

/** The view a `#name` address names ('live' for any other). */
function viewOf(hash: string): ConsoleView {
  return CONSOLE_VIEWS.find((v) => `#${v}` === hash) ?? 'live'
}

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
  /** The window of the live list the node sends (virtual scrolling over `total` rows). */
  readonly list: VisitorWindow
  readonly visitors = computed(() => this.list.rows.value)
  readonly selected = signal<SelectedVisitor | undefined>(undefined)
  readonly view = signal<ConsoleView>(viewOf(location.hash))
  readonly chats: ChatStore
  readonly alerts: AlertStore
  readonly campaigns = new CampaignListStore()
  readonly studio = new StudioStore()
  readonly settings = new SiteSettingsStore()
  readonly canned = new CannedStore()
  readonly team = new TeamStore()
  /** The operator settings dialog is open. */
  readonly settingsOpen = signal(false)
  readonly history = new HistoryStore(() => this.siteAuth())
  readonly timeline = new TimelineStore(() => this.siteAuth())
  readonly typing = new TypingStore((action) => this.send(action))

  /** The window's rows, in the list's order. */
  readonly visitorList = computed(() => this.list.list.value)
  readonly perms = computed(() => new Set(this.token.value ? tokenClaims(this.token.value).perms : []))
  readonly canManageCampaigns = computed(() => this.perms.value.has('manage_campaigns'))
  /** Replying in another operator's chat takes it over (else Team chats are read-only). */
  readonly canTakeOver = computed(() => this.perms.value.has('takeover_chats'))
  readonly canManageSite = computed(() => this.perms.value.has('manage_site'))
  readonly canManageCanned = computed(() => this.perms.value.has('manage_canned'))

  private connection: OperatorConnection | undefined
  private errorTimer: number | undefined

  constructor() {
    this.chats = new ChatStore({
      send: (action) => this.send(action),
      me: () => this.ready.value?.operator,
      visible: () => document.visibilityState === 'visible',
      alert: (alert) =>
        this.alerts.alert(alert, alert.conversation.contact?.name ?? this.label(alert.conversation.visitor)),
    })
    this.alerts = new AlertStore(
      () => this.chats.attention.value,
      (id) => {
        this.show('live')
        this.chats.select(id)
      },
    )
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible') this.chats.viewed()
    })
    this.list = new VisitorWindow({
      watch: (view) => this.connection?.watch(view) ?? false,
      pin: () => this.selected.value?.summary.id,
    })
    // Selecting a chat opens its visitor's detail, once the visitor is listed (its summary may
    // come after the chat); a computed, so it runs when that changes, not on every list update.
    const listedChatVisitor = computed(() => {
      const visitor = this.chats.selectedVisitor.value
      return visitor !== undefined && this.visitors.value.has(visitor) ? visitor : undefined
    })
    effect(() => {
      const visitor = listedChatVisitor.value
      if (visitor !== undefined) untracked(() => this.select(visitor))
    })
    window.setInterval(() => (this.now.value = Date.now()), 1000)
    window.addEventListener('hashchange', () => {
      const view = CONSOLE_VIEWS.find((v) => `#${v}` === location.hash)
      if (view) this.view.value = view
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
    history.replaceState(null, '', view === 'live' ? location.pathname + location.search : `#${view}`)
  }

  /** Sends an action; false when the socket is not ready. */
  send(action: OperatorAction): boolean {
    return this.connection?.send(action) ?? false
  }

  /** The visitor's name, else its email (from the live list or its chats), else `#id`. */
  label(id: string): string {
    const selected = this.selected.value?.summary
    const known = selected?.id === id ? selected : this.visitors.value.get(id)
    if (known?.name || known?.email) return (known.name || known.email) as string
    const name = this.list.nameOf(id)
    if (name) return name
    for (const c of this.chats.conversations.value.values())
      if (c.visitor === id && (c.visitorName || c.visitorEmail)) return (c.visitorName || c.visitorEmail) as string
    return visitorLabel(undefined, id)
  }

  /** An operator as the console shows it: its display name, else its id. */
  /** The site and token routes of the site are called with, once connected. */
  private siteAuth(): { site: string; token: string } | undefined {
    const site = this.ready.value?.site
    const token = this.token.value
    return site !== undefined && token !== undefined ? { site, token } : undefined
  }

  operatorLabel(id: string): string {
    return this.team.label(id)
  }

  /** Selects a listed visitor; the list then follows it (`view.pin`) while it scrolls out of the window. */
  select(id: string): void {
    const summary = this.visitors.value.get(id)
    if (!summary) return
    this.selected.value = { summary, left: false }
    this.list.repin()
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
      view: () => this.list.resubscribe(),
    })
    this.connection.start()
  }

  private statusChanged(status: ConnectionStatus, token: string): void {
    batch(() => {
      const wasOnline = this.status.value?.state === 'online'
      this.status.value = status
      if (status.state === 'online') {
        this.ready.value = status.ready
        this.alerts.useOperator(status.ready.operator)
        this.campaigns.start(status.ready.site, token)
        this.canned.start(status.ready.site, token)
        this.team.start(status.ready.site, token, status.ready.operator)
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
          this.list.snapshot(frame)
          // A selected visitor outside the window follows in its own `visitor` or `gone` frame.
          const v = this.selected.value && this.visitors.value.get(this.selected.value.summary.id)
          if (v) this.selected.value = { summary: v, left: false }
          for (const v of frame.list) this.chats.fromSummary(v)
          return
        }
        case 'window':
          this.list.moved(frame)
          return
        case 'visitor': {
          const { t: _t, ...summary } = frame
          this.list.upsert(summary)
          if (this.selected.value?.summary.id === summary.id) this.selected.value = { summary, left: false }
          this.chats.fromSummary(summary)
          return
        }
        case 'gone': {
          this.list.gone(frame.visitor)
          // Only the pinned visitor's `gone` says it left the site; others just left the window.
          const selected = this.selected.value
          if (selected?.summary.id === frame.visitor && this.list.pinned(frame.visitor))
            this.selected.value = { ...selected, left: true }
          return
        }
        case 'chat':
          this.chats.chatState(frame)
          return
        case 'msg':
          if (frame.from === 'visitor') this.typing.visitor(frame.conversation, false)
          this.chats.message(frame)
          return
        case 'operators':
          this.team.roster(frame)
          return
        case 'typing':
          this.typing.visitor(frame.conversation, frame.on)
          return
        case 'error':
          if (frame.ref === 'watch') this.list.refused()
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
