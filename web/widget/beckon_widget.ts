import type {
  HelloFrame,
  JsonObject,
  PageInfo,
  UserInfo,
  VisitorFrame,
  WelcomeFrame,
} from '../../shared/src/protocol.js'
import { mergeContext, parseContextPatch, parseEventName, parseUser } from './api_input.js'
import { Connection } from './connection.js'
import { Emitter, type WidgetEvents } from './emitter.js'
import type { EmbedOptions } from './embed.js'
import { ExitIntent } from './exit_intent.js'
import { PageTracker } from './page_tracker.js'
import type { WidgetFrame } from './server_frame.js'
import { SiteStorage } from './storage.js'
import { WidgetUi } from './widget_ui.js'

/**
 * The widget of one page: wires the socket, page tracking, exit intent and UI together and
 * backs the public `beckon` API. Page, user and context are state that every hello carries,
 * so after a reconnect the server is current again; events (exit, invitation actions,
 * messages, ratings, contact details) queue while the socket is down.
 */
export class BeckonWidget {
  private readonly events = new Emitter()
  private readonly storage: SiteStorage
  private readonly connection: Connection
  private readonly pages: PageTracker
  private readonly exitIntent: ExitIntent
  private readonly ui: WidgetUi
  private context: JsonObject
  private user: UserInfo | undefined
  /** URL of the page the server was last told about, to tell a reconnect from a new view. */
  private announcedUrl: string | undefined
  /** Panel state the server was last told about. */
  private announcedOpen = false

  private readonly widget: string | undefined

  constructor(options: EmbedOptions) {
    this.widget = options.widget
    this.storage = new SiteStorage(options.site)
    this.context = options.department ? { department: options.department } : {}
    const ws = new URL('/v1/visitor', options.node)
    ws.protocol = ws.protocol === 'https:' ? 'wss:' : 'ws:'
    ws.searchParams.set('site', options.site)
    this.connection = new Connection(ws.href, {
      hello: (reconnect) => this.hello(reconnect),
      welcome: (frame) => this.welcomed(frame),
      frame: (frame) => this.received(frame),
      status: (state) => this.ui.setConnection(state),
      dropped: (frames) => {
        for (const frame of frames) {
          if (frame.t === 'msg' && frame.ref) this.ui.messageFailed(frame.ref)
          if (frame.t === 'offline') this.ui.offlineFailed('connection lost')
        }
      },
    })
    this.pages = new PageTracker((page) => this.navigated(page))
    this.exitIntent = new ExitIntent(() => this.connection.send({ t: 'exit' }))
    this.ui = new WidgetUi({
      panel: (open) => {
        this.storage.set('open', open ? '1' : '0')
        if (this.connection.sendLive({ t: 'widget', open })) this.announcedOpen = open
      },
      invitation: (id, action, button) =>
        this.connection.send(button === undefined ? { t: 'inv', id, action } : { t: 'inv', id, action, button }),
      contact: (details) => this.connection.send({ t: 'contact', ...details }),
      message: (text, ref) => this.connection.send({ t: 'msg', text, ref }),
      rate: (value) => this.connection.send({ t: 'rate', value }),
      offline: (details) => this.connection.send({ t: 'offline', ...details }),
      // State, not an event: a typing frame that cannot go now is stale by the time it could.
      typing: (on) => this.connection.sendLive({ t: 'typing', on }),
    })
  }

  start(): void {
    this.pages.start()
    this.exitIntent.start()
    this.connection.start()
    const mount = () => {
      this.ui.mount()
      // A chat left open stays open across page loads.
      if (this.storage.get('open') === '1') this.ui.open(false)
    }
    if (document.body) mount()
    else document.addEventListener('DOMContentLoaded', mount, { once: true })
  }

  /** Merges custom context (`null` removes a key); visible to campaigns as `context.KEY`. */
  setContext(data: unknown): void {
    const patch = parseContextPatch(data)
    this.context = mergeContext(this.context, patch)
    this.sendState({ t: 'context', data: patch })
  }

  /** Logs a user in: `hash` is hex HMAC-SHA256(site secret, id), computed by the host's server. */
  identify(user: unknown): void {
    this.user = parseUser(user)
    this.sendState({ t: 'identify', user: this.user })
  }

  on<K extends keyof WidgetEvents>(name: K, listener: (data: WidgetEvents[K]) => void): () => void {
    if (typeof listener !== 'function') throw new TypeError('beckon: on expects a listener function')
    return this.events.on(parseEventName(name) as K, listener)
  }

  open(): void {
    this.ui.open()
  }

  close(): void {
    this.ui.close()
  }

  /** State frames need no queue: the next hello carries the latest state. */
  private sendState(frame: VisitorFrame): void {
    this.connection.sendLive(frame)
  }

  private hello(reconnect: boolean): HelloFrame {
    const page = this.pages.current
    const hello: HelloFrame = { t: 'hello', page, lang: navigator.language?.slice(0, 35) }
    if (this.widget) hello.widget = this.widget
    const tz = Intl.DateTimeFormat().resolvedOptions().timeZone
    if (tz) hello.tz = tz.slice(0, 64)
    const token = this.storage.get('token')
    if (token) hello.token = token
    if (this.user) hello.user = this.user
    if (Object.keys(this.context).length > 0) hello.context = this.context
    if (reconnect && page.url === this.announcedUrl) hello.reconnect = true
    this.announcedUrl = page.url
    return hello
  }

  private welcomed(frame: WelcomeFrame): void {
    this.storage.set('token', frame.token)
    if (frame.team) this.ui.setTeam(frame.team)
    // A fresh node starts with the panel closed; tell it if it is open or was closed meanwhile.
    if (this.ui.isOpen || this.announcedOpen) {
      this.announcedOpen = this.ui.isOpen
      this.connection.sendLive({ t: 'widget', open: this.ui.isOpen })
    }
    this.events.emit('welcome', { visitor: frame.visitor, visit: frame.visit, resumed: frame.resumed })
  }

  private received(frame: Exclude<WidgetFrame, WelcomeFrame>): void {
    switch (frame.t) {
      case 'invite':
        if (this.ui.showInvite(frame)) this.events.emit('invite', frame)
        return
      case 'msg':
        this.ui.addMessage(frame)
        this.events.emit('message', frame)
        return
      case 'chat':
        this.ui.setChat(frame)
        this.events.emit('chat', frame)
        return
      case 'team':
        this.ui.setTeam(frame)
        return
      case 'offline':
        this.ui.offlineStored()
        return
      case 'contact':
        this.ui.leadStored()
        return
      case 'typing':
        this.ui.typing(frame)
        return
      case 'error':
        // A refused chat message names its ref: the visitor sees it failed and may retry.
        if (frame.ref === 'offline') this.ui.offlineFailed(frame.message)
        else if (frame.ref) this.ui.messageFailed(frame.ref)
        console.warn(`beckon: ${frame.code}: ${frame.message}`)
    }
  }

  private navigated(page: PageInfo): void {
    this.exitIntent.rearm()
    if (this.connection.sendLive({ t: 'page', ...page })) this.announcedUrl = page.url
  }
}
