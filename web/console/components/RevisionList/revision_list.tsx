import './revision_list.css'
import { useConsole } from '../../state/console_context.js'

/** Every saved change of the campaign, newest first, each restorable. */
export function RevisionList() {
  const studio = useConsole().studio
  const revisions = studio.revisions.value
  const note = studio.revisionsNote.value
  return (
    <section class="card revision-list" data-testid="revisions" aria-labelledby="revisions-title">
      <h2 id="revisions-title">Revisions</h2>
      {note && <p class="note">{note}</p>}
      <ol>
        {revisions.map((r, i) => (
          <li key={`${r.at}-${i}`} data-testid="revision">
            <span class="when">{new Date(r.at).toLocaleString()}</span>
            <span class="author">{r.author}</span>
            <span class="what">
              {r.campaign
                ? `${String(r.campaign.name ?? r.campaign.id)} · ${r.campaign.enabled === false ? 'off' : 'on'}`
                : 'deleted'}
            </span>
            {i === 0 ? (
              <span class="current">current</span>
            ) : (
              r.campaign && (
                <button
                  type="button"
                  data-testid="restore-revision"
                  disabled={studio.busy.value}
                  onClick={() => void studio.restore(r)}
                >
                  Restore
                </button>
              )
            )}
          </li>
        ))}
      </ol>
    </section>
  )
}
