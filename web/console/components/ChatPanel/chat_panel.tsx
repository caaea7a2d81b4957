import './chat_panel.css'
import { useSignal } from '@preact/signals'
import { useEffect } from 'preact/hooks'
import { useConsole } from '../../state/console_context.js'
import { runShortcut } from '../../state/shortcuts.js'
import { ChatQueue } from '../ChatQueue/chat_queue.js'
import { ChatThread } from '../ChatThread/chat_thread.js'
import { ShortcutHelp } from '../ShortcutHelp/shortcut_help.js'

/**
 * The operator's chats: the queues above the selected conversation, filling the window's
 * height so the list stays in view; keyboard shortcuts while the live view is shown.
 */
export function ChatPanel() {
  const store = useConsole()
  const help = useSignal(false)
  useEffect(() => {
    const controls = { toggle: () => (help.value = !help.value), hide: () => (help.value = false) }
    const onKey = (event: KeyboardEvent) => {
      if (runShortcut(event, store, controls)) event.preventDefault()
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [store])
  return (
    <aside
      class="card chat"
      aria-label="Chats"
      onFocusIn={(event) => {
        // Going to write in the chat on screen makes it the operator's choice: no newer chat replaces it.
        if (event.target instanceof HTMLElement && event.target.dataset.testid === 'chat-input') store.chats.engage()
      }}
    >
      <div class="chat-head">
        <h2>Chats</h2>
        <span class="spacer" />
        <button
          type="button"
          class="help-button"
          data-testid="shortcuts-button"
          aria-expanded={help.value}
          title="Keyboard shortcuts (?)"
          onClick={() => (help.value = !help.value)}
        >
          ?
        </button>
      </div>
      {help.value && <ShortcutHelp onClose={() => (help.value = false)} />}
      <div class="chat-body">
        <ChatQueue />
        <ChatThread />
      </div>
    </aside>
  )
}
