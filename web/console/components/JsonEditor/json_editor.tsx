import './json_editor.css'
import { useSignal } from '@preact/signals'
import type { JsonObject } from '../../campaign/campaign_definition.js'
import { useConsole } from '../../state/console_context.js'

function parse(text: string): JsonObject | string {
  try {
    const value: unknown = JSON.parse(text)
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as JsonObject)
      : 'a campaign is a JSON object'
  } catch (error) {
    return error instanceof Error ? error.message : String(error)
  }
}

/**
 * The draft as JSON. Valid JSON becomes the draft exactly (keys the form does not know
 * included), so the form and this tab always show the same definition.
 */
export function JsonEditor() {
  const studio = useConsole().studio
  const draft = studio.draft.value
  const canonical = JSON.stringify(draft, null, 2)
  const text = useSignal(canonical)
  const parsed = parse(text.value)
  // The form changed the draft: show it; while typing, keep the operator's own formatting.
  if (typeof parsed !== 'string' ? JSON.stringify(parsed) !== JSON.stringify(draft) : false) text.value = canonical
  const problem = typeof parsed === 'string' ? parsed : undefined
  const error = studio.error.value
  return (
    <section class="json-editor" aria-label="Campaign JSON">
      <textarea
        data-testid="campaign-json"
        spellcheck={false}
        aria-label="Campaign definition as JSON"
        aria-invalid={problem ? 'true' : undefined}
        value={text.value}
        onInput={(e) => {
          text.value = e.currentTarget.value
          const next = parse(text.value)
          if (typeof next !== 'string') studio.replaceDraft(next)
        }}
      />
      <p class={problem ? 'field-error' : 'note'} data-testid="json-status" role="status">
        {problem ? `Not valid JSON: ${problem}` : 'Valid JSON: the form shows the same campaign.'}
      </p>
      {error && (
        <p class="field-error" data-error-path={error.path}>
          {`${error.path || 'campaign'}: ${error.message}`}
        </p>
      )}
    </section>
  )
}
