import './canned_responses.css'
import { useEffect } from 'preact/hooks'
import { renderTemplate } from '../../../../server/src/rules/template.js'
import { sampleFacts } from '../../campaign/template_facts.js'
import { useConsole } from '../../state/console_context.js'
import { FieldError, FieldErrorContext, useInvalid } from '../FieldError/field_error.js'

/** The add/edit form with a preview rendered for a sample visitor. */
function CannedForm() {
  const store = useConsole()
  const canned = store.canned
  const draft = canned.draft.value
  if (!draft) return null
  return (
    <form
      class="card canned-form"
      data-testid="canned-form"
      onSubmit={(e) => {
        e.preventDefault()
        void canned.save()
      }}
    >
      <h2>{draft.original === undefined ? 'New canned response' : `Edit /${draft.original}`}</h2>
      <label class="stack">
        Title
        <input
          type="text"
          data-testid="canned-title"
          value={draft.title}
          {...useInvalid('title')}
          onInput={(e) => canned.change({ title: e.currentTarget.value })}
        />
        <FieldError path="title" />
      </label>
      <label class="stack">
        Shortcut (typed after / in a chat)
        <input
          type="text"
          data-testid="canned-id"
          value={draft.id}
          {...useInvalid('id')}
          onInput={(e) => canned.change({ id: e.currentTarget.value.trim() })}
        />
        <FieldError path="id" />
      </label>
      <label class="stack">
        Text
        <textarea
          rows={4}
          data-testid="canned-text"
          value={draft.text}
          {...useInvalid('text')}
          onInput={(e) => canned.change({ text: e.currentTarget.value })}
        />
        <FieldError path="text" />
      </label>
      <p class="note">
        {'Placeholders as in invitations: {{visitor.name|there}}, {{visitor.email}}, {{page.title}}, {{geo.city}} …'}
      </p>
      <div class="canned-preview">
        <span class="sub">Preview (sample visitor)</span>
        <span data-testid="canned-preview">
          {renderTemplate(draft.text, sampleFacts(store.now.value), store.now.value)}
        </span>
      </div>
      <FieldError path="" />
      <div class="canned-actions">
        <button type="submit" class="primary" data-testid="canned-save" disabled={canned.busy.value}>
          Save
        </button>
        <button type="button" data-testid="canned-cancel" onClick={() => canned.cancel()}>
          Cancel
        </button>
      </div>
    </form>
  )
}

/**
 * The site's canned responses: every operator sees them (they are inserted with `/` in a
 * chat); tokens with `manage_canned` add, edit and delete them.
 */
export function CannedResponses() {
  const store = useConsole()
  const canned = store.canned
  const manage = store.canManageCanned.value
  useEffect(() => {
    void canned.load()
  }, [])
  const list = canned.list.value
  return (
    <FieldErrorContext.Provider value={canned.error}>
      <main class="canned-view" data-testid="canned-view">
        <section class="card canned-list">
          <div class="canned-head">
            <h2>Canned responses</h2>
            <span class="spacer" />
            {manage && (
              <button type="button" class="primary" data-testid="canned-new" onClick={() => canned.create()}>
                New reply
              </button>
            )}
          </div>
          <p class="note">
            {manage
              ? 'Type / in a chat to search and insert one.'
              : 'Type / in a chat to search and insert one. Changing them needs the manage_canned permission.'}
          </p>
          {canned.note.value && (
            <p class="note" role="status" data-testid="canned-note">
              {canned.note.value}
            </p>
          )}
          <table class="grid canned-table">
            <thead>
              <tr>
                <th>Shortcut</th>
                <th>Title</th>
                <th>Text</th>
                <th>Changed</th>
                {manage && <th aria-label="Actions" />}
              </tr>
            </thead>
            <tbody>
              {list.map((c) => (
                <tr key={c.id} data-testid="canned-row" data-id={c.id}>
                  <td class="shortcut">/{c.id}</td>
                  <td>{c.title}</td>
                  <td class="text">{c.text}</td>
                  <td>
                    {c.updatedAt ? new Date(c.updatedAt).toLocaleDateString() : ''}
                    <span class="sub">{c.updatedBy}</span>
                  </td>
                  {manage && (
                    <td class="row-actions">
                      <button type="button" data-testid="canned-edit" onClick={() => canned.edit(c.id)}>
                        Edit
                      </button>
                      <button type="button" data-testid="canned-delete" onClick={() => void canned.remove(c.id)}>
                        Delete
                      </button>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </section>
        {manage && <CannedForm />}
      </main>
    </FieldErrorContext.Provider>
  )
}
