import './history_view.css'
import type { ChatInvitation } from '../../../../shared/src/protocol.js'
import type { HistoryFilters, HistoryItem, Transcript } from '../../history/history_api.js'
import { useConsole } from '../../state/console_context.js'
import { dateTime } from '../../state/format.js'
import { InvitationEntry } from '../ChatThread/chat_thread.js'

const FIELDS: Array<[keyof HistoryFilters, string, string]> = [
  ['q', 'Message text', 'words in the chat'],
  ['visitor', 'Visitor', 'name, email or id'],
  ['operator', 'Operator', 'operator id'],
  ['from', 'From', ''],
  ['to', 'To', ''],
]

const who = (c: Pick<HistoryItem, 'name' | 'email' | 'visitor'>): string =>
  c.name ?? c.email ?? `#${c.visitor.slice(0, 6)}`

function origin(invitation: ChatInvitation | undefined): string {
  if (!invitation) return 'visitor'
  return invitation.campaign
    ? (invitation.campaignName ?? invitation.campaign)
    : `invite by ${invitation.operator ?? '?'}`
}

/** The search form: message words, visitor, operator and a date range. */
function SearchForm() {
  const history = useConsole().history
  const filters = history.filters.value
  const error = history.error.value
  return (
    <form
      class="card history-search"
      data-testid="history-form"
      onSubmit={(event) => {
        event.preventDefault()
        void history.search()
      }}
    >
      {FIELDS.map(([key, label, placeholder]) => (
        <div key={key} class={`stack${error?.param === key ? ' invalid' : ''}`}>
          <label for={`history-field-${key}`}>{label}</label>
          {key === 'from' || key === 'to' ? (
            <input
              id={`history-field-${key}`}
              data-testid={`history-${key}`}
              type="date"
              value={filters[key]}
              aria-invalid={error?.param === key ? 'true' : undefined}
              onInput={(e) => history.setFilter(key, e.currentTarget.value)}
            />
          ) : (
            <input
              id={`history-field-${key}`}
              data-testid={`history-${key}`}
              type="search"
              placeholder={placeholder}
              value={filters[key]}
              aria-invalid={error?.param === key ? 'true' : undefined}
              onInput={(e) => history.setFilter(key, e.currentTarget.value)}
            />
          )}
        </div>
      ))}
      <button type="submit" class="primary" data-testid="history-submit" disabled={history.loading.value}>
        Search
      </button>
      {error && (
        <p class="history-error" role="alert" data-testid="history-error">
          {error.message}
        </p>
      )}
    </form>
  )
}

/** The matching conversations, newest closed first; a click opens the transcript. */
function ResultTable() {
  const history = useConsole().history
  const results = history.results.value
  const open = history.transcript.value?.conversation.id
  if (!history.searched.value) return <p class="placeholder">Search the closed conversations of your departments.</p>
  if (results.length === 0)
    return (
      <p class="placeholder" data-testid="history-empty">
        No conversation matches.
      </p>
    )
  return (
    <div class="history-results">
      <table data-testid="history-results">
        <thead>
          <tr>
            <th scope="col">Closed</th>
            <th scope="col">Visitor</th>
            <th scope="col">Operator</th>
            <th scope="col">Started by</th>
            <th scope="col">First message</th>
            <th scope="col">Rating</th>
          </tr>
        </thead>
        <tbody>
          {results.map((c) => (
            <tr
              key={c.id}
              data-testid="history-row"
              data-conversation={c.id}
              aria-selected={c.id === open}
              tabIndex={0}
              onClick={() => void history.open(c.id)}
              onKeyDown={(e) => {
                if (e.key === 'Enter') void history.open(c.id)
              }}
            >
              <td>{dateTime(c.closedAt)}</td>
              <td title={c.email}>{who(c)}</td>
              <td>{c.operator ?? '—'}</td>
              <td>{origin(c.invitation)}</td>
              <td class="preview">{c.preview}</td>
              <td>{c.rating ?? '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {history.next.value !== undefined && (
        <button type="button" data-testid="history-more" onClick={() => void history.search(true)}>
          More
        </button>
      )}
    </div>
  )
}

/** One conversation: who, when, how it began, its rating and every message; downloads as text or JSON. */
function TranscriptPanel({ transcript }: { transcript: Transcript }) {
  const history = useConsole().history
  const c = transcript.conversation
  return (
    <section class="card transcript" data-testid="transcript" aria-label="Transcript">
      <div class="transcript-head">
        <h2>{who(c)}</h2>
        {c.rating && (
          <span class={`pill rating-${c.rating}`} data-testid="transcript-rating">
            {`rated ${c.rating}`}
          </span>
        )}
        <span class="spacer" />
        <button type="button" data-testid="download-text" onClick={() => void history.download('text')}>
          Download text
        </button>
        <button type="button" data-testid="download-json" onClick={() => void history.download('json')}>
          JSON
        </button>
      </div>
      <p class="transcript-meta">
        {[
          c.email,
          `started ${dateTime(c.createdAt)}`,
          `closed ${dateTime(c.closedAt)}`,
          c.operator && `with ${c.operator}`,
        ]
          .filter(Boolean)
          .join(' · ')}
      </p>
      <div class="messages" data-testid="transcript-messages">
        {c.invitation && <InvitationEntry invitation={c.invitation} />}
        {transcript.messages.map((m) => (
          <div key={m.id} class={`message from-${m.from}`} data-testid="transcript-message" data-from={m.from}>
            <span class="meta">{`${m.from === 'visitor' ? who(c) : (m.operator ?? m.from)} · ${dateTime(m.at)}`}</span>
            <span class="text">{m.text}</span>
          </div>
        ))}
      </div>
    </section>
  )
}

/** History: search closed conversations, read and download their transcripts. */
export function HistoryView() {
  const transcript = useConsole().history.transcript.value
  return (
    <main class="history-layout" data-testid="history">
      <div class="history-main">
        <SearchForm />
        <section class="card">
          <h2>Closed conversations</h2>
          <ResultTable />
        </section>
      </div>
      {transcript ? (
        <TranscriptPanel transcript={transcript} />
      ) : (
        <section class="card transcript">
          <p class="placeholder">Select a conversation to read its transcript.</p>
        </section>
      )}
    </main>
  )
}
