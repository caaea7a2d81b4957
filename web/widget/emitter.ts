import type { InviteFrame } from '../../shared/src/protocol.js'
import type { WidgetEventName } from './api_input.js'
import type { WidgetChatFrame, WidgetMsgFrame } from './server_frame.js'

export interface WidgetEvents {
  invite: InviteFrame
  message: WidgetMsgFrame
  chat: WidgetChatFrame
  welcome: { visitor: string; visit: number; resumed: boolean }
}

type Listener<K extends WidgetEventName> = (data: WidgetEvents[K]) => void

/** Host page listeners of widget events. A throwing listener is reported and skipped. */
export class Emitter {
  private readonly listeners = new Map<WidgetEventName, Set<(data: never) => void>>()

  /** Adds a listener; returns a function that removes it. */
  on<K extends WidgetEventName>(name: K, listener: Listener<K>): () => void {
    let set = this.listeners.get(name)
    if (!set) this.listeners.set(name, (set = new Set()))
    set.add(listener)
    return () => set.delete(listener)
  }

  emit<K extends WidgetEventName>(name: K, data: WidgetEvents[K]): void {
    for (const listener of this.listeners.get(name) ?? []) {
      try {
        ;(listener as Listener<K>)(data)
      } catch (error) {
        console.error(`beckon: ${name} listener failed`, error)
      }
    }
  }
}
