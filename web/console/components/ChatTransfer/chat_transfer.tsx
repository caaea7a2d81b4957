import './chat_transfer.css'
import { useSignal } from '@preact/signals'
import type { TeamMember } from '../../../../shared/src/protocol.js'
import type { Conversation } from '../../state/chat_store.js'
import { useConsole } from '../../state/console_context.js'
import { OperatorAvatar } from '../OperatorAvatar/operator_avatar.js'

/** Whether `member` may see a chat of a visitor in `departments` (the node's rule: none means site-wide). */
function mayTake(member: TeamMember, departments: readonly string[] | undefined): boolean {
  if (member.seesAll || !departments || departments.length === 0) return true
  return departments.some((d) => member.departments.includes(d))
}

/**
 * Hands the selected chat on: a menu of the site's online colleagues (display name, chats
 * held of their limit, departments) and of its departments. The node offers the chat to the
 * target; the thread's state shows where it went.
 */
export function ChatTransfer({ chat }: { chat: Conversation }) {
  const store = useConsole()
  const team = store.team
  const open = useSignal(false)
  const me = store.ready.value?.operator
  const live = chat.state === 'open' || chat.state === 'assigned'
  const visitorDepartments = store.visitors.value.get(chat.visitor)?.departments
  const colleagues = [...team.members.value.values()].filter((m) => m.id !== me)
  const send = (to: { operator: string } | { department: string }) => {
    open.value = false
    if (!store.send({ t: 'transfer', conversation: chat.id, to }))
      store.chats.note.value = 'Not connected: try again when back online.'
  }
  return (
    <div class="chat-transfer">
      <button
        type="button"
        data-testid="transfer"
        aria-expanded={open.value}
        aria-haspopup="menu"
        disabled={!live}
        onClick={() => (open.value = !open.value)}
      >
        Transfer
      </button>
      {open.value && (
        <div class="transfer-menu" role="menu" data-testid="transfer-menu">
          <h4>Operators online</h4>
          {colleagues.length === 0 && <p class="empty">Nobody else is online.</p>}
          {colleagues.map((m) => {
            const allowed = mayTake(m, visitorDepartments)
            const name = m.displayName ?? m.id
            return (
              <button
                key={m.id}
                type="button"
                role="menuitem"
                data-testid="transfer-operator"
                data-operator-id={m.id}
                disabled={!allowed}
                title={allowed ? undefined : 'Does not see this chat’s department'}
                onClick={() => send({ operator: m.id })}
              >
                <OperatorAvatar name={name} url={m.avatar} size={22} />
                <span class="who">
                  <span class="name">{name}</span>
                  <span class="meta">
                    {`${m.chats}/${m.maxChats} chats`}
                    {m.departments.length > 0 ? ` · ${m.departments.join(', ')}` : ''}
                  </span>
                </span>
              </button>
            )
          })}
          {team.departments.value.length > 0 && <h4>Departments</h4>}
          {team.departments.value.map((d) => (
            <button
              key={d}
              type="button"
              role="menuitem"
              data-testid="transfer-department"
              data-department={d}
              onClick={() => send({ department: d })}
            >
              <span class="who">
                <span class="name">{d}</span>
              </span>
            </button>
          ))}
        </div>
      )}
    </div>
  )
}
