/**
 * beckon operator console: the entry of web/dist/console.js, loaded by /console/.
 * Wires the operator socket to the visitors table, the visitor detail, the chat panel and
 * the campaign list. All data reaches the DOM as text (see dom.ts).
 */
import { CLOSE_CODE, type ErrorFrame, type ReadyFrame, type VisitorSummary } from '../../shared/src/protocol.js'
import { CampaignList } from './campaign_list.js'
import { ChatPanel } from './chat_panel.js'
import { byId } from './dom.js'
import { visitorLabel } from './format.js'
import { OperatorConnection, type ConnectionStatus } from './operator_connection.js'
import { forgetToken, saveToken, takeToken } from './operator_token.js'
import type { ConsoleFrame } from './server_frame.js'
import { VisitorDetail } from './visitor_detail.js'
import { VisitorTable } from './visitor_table.js'

/** How long an error from the node stays on screen. */
const ERROR_SHOWN_MS = 8_000

class OperatorConsole {
  private readonly visitors = new Map<string, VisitorSummary>()
  private connection: OperatorConnection | undefined
  private ready: ReadyFrame | undefined
  private status: ConnectionStatus | undefined
  private errorTimer: number | undefined
  private readonly statusEl = byId('status')
  private readonly identityEl = byId('identity')
  private readonly errorEl = byId('error')
  private readonly tokenForm = byId<HTMLFormElement>('token-form')
  private readonly tokenInput = byId<HTMLInputElement>('token-input')
  private readonly tokenNote = byId('token-note')
  private readonly table: VisitorTable
  private readonly detail: VisitorDetail
  private readonly chat: ChatPanel
  private readonly campaigns: CampaignList

  constructor() {
    this.table = new VisitorTable(byId<HTMLTableElement>('visitor-table'), byId('visitor-count'), (id) =>
      this.select(id),
    )
    this.detail = new VisitorDetail(byId('detail'), {
      invite: (request) => {
        if (request.startChat) this.chat.expect(request.visitor)
        return this.connection?.send({ t: 'invite', ...request, skipBot: true }) ?? false
      },
      openChat: (visitor) => this.chat.fromSummary(visitor, true),
    })
    this.chat = new ChatPanel(byId('chat'), {
      send: (action) => this.connection?.send(action) ?? false,
      me: () => this.ready?.operator,
      label: (id) => visitorLabel(this.visitors.get(id), id),
    })
    this.campaigns = new CampaignList(byId('campaigns'))
    this.tokenForm.addEventListener('submit', (event) => {
      event.preventDefault()
      const token = this.tokenInput.value.trim()
      if (!token) return
      saveToken(token)
      this.tokenInput.value = ''
      this.connect(token)
    })
    byId('change-token').addEventListener('click', () => this.askForToken('Paste another operator token.'))
    window.setInterval(() => this.tick(), 1000)
  }

  start(): void {
    const token = takeToken()
    if (token) this.connect(token)
    else this.askForToken('Paste an operator token (make run prints a console link that carries one).')
  }

  private connect(token: string): void {
    this.connection?.stop()
    this.tokenForm.hidden = true
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws'
    this.connection = new OperatorConnection(`${scheme}://${location.host}/v1/operator`, token, {
      status: (status) => this.statusChanged(status, token),
      frame: (frame) => this.frame(frame),
    })
    this.connection.start()
  }

  private askForToken(note: string): void {
    this.tokenNote.textContent = note
    this.tokenForm.hidden = false
    this.tokenInput.focus()
  }

  private statusChanged(status: ConnectionStatus, token: string): void {
    this.status = status
    this.statusEl.dataset.state = status.state
    if (status.state === 'online') {
      this.ready = status.ready
      this.identityEl.textContent =
        `${status.ready.operator} @ ${status.ready.site}` +
        (status.ready.departments.length > 0 ? ` · ${status.ready.departments.join(', ')}` : '')
      this.campaigns.start(status.ready.site, token)
      this.chat.relabel()
    } else {
      this.campaigns.stop()
    }
    if (status.state === 'refused') {
      this.connection?.stop()
      this.connection = undefined
      if (status.code === CLOSE_CODE.unauthorized) forgetToken()
      this.askForToken(`The node refused this token: ${status.reason}. Paste a valid operator token.`)
    }
    this.renderStatus()
  }

  private renderStatus(): void {
    const s = this.status
    if (!s) return
    switch (s.state) {
      case 'connecting':
        this.statusEl.textContent = 'Connecting…'
        return
      case 'online':
        this.statusEl.textContent = 'Online'
        return
      case 'offline':
        this.statusEl.textContent = `Offline · retry in ${Math.max(0, Math.ceil((s.retryAt - Date.now()) / 1000))} s`
        this.statusEl.title = s.reason
        return
      case 'refused':
        this.statusEl.textContent = 'Refused'
        this.statusEl.title = s.reason
    }
  }

  private frame(frame: Exclude<ConsoleFrame, ReadyFrame>): void {
    switch (frame.t) {
      case 'visitors': {
        this.visitors.clear()
        for (const v of frame.list) this.visitors.set(v.id, v)
        this.table.replaceAll(frame.list)
        const selected = this.detail.selected
        if (selected) {
          const v = this.visitors.get(selected)
          if (v) this.detail.update(v)
          else this.detail.gone(selected)
        }
        for (const v of frame.list) this.chat.fromSummary(v)
        this.chat.relabel()
        return
      }
      case 'visitor': {
        const { t: _t, ...summary } = frame
        const before = this.visitors.get(summary.id)
        this.visitors.set(summary.id, summary)
        this.table.upsert(summary)
        this.detail.update(summary)
        this.chat.fromSummary(summary)
        if (before?.name !== summary.name) this.chat.relabel()
        return
      }
      case 'gone':
        this.visitors.delete(frame.visitor)
        this.table.remove(frame.visitor)
        this.detail.gone(frame.visitor)
        return
      case 'chat':
        this.chat.chatState(frame)
        return
      case 'msg':
        this.chat.message(frame)
        return
      case 'error':
        this.showError(frame)
    }
  }

  private select(id: string): void {
    const v = this.visitors.get(id)
    if (!v) return
    this.table.select(id)
    this.detail.show(v)
  }

  private showError(frame: ErrorFrame): void {
    this.errorEl.textContent = `${frame.ref ? `${frame.ref}: ` : ''}${frame.message} (${frame.code})`
    this.errorEl.hidden = false
    clearTimeout(this.errorTimer)
    this.errorTimer = window.setTimeout(() => (this.errorEl.hidden = true), ERROR_SHOWN_MS)
  }

  private tick(): void {
    const now = Date.now()
    this.table.tick(now)
    this.detail.tick(now)
    if (this.status?.state === 'offline') this.renderStatus()
  }
}

new OperatorConsole().start()
