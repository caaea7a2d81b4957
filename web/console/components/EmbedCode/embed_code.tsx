import './embed_code.css'
import { useSignal } from '@preact/signals'
import { useConsole } from '../../state/console_context.js'
import { ACCENT, contrastWithWhite, embedSnippet, WIDGET_ID } from '../../state/embed_snippet.js'

const DEFAULT_ACCENT = '#2454d6'

/**
 * The embed-code generator: widget options (widget id for `widget.id` campaigns, department,
 * accent colour), the snippet as it will be pasted, updated on every change, and a Copy button.
 */
export function EmbedCode({ site, departments }: { site: string; departments: readonly string[] }) {
  const settings = useConsole().settings
  const choice = settings.embed.value
  const copied = useSignal('')
  const snippet = embedSnippet(site, choice)
  const widgetInvalid = choice.widget !== '' && !WIDGET_ID.test(choice.widget)
  const accent = ACCENT.test(choice.accent) ? choice.accent : undefined
  const contrast = accent ? contrastWithWhite(accent) : undefined
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(snippet)
      copied.value = 'Copied to the clipboard.'
    } catch {
      copied.value = 'The browser refused the clipboard: select the code and copy it.'
    }
  }
  return (
    <section class="card embed-code" data-testid="embed-code" aria-labelledby="embed-title">
      <h2 id="embed-title">Embed code</h2>
      <p class="note">Paste this before &lt;/body&gt; on every page of the site.</p>
      <div class="embed-options">
        <label class="stack">
          Site
          <input type="text" value={site} readOnly data-testid="embed-site" />
        </label>
        <label class="stack">
          Node URL
          <input
            type="text"
            inputMode="url"
            data-testid="embed-node"
            value={choice.node}
            onInput={(e) => settings.choose({ node: e.currentTarget.value.trim() })}
          />
        </label>
        <label class="stack">
          Widget id
          <input
            type="text"
            data-testid="embed-widget"
            placeholder="default"
            value={choice.widget}
            aria-invalid={widgetInvalid ? 'true' : undefined}
            onInput={(e) => settings.choose({ widget: e.currentTarget.value.trim() })}
          />
          {widgetInvalid && (
            <span class="field-error" role="alert">
              1-64 letters, digits, - or _ (left out of the code)
            </span>
          )}
        </label>
        <label class="stack">
          Department
          <select
            data-testid="embed-department"
            value={choice.department}
            onChange={(e) => settings.choose({ department: e.currentTarget.value })}
          >
            <option value="">Any (site-wide)</option>
            {departments.map((d) => (
              <option key={d} value={d}>
                {d}
              </option>
            ))}
          </select>
        </label>
        <div class="stack">
          Accent colour
          <span class="accent-row">
            <input
              type="color"
              data-testid="embed-accent"
              aria-label="Accent colour"
              value={accent ?? DEFAULT_ACCENT}
              onInput={(e) => settings.choose({ accent: e.currentTarget.value })}
            />
            <input
              type="text"
              class="accent-text"
              data-testid="embed-accent-text"
              aria-label="Accent colour as #rrggbb"
              placeholder="default"
              value={choice.accent}
              onInput={(e) => settings.choose({ accent: e.currentTarget.value.trim() })}
            />
            {choice.accent !== '' && (
              <button type="button" data-testid="embed-accent-reset" onClick={() => settings.choose({ accent: '' })}>
                Default
              </button>
            )}
          </span>
          {contrast !== undefined && contrast < 4.5 && (
            <span class="warn" data-testid="embed-contrast">
              {`White text on this colour has contrast ${contrast.toFixed(1)}:1, below WCAG AA (4.5:1).`}
            </span>
          )}
        </div>
      </div>
      <pre class="snippet" data-testid="embed-snippet">
        {snippet}
      </pre>
      <div class="embed-actions">
        <button type="button" class="primary" data-testid="embed-copy" onClick={() => void copy()}>
          Copy code
        </button>
        <span class="note" role="status" data-testid="embed-copied">
          {copied.value}
        </span>
      </div>
    </section>
  )
}
