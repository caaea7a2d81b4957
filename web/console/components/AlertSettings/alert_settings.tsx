import './alert_settings.css'
import type { AlertSettings as Settings } from '../../state/alert_store.js'
import { useConsole } from '../../state/console_context.js'

const TOGGLES: ReadonlyArray<{ key: keyof Settings; label: string; title: string }> = [
  { key: 'sound', label: 'Sound', title: 'Beep for a new chat and for a new message in your chats' },
  { key: 'desktop', label: 'Desktop', title: 'Desktop notification for a new chat and a new message in your chats' },
  { key: 'title', label: 'Title count', title: 'Unread count in the tab title' },
]

/** The operator's alert switches (kept per operator in this browser). */
export function AlertSettings() {
  const alerts = useConsole().alerts
  const settings = alerts.settings.value
  const permission = alerts.permission.value
  return (
    <fieldset class="alerts" data-testid="alert-settings">
      <legend class="sr-only">Alerts</legend>
      {TOGGLES.map(({ key, label, title }) => {
        const blocked = key === 'desktop' && (permission === 'denied' || permission === 'unsupported')
        return (
          <button
            key={key}
            type="button"
            data-testid={`alert-${key}`}
            aria-pressed={settings[key]}
            disabled={blocked}
            title={blocked ? `Desktop notifications are ${permission} in this browser` : title}
            onClick={() => void alerts.set(key, !settings[key])}
          >
            {label}
            {blocked ? ' (blocked)' : ''}
          </button>
        )
      })}
    </fieldset>
  )
}
