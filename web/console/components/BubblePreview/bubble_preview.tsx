import './bubble_preview.css'
import { renderTemplate } from '../../../../server/src/rules/template.js'
import type { Button, Media, Message } from '../../campaign/campaign_definition.js'
import { sampleFacts, summaryFacts } from '../../campaign/template_facts.js'
import { useConsole } from '../../state/console_context.js'
import { visitorLabel } from '../../state/format.js'

interface Shown {
  text: string
  followUp?: string
  media?: Media
  buttons?: Button[]
}

/**
 * The invitation as the widget draws it (bubble, image, buttons, the name/email form),
 * rendered for a live visitor the operator picks or for sample values. Text only: the
 * widget never renders HTML from a campaign, and neither does this preview.
 */
export function BubblePreview() {
  const store = useConsole()
  const studio = store.studio
  const message = studio.get(['message']) as Message | undefined
  const variants = message?.variants ?? []
  const chosen = studio.sampleVisitor.value
  const visitor = chosen ? store.visitors.value.get(chosen) : undefined
  const now = store.now.value
  const facts = visitor ? summaryFacts(visitor) : sampleFacts(now)
  const render = (text: string | undefined) => (text ? renderTemplate(text, facts, now) : '')
  const shown: Shown[] = variants.length > 0 ? variants : message ? [message] : []
  return (
    <aside class="bubble-preview" aria-label="Invitation preview">
      <label class="stack">
        Preview for
        <select
          data-testid="preview-visitor"
          value={chosen ?? ''}
          onChange={(e) => (studio.sampleVisitor.value = e.currentTarget.value || undefined)}
        >
          <option value="">Sample values (Ada, /kb/sso)</option>
          {store.visitorList.value.map((v) => (
            <option key={v.id} value={v.id}>
              {`${visitorLabel(v, v.id)} · ${v.page.title || v.page.url}`}
            </option>
          ))}
        </select>
      </label>
      {shown.map((m, i) => (
        <div class="stage" key={'id' in m ? String(m.id) : i}>
          {variants.length > 0 && <span class="variant-tag">{`Variant ${'id' in m ? String(m.id) : i + 1}`}</span>}
          <div class="bubble-card" data-testid="bubble-preview">
            <span class="x" aria-hidden="true">
              ×
            </span>
            {m.media?.url && <img class="media" src={m.media.url} alt={m.media.alt} />}
            <p class="text" data-testid="bubble-preview-text">
              {render(m.text)}
            </p>
            {m.followUp && <p class="follow">{render(m.followUp)}</p>}
            {(m.buttons ?? []).length > 0 && (
              <div class="buttons">
                {(m.buttons ?? []).map((b, j) => (
                  <span key={j} class={'url' in b ? 'link' : 'reply'}>
                    {b.label}
                  </span>
                ))}
              </div>
            )}
            <div class="form">
              {message?.collect?.includes('name') && <span class="input">Your name</span>}
              {message?.collect?.includes('email') && <span class="input">Your email</span>}
              <span class="primary">Chat with us</span>
            </div>
          </div>
        </div>
      ))}
    </aside>
  )
}
