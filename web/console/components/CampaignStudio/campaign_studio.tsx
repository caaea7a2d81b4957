import './campaign_studio.css'
import { useSignal } from '@preact/signals'
import { useEffect } from 'preact/hooks'
import { useConsole } from '../../state/console_context.js'
import { CampaignBasics } from '../CampaignBasics/campaign_basics.js'
import { CampaignStats } from '../CampaignStats/campaign_stats.js'
import { JsonEditor } from '../JsonEditor/json_editor.js'
import { LivePreview } from '../LivePreview/live_preview.js'
import { MessageEditor } from '../MessageEditor/message_editor.js'
import { RevisionList } from '../RevisionList/revision_list.js'
import { RuleBuilder } from '../RuleBuilder/rule_builder.js'
import { ScheduleEditor } from '../ScheduleEditor/schedule_editor.js'
import { StudioCampaignList } from '../StudioCampaignList/studio_campaign_list.js'

/** Save, duplicate and a two-step delete for the campaign being edited. */
function EditorActions() {
  const studio = useConsole().studio
  const confirming = useSignal(false)
  const busy = studio.busy.value
  return (
    <div class="editor-actions">
      <button
        type="button"
        class="primary"
        data-testid="studio-save"
        disabled={busy || !studio.dirty.value}
        onClick={() => void studio.save()}
      >
        {studio.isNew.value ? 'Create campaign' : 'Save changes'}
      </button>
      <button type="button" data-testid="studio-duplicate" disabled={busy} onClick={() => studio.duplicate()}>
        Duplicate
      </button>
      {!studio.isNew.value &&
        (confirming.value ? (
          <>
            <button
              type="button"
              class="danger"
              data-testid="studio-delete-confirm"
              disabled={busy}
              onClick={() => {
                confirming.value = false
                void studio.remove()
              }}
            >
              Delete for good
            </button>
            <button type="button" onClick={() => (confirming.value = false)}>
              Keep it
            </button>
          </>
        ) : (
          <button type="button" data-testid="studio-delete" disabled={busy} onClick={() => (confirming.value = true)}>
            Delete
          </button>
        ))}
    </div>
  )
}

/** The node's validation error, named and linked to its field when the form shows one. */
function ErrorSummary() {
  const studio = useConsole().studio
  const error = studio.error.value
  if (!error) return null
  const focus = () => {
    const field = document.querySelector<HTMLElement>(`[data-path="${CSS.escape(error.path)}"]`)
    field?.scrollIntoView({ block: 'center' })
    field?.focus()
  }
  return (
    <div class="error-summary" role="alert" data-testid="studio-error" data-error-path={error.path}>
      <span>{`${error.path ? `${error.path}: ` : ''}${error.message}`}</span>
      {error.path && (
        <button type="button" onClick={focus}>
          Show the field
        </button>
      )}
    </div>
  )
}

function Editor() {
  const studio = useConsole().studio
  const draft = studio.draft.value
  const tab = studio.tab.value
  if (!draft) {
    return (
      <section class="card editor empty" data-testid="studio-editor-empty">
        <p class="placeholder">Pick a campaign on the left, or create a new one.</p>
      </section>
    )
  }
  return (
    <section class="card editor" data-testid="studio-editor" aria-label="Campaign editor">
      <header class="editor-head">
        <h2>
          {String(draft.name || draft.id || 'New campaign')}
          {studio.dirty.value && <span class="dirty">unsaved</span>}
        </h2>
        <div class="tabs" role="tablist" aria-label="Editor view">
          {(['form', 'json'] as const).map((t) => (
            <button
              key={t}
              type="button"
              role="tab"
              aria-selected={tab === t}
              data-testid={`tab-${t}`}
              onClick={() => (studio.tab.value = t)}
            >
              {t === 'form' ? 'Form' : 'JSON'}
            </button>
          ))}
        </div>
        <EditorActions />
      </header>
      <p class="note" data-testid="studio-notice" role="status">
        {studio.notice.value}
      </p>
      <ErrorSummary />
      {tab === 'json' ? (
        <JsonEditor />
      ) : (
        <div class="form-sections">
          <CampaignBasics />
          <RuleBuilder />
          <ScheduleEditor />
          <MessageEditor />
        </div>
      )}
    </section>
  )
}

/** The campaign studio: build, preview against live traffic and measure campaigns. */
export function CampaignStudio() {
  const store = useConsole()
  const ready = store.ready.value
  const token = store.token.value
  const allowed = store.canManageCampaigns.value
  useEffect(() => {
    if (!allowed || !ready || !token) return
    store.studio.open(ready.site, token)
    return () => store.studio.close()
  }, [allowed, ready, token])
  if (!allowed) {
    return (
      <main class="studio">
        <section class="card" data-testid="studio-denied">
          <h2>Campaign studio</h2>
          <p>Your operator token does not carry the manage_campaigns permission, so campaigns cannot be edited here.</p>
        </section>
      </main>
    )
  }
  const saved = store.studio.saved.value !== undefined
  return (
    <main class="studio" data-testid="studio">
      <StudioCampaignList />
      <Editor />
      <div class="studio-side">
        {store.studio.draft.value && <LivePreview />}
        {saved && <CampaignStats />}
        {saved && <RevisionList />}
      </div>
    </main>
  )
}
