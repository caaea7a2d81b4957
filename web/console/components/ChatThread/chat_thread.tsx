import './chat_thread.css'
import { useSignal } from '@preact/signals'
import { useEffect, useLayoutEffect, useRef } from 'preact/hooks'
import type { ChatInvitation } from '../../../../shared/src/protocol.js'
import type { OutgoingMessage } from '../../state/chat_store.js'
import { useConsole } from '../../state/console_context.js'
import { clock } from '../../state/format.js'
import { CannedPicker } from '../CannedPicker/canned_picker.js'
import { ChatTransfer } from '../ChatTransfer/chat_transfer.js'

/** A message in flight or refused, after the delivered ones; a failed one can be sent again. */
function Outgoing({ m, me }: { m: OutgoingMessage; me: string }) {
  const chats = useConsole().chats
  return (
    <div
      class={`message from-operator ${m.status}`}
      data-testid="chat-message"
      data-from="operator"
      data-status={m.status}
      data-attempts={m.attempts}
    >
      <span class="meta">{`${me} · ${clock(m.at)} · ${m.status === 'pending' ? 'sending…' : 'not delivered'}`}</span>
      <span class="text">{m.text}</span>
      {m.status === 'failed' && (
        <span class="failure" role="alert">
          <span data-testid="chat-failure">
            {m.reason ?? 'not delivered'}
            {m.attempts > 1 ? ` · ${m.attempts} tries` : ''}
          </span>
          <button type="button" data-testid="chat-retry" onClick={() => chats.retry(m.local)}>
            Retry
          </button>
          <button type="button" data-testid="chat-discard" onClick={() => chats.discard(m.local)}>
            Discard
          </button>
        </span>
      )}
    </div>
  )
}

/** The invitation that started the chat, as the thread's first entry: which campaign or operator, and what it said. */
export function InvitationEntry({ invitation }: { invitation: ChatInvitation }) {
  const from = invitation.campaign
    ? `Campaign “${invitation.campaignName ?? invitation.campaign}”`
    : `Invitation from ${invitation.operator ?? 'an operator'}`
  return (
    <div class="invitation-entry" data-testid="chat-invitation">
      <span class="meta">{`${from} · ${clock(invitation.at)}`}</span>
      <span class="text">{invitation.text}</span>
    </div>
  )
}

/** The selected conversation: its state, accept/close, the messages and the compose box. */
export function ChatThread() {
  const store = useConsole()
  const chats = store.chats
  const c = chats.current.value
  const me = store.ready.value?.operator
  const myName = me && store.operatorLabel(me)
  const outgoing = chats.outgoing.value.filter((m) => m.conversation === c?.id)
  const draft = useSignal('')
  const list = useRef<HTMLDivElement>(null)
  const input = useRef<HTMLInputElement>(null)
  /** Follow new messages only while the operator is at the bottom of the thread. */
  const stick = useRef(true)
  useLayoutEffect(() => {
    const el = list.current
    if (el && stick.current) el.scrollTop = el.scrollHeight
  })
  useEffect(() => {
    if (c && chats.focusComposer) input.current?.focus()
  }, [c?.id])

  const takeover = store.canTakeOver.value
  const live = c !== undefined && c.state !== 'closed'
  // Another operator's chat is read-only without takeover_chats; an offline message is answered by email.
  const locked = c !== undefined && (c.state === 'offline' || chats.readOnly(c, takeover))
  const stateText = !c
    ? ''
    : c.state === 'assigned'
      ? c.operator === me
        ? c.confirmed
          ? 'assigned to you'
          : 'offered to you'
        : `with ${c.operator ? store.operatorLabel(c.operator) : 'another operator'}`
      : c.state === 'open'
        ? 'waiting for an operator'
        : c.state === 'offline'
          ? 'offline message'
          : 'closed'
  return (
    <div class="thread">
      <div class="thread-head">
        <h3>{c ? store.label(c.visitor) : 'No conversation selected'}</h3>
        {c && (
          <span class={`pill chat-${c.state}`} data-testid="chat-state">
            {stateText}
          </span>
        )}
        {c?.tags?.map((tag) => (
          <span key={tag} class="tag" data-testid="chat-tag">
            {tag}
          </span>
        ))}
        {c?.rating && (
          <span class={`pill rating-${c.rating}`} data-testid="chat-rating">
            {`rated ${c.rating}`}
          </span>
        )}
        <span class="spacer" />
        <button type="button" data-testid="accept" disabled={!chats.canAccept(c)} onClick={() => chats.act('accept')}>
          Accept
        </button>
        {c && <ChatTransfer chat={c} />}
        <button
          type="button"
          data-testid="close-chat"
          disabled={!chats.canClose(c, takeover)}
          onClick={() => chats.act('close')}
        >
          Close chat
        </button>
      </div>
      <div
        ref={list}
        class="messages"
        data-testid="chat-messages"
        role="log"
        aria-live="polite"
        onScroll={(e) => {
          const el = e.currentTarget
          stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24
        }}
      >
        {c?.invitation && <InvitationEntry invitation={c.invitation} />}
        {c?.messages.map((m) => (
          <div
            key={m.id}
            class={`message from-${m.from}`}
            data-testid="chat-message"
            data-from={m.from}
            data-id={m.id}
            data-status="sent"
          >
            <span class="meta">
              {m.from === 'system'
                ? clock(m.at)
                : `${m.from === 'visitor' ? store.label(c.visitor) : m.operator ? store.operatorLabel(m.operator) : 'operator'} · ${clock(m.at)}`}
            </span>
            <span class="text">{m.text}</span>
          </div>
        ))}
        {outgoing.map((m) => (
          <Outgoing key={m.local} m={m} me={myName || 'you'} />
        ))}
        {c && c.messages.length === 0 && outgoing.length === 0 && (
          <p class="placeholder">{c.state === 'closed' ? 'This chat is closed.' : 'No messages yet.'}</p>
        )}
      </div>
      {c && store.typing.visitors.value.has(c.id) && (
        <p class="typing" data-testid="visitor-typing">
          Visitor is typing…
        </p>
      )}
      <form
        class="compose"
        onSubmit={(event) => {
          event.preventDefault()
          store.typing.stop()
          if (chats.sendText(draft.value.trim())) draft.value = ''
        }}
      >
        <input
          ref={input}
          data-testid="chat-input"
          type="text"
          maxLength={2000}
          placeholder={
            c?.contact
              ? `Answer by email: ${c.contact.email}`
              : locked
                ? `Read-only: ${c?.operator ?? 'a teammate'}'s chat`
                : 'Type a message…'
          }
          aria-label="Message"
          disabled={!live || locked}
          value={draft.value}
          onInput={(e) => {
            draft.value = e.currentTarget.value
            if (c) store.typing.compose(c.id, draft.value)
          }}
        />
        {live && !locked && <CannedPicker draft={draft} input={input} visitor={c.visitor} />}
        <button type="submit" class="primary" data-testid="chat-send" disabled={!live || locked}>
          Send
        </button>
      </form>
      <p class="note" role="status">
        {chats.note.value}
      </p>
    </div>
  )
}
