import './live_preview.css'
import { useConsole } from '../../state/console_context.js'

const HELD_BY: Record<string, string> = {
  disabled: 'campaign disabled',
  audience: 'not in the audience',
  team: 'team condition',
  schedule: 'outside the schedule',
  frequency: 'already invited (frequency)',
  cooldown: 'cooling down',
  showing: 'another invitation is showing',
  widget: 'other widget',
}

/** How many live visitors across the cluster match the draft now, and what holds each one back. */
export function LivePreview() {
  const studio = useConsole().studio
  const result = studio.preview.value
  const note = studio.previewNote.value
  return (
    <section class="card live-preview" data-testid="live-preview" aria-labelledby="live-preview-title">
      <h2 id="live-preview-title">
        Matching now{' '}
        <span class="count" data-testid="preview-count">
          {result ? String(result.count) : '–'}
        </span>
      </h2>
      <p class="note">
        {result
          ? `${result.visitors.filter((v) => v.inviteNow).length} would be invited right now · ${result.nodes} node${result.nodes === 1 ? '' : 's'} asked`
          : 'Live visitors whose conditions hold, updated as you edit.'}
      </p>
      {note && (
        <p class="note warn" data-testid="preview-note">
          {note}
        </p>
      )}
      {result && result.visitors.length > 0 && (
        <ul class="matches">
          {[...result.visitors]
            .sort((a, b) => Number(b.matches) - Number(a.matches))
            .map((v) => (
              <li
                key={v.visitor}
                data-testid="preview-visitor-row"
                data-visitor-id={v.visitor}
                data-matches={String(v.matches)}
                class={v.matches ? undefined : 'elsewhere'}
              >
                <span class="who">{v.name || v.email || `#${v.visitor.slice(0, 6)}`}</span>
                <span class="page" title={v.page?.url}>
                  {v.page?.title || v.page?.url || ''}
                </span>
                <span class="reasons">
                  {v.inviteNow ? (
                    <span class="pill chat-assigned" data-testid="invite-now">
                      invited now
                    </span>
                  ) : (
                    v.heldBy.map((h) => (
                      <span key={h} class="pill chat-open" data-testid="held-by" data-reason={h}>
                        {HELD_BY[h] ?? h}
                      </span>
                    ))
                  )}
                </span>
              </li>
            ))}
        </ul>
      )}
    </section>
  )
}
