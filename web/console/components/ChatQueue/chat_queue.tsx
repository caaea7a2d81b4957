import './chat_queue.css'
import { type Conversation, QUEUES, type Queue } from '../../state/chat_store.js'
import { useConsole } from '../../state/console_context.js'
import { duration } from '../../state/format.js'

const QUEUE_LABELS: Record<Queue, string> = {
  waiting: 'Waiting',
  mine: 'Mine',
  team: 'Team',
  offline: 'Offline',
  closed: 'Closed',
}

const EMPTY: Record<Queue, string> = {
  waiting: 'No chat is waiting.',
  mine: 'You have no open chat.',
  team: 'No teammate is chatting.',
  offline: 'No offline message.',
  closed: 'No chat closed since this page opened.',
}

/** What the row says about the chat's state, in the words of its queue. */
function stateText(c: Conversation, queue: Queue, me: string | undefined, label: (id: string) => string): string {
  switch (queue) {
    case 'waiting':
      return c.operator === undefined
        ? 'waiting'
        : c.operator === me
          ? 'offered to you'
          : `offered to ${label(c.operator)}`
    case 'mine':
      return 'mine'
    case 'team':
      return c.operator ? label(c.operator) : 'teammate'
    default:
      return queue
  }
}

function Row({ c, queue }: { c: Conversation; queue: Queue }) {
  const store = useConsole()
  const chats = store.chats
  const me = store.ready.value?.operator
  const selected = chats.selected.value === c.id
  const last = c.messages[c.messages.length - 1]
  return (
    <li
      data-testid="conversation"
      data-conversation-id={c.id}
      data-state={c.state}
      data-queue={queue}
      class={selected ? 'selected' : undefined}
    >
      <button type="button" aria-current={selected ? 'true' : undefined} onClick={() => chats.select(c.id)}>
        <span class="who">{c.contact ? (c.contact.name ?? c.contact.email) : store.label(c.visitor)}</span>
        {(c.unread > 0 || c.fresh) && (
          <span class="badge" data-testid="conversation-unread" title="Unread visitor messages">
            {c.unread > 0 ? String(c.unread) : 'new'}
          </span>
        )}
        <span class={`pill chat-${c.state}`}>{stateText(c, queue, me, (id) => store.operatorLabel(id))}</span>
        {queue === 'waiting' && (
          <span class="age" title="Waiting for">
            {duration(store.now.value - c.createdAt)}
          </span>
        )}
        {last && <span class="preview">{last.text}</span>}
      </button>
    </li>
  )
}

/**
 * The chat queues as tabs with their counts (Waiting, Mine, Team, Offline, Closed) and the
 * shown queue's chats; unread visitor messages as a badge.
 */
export function ChatQueue() {
  const chats = useConsole().chats
  const queue = chats.queue.value
  const lists = chats.queues.value
  const list = lists[queue]
  return (
    <div class="queue">
      <div class="queue-tabs" role="tablist" aria-label="Chat queues">
        {QUEUES.map((q, i) => (
          <button
            key={q}
            type="button"
            role="tab"
            data-testid={`queue-${q}`}
            aria-selected={q === queue}
            title={`${QUEUE_LABELS[q]} (key ${i + 1})`}
            onClick={() => chats.showQueue(q)}
          >
            {QUEUE_LABELS[q]}
            <span class="count" data-testid="queue-count">
              {String(lists[q].length)}
            </span>
          </button>
        ))}
      </div>
      {/* The tab panel wraps the list: a role on the <ul> itself would take away its list semantics. */}
      <div class="queue-panel" role="tabpanel" aria-label={QUEUE_LABELS[queue]}>
        <ul class="conversations" data-testid="conversations">
          {list.length === 0 && <li class="placeholder">{EMPTY[queue]}</li>}
          {list.map((c) => (
            <Row key={c.id} c={c} queue={queue} />
          ))}
        </ul>
      </div>
    </div>
  )
}
