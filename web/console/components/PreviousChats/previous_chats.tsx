import './previous_chats.css'
import { useEffect } from 'preact/hooks'
import { useConsole } from '../../state/console_context.js'
import { dateTime } from '../../state/format.js'

/** The visitor's previous chats (from History), newest first; one opens its transcript in the History view. */
export function PreviousChats({ visitor }: { visitor: string }) {
  const store = useConsole()
  const history = store.history
  useEffect(() => {
    void history.loadVisitorChats(visitor)
  }, [visitor])
  const loaded = history.visitorChats.value
  const chats = loaded?.visitor === visitor ? loaded.chats : []
  return (
    <section class="previous-chats" aria-labelledby="previous-chats-heading">
      <h3 id="previous-chats-heading">Previous chats</h3>
      {chats.length === 0 ? (
        <p class="placeholder">None closed yet.</p>
      ) : (
        <ol>
          {chats.map((c) => (
            <li key={c.id} data-testid="previous-chat">
              <button
                type="button"
                onClick={() => {
                  store.show('history')
                  void history.open(c.id)
                }}
              >
                <span class="meta">
                  {[dateTime(c.closedAt), c.operator, c.rating && `rated ${c.rating}`].filter(Boolean).join(' · ')}
                </span>
                <span class="text">{c.preview || '(no message)'}</span>
              </button>
            </li>
          ))}
        </ol>
      )}
    </section>
  )
}
