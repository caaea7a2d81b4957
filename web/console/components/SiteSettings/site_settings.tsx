import './site_settings.css'
import { useSignal } from '@preact/signals'
import { useEffect } from 'preact/hooks'
import { useConsole } from '../../state/console_context.js'
import { clock } from '../../state/format.js'
import { EmbedCode } from '../EmbedCode/embed_code.js'
import { FieldError, FieldErrorContext, useInvalid } from '../FieldError/field_error.js'
import { ListInput } from '../ListInput/list_input.js'
import { localZone, TimeZoneSelect } from '../TimeZoneSelect/time_zone_select.js'
import { WeekHours } from '../WeekHours/week_hours.js'

/** Webhook URL and its write-only secret: "set" is all the node tells; a new one replaces it. */
function WebhookFields() {
  const settings = useConsole().settings
  const draft = settings.draft.value
  const hasSecret = settings.saved.value?.webhook?.hasSecret === true
  const replacing = useSignal(false)
  // A save shows the stored state again: "set", not the input.
  useEffect(() => {
    replacing.value = false
  }, [settings.saved.value])
  if (!draft) return null
  const askSecret = !hasSecret || replacing.value || draft.webhookSecret !== ''
  return (
    <section class="card settings-section" aria-labelledby="webhook-title">
      <h2 id="webhook-title">Webhook</h2>
      <p class="note">
        Chat, offline-message, lead and invitation events are POSTed here, signed with HMAC-SHA256 of the secret
        (Beckon-Signature header). Leave the URL empty to switch webhooks off.
      </p>
      <label class="stack">
        URL
        <input
          type="text"
          inputMode="url"
          data-testid="webhook-url"
          placeholder="https://example.com/beckon-webhook"
          value={draft.webhookUrl}
          {...useInvalid('webhook.url')}
          onInput={(e) => settings.edit({ webhookUrl: e.currentTarget.value })}
        />
        <FieldError path="webhook.url" />
      </label>
      <div class="stack">
        Secret
        {askSecret ? (
          <input
            type="password"
            autoComplete="new-password"
            data-testid="webhook-secret"
            placeholder={hasSecret ? 'new secret (16+ characters)' : '16+ characters'}
            aria-label="Webhook secret"
            value={draft.webhookSecret}
            {...useInvalid('webhook.secret')}
            onInput={(e) => settings.edit({ webhookSecret: e.currentTarget.value })}
          />
        ) : (
          <span class="secret-state">
            <span data-testid="webhook-secret-state">Set · hidden</span>
            <button type="button" data-testid="webhook-secret-replace" onClick={() => (replacing.value = true)}>
              Replace secret
            </button>
          </span>
        )}
        <FieldError path="webhook.secret" />
      </div>
      <FieldError path="webhook" />
    </section>
  )
}

function BusinessHoursFields() {
  const settings = useConsole().settings
  const hours = settings.draft.value?.hours
  return (
    <section class="card settings-section hours-section" aria-labelledby="hours-title">
      <h2 id="hours-title">Business hours</h2>
      <p class="note">Campaigns scheduled "inside" or "outside" business hours without hours of their own use these.</p>
      <label class="check">
        <input
          type="checkbox"
          data-testid="hours-enabled"
          checked={hours != null}
          onChange={(e) => settings.edit({ hours: e.currentTarget.checked ? { tz: localZone(), week: {} } : null })}
        />
        This site has business hours
      </label>
      {hours && (
        <div class="hours-body">
          <TimeZoneSelect
            value={hours.tz}
            path="hours.tz"
            testid="hours-tz"
            onChange={(tz) => settings.edit({ hours: { ...hours, tz } })}
          />
          <WeekHours
            week={hours.week}
            path="hours.week"
            onChange={(week) => settings.edit({ hours: { ...hours, week } })}
          />
        </div>
      )}
      <FieldError path="hours" within />
    </section>
  )
}

/** A setting that is a list of values, one per line; the node's errors name `ID.N`. */
function ListSection({
  id,
  title,
  note,
  values,
  onChange,
}: {
  id: string
  title: string
  note: string
  values: string[]
  onChange: (values: string[]) => void
}) {
  return (
    <section class="card settings-section" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{title}</h2>
      <p class="note">{note}</p>
      <ListInput values={values} path={id} label={title} testid={`settings-${id}`} onChange={onChange} />
      <FieldError path={id} within />
    </section>
  )
}

function saveState(busy: boolean, dirty: boolean, savedAt: number | undefined): string {
  if (busy) return 'Saving…'
  if (dirty) return 'Unsaved changes'
  return savedAt ? `Saved at ${clock(savedAt)}` : 'No changes'
}

/**
 * The site settings view (`manage_site`): allowed origins, departments, business hours and
 * the webhook, saved with one PATCH whose validation errors show at their field; then the
 * embed-code generator.
 */
export function SiteSettings() {
  const store = useConsole()
  const settings = store.settings
  const ready = store.ready.value
  const token = store.token.value
  const allowed = store.canManageSite.value
  useEffect(() => {
    if (ready && token && allowed) void settings.open(ready.site, token)
  }, [ready?.site, token, allowed])

  if (!allowed)
    return (
      <main class="site-settings">
        <p class="card placeholder" data-testid="settings-forbidden">
          Site settings need an operator token with the manage_site permission.
        </p>
      </main>
    )
  const draft = settings.draft.value
  return (
    <FieldErrorContext.Provider value={settings.error}>
      <main class="site-settings" data-testid="site-settings">
        <form
          class="settings-form"
          onSubmit={(e) => {
            e.preventDefault()
            void settings.save()
          }}
        >
          <div class="settings-head">
            <h2>Site settings · {ready?.site ?? ''}</h2>
            <span class="spacer" />
            <span class="save-state" data-testid="settings-state" role="status">
              {saveState(settings.busy.value, settings.dirty.value, settings.savedAt.value)}
            </span>
            <button
              type="button"
              data-testid="settings-revert"
              disabled={!settings.dirty.value}
              onClick={() => settings.revert()}
            >
              Revert
            </button>
            <button
              type="submit"
              class="primary"
              data-testid="settings-save"
              disabled={!draft || !settings.dirty.value || settings.busy.value}
            >
              Save settings
            </button>
          </div>
          {settings.notice.value && (
            <p class="note" data-testid="settings-notice" role="alert">
              {settings.notice.value}
            </p>
          )}
          <FieldError path="" />
          {draft && (
            <div class="settings-grid">
              <div class="settings-col">
                <ListSection
                  id="origins"
                  title="Allowed origins"
                  note="Pages the widget may connect from, such as https://www.example.com (one per line; * allows any)."
                  values={draft.origins}
                  onChange={(origins) => settings.edit({ origins })}
                />
                <ListSection
                  id="departments"
                  title="Departments"
                  note="Chats and visitors are routed to operators of their department (letters, digits, - and _)."
                  values={draft.departments}
                  onChange={(departments) => settings.edit({ departments })}
                />
                <WebhookFields />
              </div>
              <BusinessHoursFields />
            </div>
          )}
        </form>
        {ready && <EmbedCode site={ready.site} departments={settings.saved.value?.departments ?? []} />}
      </main>
    </FieldErrorContext.Provider>
  )
}
