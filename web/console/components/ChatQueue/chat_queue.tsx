import './chat_queue.css'
import { useConsole } from '../../state/console_context.js'

/** Conversations, open ones first, most recent activity first; unread visitor messages as a badge. */
export function ChatQueue() {
  const store = useConsole()
  const chats = store.chats
  const me = store.ready.value?.operator
  const selected = chats.selected.value
  const ordered = chats.ordered.value
  return (
    <ul class="conversations" data-testid="conversations">
      {ordered.length === 0 && <li class="placeholder">No chats yet.</li>}
      {ordered.map((c) => (
        <li
          key={c.id}
          data-testid="conversation"
          data-conversation-id={c.id}
          data-state={c.state}
          class={c.id === selected ? 'selected' : undefined}
        >
          <button
            type="button"
            aria-current={c.id === selected ? 'true' : undefined}
            onClick={() => chats.select(c.id)}
          >
            <span class="who">{store.label(c.visitor)}</span>
            <span class={`pill chat-${c.state}`}>
              {c.state === 'assigned'
                ? c.operator === me
                  ? 'mine'
                  : c.operator
                    ? store.operatorLabel(c.operator)
                    : 'assigned'
                : c.state}
            </span>
            {c.unread > 0 && (
              <span class="badge" title="Unread visitor messages">
                {String(c.unread)}
              </span>
            )}
          </button>
        </li>
      ))}
    </ul>
  )
}
