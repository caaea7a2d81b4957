import './operator_settings.css'
import { useSignal } from '@preact/signals'
import type { ComponentChildren } from 'preact'
import { useEffect, useRef } from 'preact/hooks'
import { useConsole } from '../../state/console_context.js'
import { OperatorAvatar } from '../OperatorAvatar/operator_avatar.js'

/**
 * The operator's own settings, in a modal dialog opened from the top bar: the name and
 * avatar visitors and colleagues see, how many chats it takes at once, and whether an
 * assigned chat is accepted automatically. Saved on the node, so they follow the operator.
 */
export function OperatorSettings() {
  const store = useConsole()
  const team = store.team
  const own = team.own.value
  const open = store.settingsOpen.value
  const dialog = useRef<HTMLDialogElement>(null)
  const name = useSignal('')
  const avatar = useSignal('')
  const maxChats = useSignal('')
  const autoAccept = useSignal(false)

  useEffect(() => {
    const el = dialog.current
    if (!el) return
    if (open && !el.open) {
      name.value = own?.displayName ?? ''
      avatar.value = own?.avatar ?? ''
      maxChats.value = String(own?.maxChats ?? '')
      autoAccept.value = own?.autoAccept ?? false
      team.save.value = { state: 'idle' }
      el.showModal()
    }
    if (!open && el.open) el.close()
  }, [open])

  const save = team.save.value
  const me = store.ready.value?.operator ?? ''
  const errorOn = (field: string) => (save.state === 'error' && save.path === field ? save.message : undefined)
  const field = (id: string, label: string, input: ComponentChildren, hint?: string) => {
    const error = errorOn(id)
    return (
      <div class="stack">
        <label for={`settings-${id}`}>{label}</label>
        {input}
        {error ? (
          <span class="field-error" role="alert" data-testid={`settings-error-${id}`}>
            {error}
          </span>
        ) : (
          hint && <span class="hint">{hint}</span>
        )}
      </div>
    )
  }

  return (
    <dialog
      ref={dialog}
      class="operator-settings"
      data-testid="operator-settings"
      aria-labelledby="operator-settings-title"
      onClose={() => (store.settingsOpen.value = false)}
    >
      <form
        method="dialog"
        onSubmit={(event) => {
          event.preventDefault()
          void team.store({
            displayName: name.value.trim() || null,
            avatar: avatar.value.trim() || null,
            maxChats: Number(maxChats.value),
            autoAccept: autoAccept.value,
          })
        }}
      >
        <div class="settings-head">
          <OperatorAvatar name={name.value.trim() || me} url={avatar.value.trim() || undefined} size={40} />
          <h2 id="operator-settings-title">My settings</h2>
        </div>
        {!own && (
          <p class="note" role="status">
            {team.loadError.value ? `Settings unavailable: ${team.loadError.value}` : 'Loading…'}
          </p>
        )}
        {field(
          'displayName',
          'Display name',
          <input
            data-testid="settings-name"
            id="settings-displayName"
            type="text"
            maxLength={64}
            placeholder={me}
            value={name.value}
            onInput={(e) => (name.value = e.currentTarget.value)}
          />,
          'Shown to visitors ("Anna joined the chat") and to your team.',
        )}
        {field(
          'avatar',
          'Avatar URL',
          <input
            data-testid="settings-avatar"
            id="settings-avatar"
            type="text"
            inputMode="url"
            placeholder="https://… or /path (empty: initials)"
            value={avatar.value}
            onInput={(e) => (avatar.value = e.currentTarget.value)}
          />,
        )}
        {field(
          'maxChats',
          'Max concurrent chats',
          <input
            data-testid="settings-max-chats"
            id="settings-maxChats"
            type="number"
            min={1}
            max={own?.maxChatsLimit}
            step={1}
            required
            value={maxChats.value}
            onInput={(e) => (maxChats.value = e.currentTarget.value)}
          />,
          own ? `New chats are offered to you while you hold fewer (1–${own.maxChatsLimit}).` : undefined,
        )}
        <label class="check">
          <input
            data-testid="settings-auto-accept"
            type="checkbox"
            checked={autoAccept.value}
            onChange={(e) => (autoAccept.value = e.currentTarget.checked)}
          />
          Automatically accept assigned chats
        </label>
        <p class="note" role="status" data-testid="settings-status">
          {save.state === 'saving'
            ? 'Saving…'
            : save.state === 'saved'
              ? 'Saved.'
              : save.state === 'error' && save.path === ''
                ? save.message
                : ''}
        </p>
        <div class="settings-actions">
          <button type="button" data-testid="settings-close" onClick={() => (store.settingsOpen.value = false)}>
            Close
          </button>
          <button
            type="submit"
            class="primary"
            data-testid="operator-settings-save"
            disabled={!own || save.state === 'saving'}
          >
            Save
          </button>
        </div>
      </form>
    </dialog>
  )
}
