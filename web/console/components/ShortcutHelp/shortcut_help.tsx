import './shortcut_help.css'
import { SHORTCUTS } from '../../state/shortcuts.js'

/** The keyboard shortcuts of the live view, opened with "?" or the panel's "?" button. */
export function ShortcutHelp({ onClose }: { onClose(): void }) {
  return (
    <div class="shortcut-help card" role="dialog" aria-label="Keyboard shortcuts" data-testid="shortcut-help">
      <div class="shortcut-head">
        <h3>Keyboard shortcuts</h3>
        <span class="spacer" />
        <button type="button" aria-label="Close the shortcut help" onClick={onClose}>
          ×
        </button>
      </div>
      <dl>
        {SHORTCUTS.map((s) => (
          <div key={s.keys}>
            <dt>
              <kbd>{s.keys}</kbd>
            </dt>
            <dd>{s.does}</dd>
          </div>
        ))}
      </dl>
      <p class="note">Shortcuts do nothing while you type in a field.</p>
    </div>
  )
}
