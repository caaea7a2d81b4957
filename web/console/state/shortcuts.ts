import { QUEUES } from './chat_store.js'
import type { ConsoleStore } from './console_store.js'

export interface Shortcut {
  /** The keys as the help shows them. */
  keys: string
  does: string
}

/** The console's keyboard shortcuts, as the "?" help and README list them. */
export const SHORTCUTS: readonly Shortcut[] = [
  { keys: 'a', does: 'Accept the selected chat (or the newest waiting one)' },
  { keys: 'n  /  j', does: 'Next chat in the queue' },
  { keys: 'p  /  k', does: 'Previous chat in the queue' },
  { keys: 'w', does: 'Newest waiting chat' },
  { keys: 'c', does: 'Close the selected chat' },
  { keys: 'r', does: 'Reply: put the cursor into the message box' },
  { keys: '1 – 5', does: 'Show Waiting, Mine, Team, Offline, Closed' },
  { keys: '?', does: 'Show or hide this help' },
  { keys: 'Esc', does: 'Leave the message box (then shortcuts work again); hide this help' },
]

/** Typing goes to the field, never to a shortcut. */
function typing(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false
  return target.isContentEditable || target.closest('input, textarea, select, [contenteditable=""]') !== null
}

/**
 * Runs the shortcut for a keydown on the live view, if it is one; true when handled. Keys
 * with Ctrl, Alt or Meta belong to the browser, keys in a dialog to the dialog, and keys typed
 * into a field to the field (Esc there only leaves the field).
 */
export function runShortcut(
  event: KeyboardEvent,
  store: ConsoleStore,
  help: { toggle(): void; hide(): void },
): boolean {
  if (event.ctrlKey || event.altKey || event.metaKey || event.isComposing) return false
  // An open dialog owns the keys (Esc closes it), wherever the focus is.
  if (document.querySelector('dialog[open]') !== null) return false
  if (typing(event.target)) {
    if (event.key !== 'Escape' || !(event.target instanceof HTMLElement)) return false
    event.target.blur()
    return true
  }
  const chats = store.chats
  const current = chats.current.value
  const takeover = store.canTakeOver.value
  switch (event.key) {
    case 'a':
      if (chats.canAccept(current) || chats.selectNewestWaiting()) chats.act('accept')
      return true
    case 'n':
    case 'j':
      chats.step(1)
      return true
    case 'p':
    case 'k':
      chats.step(-1)
      return true
    case 'w':
      chats.selectNewestWaiting()
      return true
    case 'c':
      if (chats.canClose(current, takeover)) chats.act('close')
      return true
    case 'r': {
      const input = document.querySelector<HTMLInputElement>('[data-testid=chat-input]')
      if (!input || input.disabled) return false
      input.focus()
      return true
    }
    case '?':
      help.toggle()
      return true
    case 'Escape':
      help.hide()
      return true
  }
  const queue = QUEUES[Number(event.key) - 1]
  if (/^[1-5]$/.test(event.key) && queue) {
    chats.showQueue(queue)
    return true
  }
  return false
}
