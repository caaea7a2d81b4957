import './top_bar.css'
import type { ConsoleView } from '../../state/console_store.js'
import type { ConnectionStatus } from '../../state/operator_connection.js'
import { useConsole } from '../../state/console_context.js'

function statusText(s: ConnectionStatus | undefined, now: number): string {
  switch (s?.state) {
    case undefined:
      return 'Not connected'
    case 'connecting':
      return 'Connecting…'
    case 'online':
      return 'Online'
    case 'offline':
      return `Offline · retry in ${Math.max(0, Math.ceil((s.retryAt - now) / 1000))} s`
    case 'refused':
      return 'Refused'
  }
}

const VIEWS: ReadonlyArray<[ConsoleView, string]> = [
  ['live', 'Live'],
  ['history', 'History'],
  ['studio', 'Campaign studio'],
]

/** Who is signed in, the connection state, the view switch and the token change. */
export function TopBar() {
  const store = useConsole()
  const ready = store.ready.value
  const status = store.status.value
  const view = store.view.value
  return (
    <header class="top">
      <h1>
        beckon <span>operator console</span>
      </h1>
      <span class="identity" data-testid="identity">
        {ready
          ? `${ready.operator} @ ${ready.site}` +
            (ready.departments.length > 0 ? ` · ${ready.departments.join(', ')}` : '')
          : ''}
      </span>
      <nav class="views" aria-label="Views">
        {VIEWS.filter(([id]) => id !== 'studio' || store.canManageCampaigns.value).map(([id, label]) => (
          <button
            key={id}
            type="button"
            data-testid={`view-${id}`}
            aria-current={view === id ? 'page' : undefined}
            onClick={() => store.show(id)}
          >
            {label}
          </button>
        ))}
      </nav>
      <span class="spacer" />
      <span
        class="status"
        data-testid="status"
        data-state={status?.state ?? 'idle'}
        role="status"
        title={status && 'reason' in status ? status.reason : undefined}
      >
        {statusText(status, status?.state === 'offline' ? store.now.value : 0)}
      </span>
      <button
        type="button"
        data-testid="change-token"
        onClick={() => store.askForToken('Paste another operator token.')}
      >
        Change token
      </button>
    </header>
  )
}
