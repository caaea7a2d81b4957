import { effect, signal } from '@preact/signals'
import type { ChatAlert } from './chat_store.js'

/** How the console calls for attention; each operator's choice is kept in this browser. */
export interface AlertSettings {
  /** A short beep (Web Audio). */
  sound: boolean
  /** A desktop notification (Notification API; the browser asks for permission once). */
  desktop: boolean
  /** `(N)` in the tab title: unseen waiting chats plus unread messages in my chats. */
  title: boolean
}

export const ALERT_DEFAULTS: AlertSettings = { sound: true, desktop: false, title: true }

export type DesktopPermission = NotificationPermission | 'unsupported'

/** localStorage key of an operator's settings: per operator id (`sub`), so a shared browser keeps each one's own. */
export const alertKey = (operator: string): string => `beckon.console.alerts.${operator}`

function parseSettings(raw: string | null): AlertSettings {
  try {
    const o: unknown = raw === null ? {} : JSON.parse(raw)
    const read = (key: keyof AlertSettings): boolean => {
      const value = typeof o === 'object' && o !== null ? (o as Record<string, unknown>)[key] : undefined
      return typeof value === 'boolean' ? value : ALERT_DEFAULTS[key]
    }
    return { sound: read('sound'), desktop: read('desktop'), title: read('title') }
  } catch {
    return { ...ALERT_DEFAULTS }
  }
}

const permissionNow = (): DesktopPermission =>
  typeof Notification === 'undefined' ? 'unsupported' : Notification.permission

/**
 * Sound, desktop notification and tab-title count for the chat alerts of ChatStore. The
 * settings load when the operator is known (`useOperator`) and are saved on every change.
 * Permission for notifications is only asked when the operator switches them on (a click,
 * as browsers require), and only while the browser has not decided yet.
 */
export class AlertStore {
  readonly settings = signal<AlertSettings>({ ...ALERT_DEFAULTS })
  readonly permission = signal<DesktopPermission>(permissionNow())
  private operator: string | undefined
  private audio: AudioContext | undefined
  private readonly baseTitle = document.title

  /**
   * `count`: what the title shows; `open`: brings a conversation on screen when its
   * notification is clicked.
   */
  constructor(
    count: () => number,
    private readonly open: (conversation: string) => void,
  ) {
    effect(() => {
      const n = count()
      document.title = this.settings.value.title && n > 0 ? `(${n}) ${this.baseTitle}` : this.baseTitle
    })
    // Browsers start audio only after a user gesture: the first click or key unlocks it.
    const unlock = (): void => {
      if (!this.settings.value.sound) return
      this.context()
        ?.resume()
        .catch(() => undefined)
      window.removeEventListener('pointerdown', unlock)
      window.removeEventListener('keydown', unlock)
    }
    window.addEventListener('pointerdown', unlock)
    window.addEventListener('keydown', unlock)
  }

  useOperator(operator: string): void {
    if (operator === this.operator) return
    this.operator = operator
    let raw: string | null = null
    try {
      raw = localStorage.getItem(alertKey(operator))
    } catch {
      // Storage blocked: the defaults hold for this page.
    }
    this.settings.value = parseSettings(raw)
  }

  /** Changes one setting; switching desktop on asks for permission first (call from a click). */
  async set(key: keyof AlertSettings, on: boolean): Promise<void> {
    if (key === 'desktop' && on) {
      if (this.permission.value === 'unsupported') return
      if (Notification.permission === 'default') await Notification.requestPermission()
      this.permission.value = Notification.permission
      if (this.permission.value !== 'granted') return
    }
    this.settings.value = { ...this.settings.value, [key]: on }
    if (!this.operator) return
    try {
      localStorage.setItem(alertKey(this.operator), JSON.stringify(this.settings.value))
    } catch {
      // Storage blocked: the setting holds for this page only.
    }
  }

  /** Rings for one alert, as the operator's settings say. */
  alert(alert: ChatAlert, who: string): void {
    const settings = this.settings.value
    if (settings.sound) this.beep()
    if (settings.desktop && permissionNow() === 'granted') this.notify(alert, who)
  }

  private notify(alert: ChatAlert, who: string): void {
    const title = alert.kind === 'chat' ? `New chat: ${who}` : `${who} wrote`
    let note: Notification
    try {
      // One per chat (`tag`): a newer alert of the same chat replaces the older one.
      note = new Notification(title, { body: alert.text, tag: alert.conversation.id })
    } catch (error) {
      // Some browsers (Chrome on Android) only notify through a service worker.
      console.warn('beckon console: no desktop notification:', error)
      return
    }
    note.onclick = () => {
      window.focus()
      this.open(alert.conversation.id)
      note.close()
    }
  }

  private context(): AudioContext | undefined {
    if (typeof AudioContext === 'undefined') return undefined
    try {
      this.audio ??= new AudioContext()
    } catch {
      // No audio device: the other alerts still work.
    }
    return this.audio
  }

  /** Two short rising tones, quiet enough for an office. */
  private beep(): void {
    const ctx = this.context()
    if (!ctx) return
    const start = ctx.currentTime
    for (const [offset, frequency] of [
      [0, 660],
      [0.14, 880],
    ] as const) {
      const tone = ctx.createOscillator()
      const gain = ctx.createGain()
      tone.frequency.value = frequency
      gain.gain.setValueAtTime(0.12, start + offset)
      gain.gain.exponentialRampToValueAtTime(0.001, start + offset + 0.12)
      tone.connect(gain).connect(ctx.destination)
      tone.start(start + offset)
      tone.stop(start + offset + 0.12)
    }
  }
}
