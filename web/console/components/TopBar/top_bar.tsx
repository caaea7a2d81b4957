import './top_bar.css'
import type { ConnectionStatus } from '../../state/operator_connection.js'
import { useConsole } from '../../state/console_context.js'
import { AlertSettings } from '../AlertSettings/alert_settings.js'
import { OperatorAvatar } from '../OperatorAvatar/operator_avatar.js'

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

/** Waiting and Mine at a glance; a click shows that queue in the live view. */
function ChatCounts() {
  const store = useConsole()
  const lists = store.chats.queues.value
  const show = (queue: 'waiting' | 'mine') => {
    store.show('live')
    store.chats.showQueue(queue)
  }
  return (
    <span class="chat-counts">
      <button
        type="button"
        data-testid="top-waiting"
        class={lists.waiting.length > 0 ? 'hot' : undefined}
        onClick={() => show('waiting')}
      >
        {`Waiting ${lists.waiting.length}`}
      </button>
      <button type="button" data-testid="top-mine" onClick={() => show('mine')}>
        {`Mine ${lists.mine.length}`}
      </button>
    </span>
  )
}

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
          ? `${store.operatorLabel(ready.operator)} @ ${ready.site}` +
            (ready.departments.length > 0 ? ` · ${ready.departments.join(', ')}` : '')
          : ''}
      </span>
      <nav class="views" aria-label="Views">
        {(
          [
            ['live', 'Live', true],
            ['history', 'History', true],
            ['studio', 'Campaign studio', store.canManageCampaigns.value],
            ['canned', 'Canned responses', true],
            ['settings', 'Site settings', store.canManageSite.value],
          ] as const
        ).map(
          ([id, label, shown]) =>
            shown && (
              <button
                key={id}
                type="button"
                data-testid={`view-${id}`}
                aria-current={view === id ? 'page' : undefined}
                onClick={() => store.show(id)}
              >
                {label}
              </button>
            ),
        )}
      </nav>
      <span class="spacer" />
      {ready && <ChatCounts />}
      {ready && <AlertSettings />}
      <span
        class="status"
        data-testid="status"
        data-state={status?.state ?? 'idle'}
        role="status"
        title={status && 'reason' in status ? status.reason : undefined}
      >
        {statusText(status, status?.state === 'offline' ? store.now.value : 0)}
      </span>
      {ready && (
        <button
          type="button"
          class="my-settings"
          data-testid="open-operator-settings"
          aria-haspopup="dialog"
          onClick={() => (store.settingsOpen.value = true)}
        >
          <OperatorAvatar name={store.operatorLabel(ready.operator)} url={store.team.own.value?.avatar} size={20} />
          My settings
        </button>
      )}
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
