import './message_editor.css'
import { useRef } from 'preact/hooks'
import {
  type Button,
  MAX_BUTTONS,
  MAX_VARIANTS,
  type Media,
  type Message,
  type Path,
  type Variant,
} from '../../campaign/campaign_definition.js'
import { FIELD_LIST } from '../../campaign/field_catalog.js'
import { useConsole } from '../../state/console_context.js'
import { BubblePreview } from '../BubblePreview/bubble_preview.js'
import { FieldError, useInvalid } from '../FieldError/field_error.js'

/** Fields a message can name; clocks render as whole seconds. */
const VARIABLES = FIELD_LIST.filter((f) => !f.name.startsWith('team.'))

/** A text with `{{field}}` placeholders and a picker that inserts one at the cursor. */
function TemplateText({
  path,
  label,
  testid,
  rows,
  optional = false,
}: {
  path: Path
  label: string
  testid: string
  rows: number
  /** Emptied, the key is removed rather than kept as ''. */
  optional?: boolean
}) {
  const studio = useConsole().studio
  const area = useRef<HTMLTextAreaElement>(null)
  const key = path.join('.')
  const value = String(studio.get(path) ?? '')
  const insert = (field: string) => {
    const el = area.current
    const at = el ? el.selectionStart : value.length
    const end = el ? el.selectionEnd : value.length
    const token = `{{${field}}}`
    studio.set(path, value.slice(0, at) + token + value.slice(end))
    requestAnimationFrame(() => {
      el?.focus()
      el?.setSelectionRange(at + token.length, at + token.length)
    })
  }
  return (
    <div class="template-text">
      <label class="stack">
        {label}
        <textarea
          ref={area}
          rows={rows}
          data-testid={testid}
          value={value}
          {...useInvalid(key)}
          onInput={(e) =>
            studio.set(path, e.currentTarget.value === '' && optional ? undefined : e.currentTarget.value)
          }
        />
      </label>
      <select
        aria-label={`Insert a variable into ${label.toLowerCase()}`}
        data-testid={`${testid}-variable`}
        value=""
        onChange={(e) => e.currentTarget.value && insert(e.currentTarget.value)}
      >
        <option value="">Insert variable…</option>
        {VARIABLES.map((f) => (
          <option key={f.name} value={f.name}>
            {`${f.label} — {{${f.name}}}`}
          </option>
        ))}
      </select>
      <FieldError path={key} />
    </div>
  )
}

function MediaEditor({ path }: { path: Path }) {
  const studio = useConsole().studio
  const media = studio.get(path) as Media | undefined
  const key = path.join('.')
  return (
    <fieldset class="media">
      <legend>Image or GIF</legend>
      <label class="stack">
        URL (https:// or /path on your site)
        <input
          type="text"
          data-testid="media-url"
          value={media?.url ?? ''}
          {...useInvalid(`${key}.url`)}
          onInput={(e) => {
            const url = e.currentTarget.value.trim()
            studio.set(path, url ? { url, alt: media?.alt ?? '' } : undefined)
          }}
        />
        <FieldError path={`${key}.url`} />
      </label>
      {media && (
        <label class="stack">
          Alt text (read out by screen readers)
          <input
            type="text"
            data-testid="media-alt"
            value={media.alt}
            {...useInvalid(`${key}.alt`)}
            onInput={(e) => studio.set([...path, 'alt'], e.currentTarget.value)}
          />
          <FieldError path={`${key}.alt`} />
        </label>
      )}
      <FieldError path={key} />
    </fieldset>
  )
}

function ButtonsEditor({ path }: { path: Path }) {
  const studio = useConsole().studio
  const buttons = (studio.get(path) as Button[] | undefined) ?? []
  const key = path.join('.')
  const put = (next: Button[]) => studio.set(path, next.length > 0 ? next : undefined)
  return (
    <fieldset class="buttons">
      <legend>Buttons</legend>
      {buttons.map((b, i) => (
        <div class="button-row" key={i} data-testid="message-button">
          <select
            aria-label={`Button ${i + 1} kind`}
            value={'url' in b ? 'link' : 'reply'}
            onChange={(e) =>
              put(
                buttons.map((x, j) =>
                  j === i
                    ? e.currentTarget.value === 'link'
                      ? { label: x.label, url: 'https://' }
                      : { label: x.label, reply: true }
                    : x,
                ),
              )
            }
          >
            <option value="link">Link</option>
            <option value="reply">Quick reply</option>
          </select>
          <input
            type="text"
            aria-label={`Button ${i + 1} label`}
            placeholder="Label"
            value={b.label}
            {...useInvalid(`${key}.${i}.label`)}
            onInput={(e) => put(buttons.map((x, j) => (j === i ? { ...x, label: e.currentTarget.value } : x)))}
          />
          {'url' in b && (
            <input
              type="text"
              aria-label={`Button ${i + 1} link`}
              placeholder="https://…"
              value={b.url}
              {...useInvalid(`${key}.${i}.url`)}
              onInput={(e) =>
                put(buttons.map((x, j) => (j === i ? { label: x.label, url: e.currentTarget.value } : x)))
              }
            />
          )}
          <button
            type="button"
            class="icon"
            aria-label={`Remove button ${i + 1}`}
            onClick={() => put(buttons.filter((_, j) => j !== i))}
          >
            ×
          </button>
          <FieldError path={`${key}.${i}`} within />
        </div>
      ))}
      {buttons.length < MAX_BUTTONS && (
        <span class="row">
          <button
            type="button"
            data-testid="add-link-button"
            onClick={() => put([...buttons, { label: 'Learn more', url: 'https://' }])}
          >
            + Link button
          </button>
          <button
            type="button"
            data-testid="add-reply-button"
            onClick={() => put([...buttons, { label: 'Yes, please', reply: true }])}
          >
            + Quick reply
          </button>
        </span>
      )}
      <p class="note">A quick reply is sent as the visitor's first message and starts the chat.</p>
      <FieldError path={key} />
    </fieldset>
  )
}

/** Text, follow-up, image and buttons at a path: the message itself or one of its variants. */
function Content({ path, testid }: { path: Path; testid: string }) {
  return (
    <>
      <TemplateText path={[...path, 'text']} label="Text" testid={`${testid}-text`} rows={3} />
      <TemplateText
        path={[...path, 'followUp']}
        label="Follow-up (optional)"
        testid={`${testid}-followup`}
        rows={2}
        optional
      />
      <MediaEditor path={[...path, 'media']} />
      <ButtonsEditor path={[...path, 'buttons']} />
    </>
  )
}

const nextVariantId = (variants: Variant[]): string => {
  for (const id of 'abcdefghijklmnop') if (!variants.some((v) => v.id === id)) return id
  return `v${variants.length + 1}`
}

function Variants() {
  const studio = useConsole().studio
  const message = studio.get(['message']) as Message | undefined
  const variants = message?.variants ?? []
  const total = variants.reduce((sum, v) => sum + (Number(v.weight) || 0), 0)
  const put = (next: Variant[] | undefined) => studio.set(['message', 'variants'], next)
  if (variants.length === 0) {
    return (
      <div class="variants">
        <button
          type="button"
          data-testid="start-ab"
          onClick={() =>
            put([
              { id: 'a', weight: 50, text: message?.text ?? '' },
              { id: 'b', weight: 50, text: '' },
            ])
          }
        >
          A/B test: add variants
        </button>
        <FieldError path="message.variants" within />
      </div>
    )
  }
  return (
    <div class="variants" data-testid="variants">
      <p class="note">
        Each visitor always gets the same variant. The message text above stays the fallback and the campaign's name for
        it.
      </p>
      {variants.map((v, i) => (
        <fieldset class="variant" key={v.id || i} data-testid="variant" data-variant-id={v.id}>
          <legend>{`Variant ${v.id || i + 1}`}</legend>
          <div class="row">
            <label class="stack">
              Id
              <input
                type="text"
                class="short"
                data-testid="variant-id"
                value={v.id}
                {...useInvalid(`message.variants.${i}.id`)}
                onInput={(e) => studio.set(['message', 'variants', i, 'id'], e.currentTarget.value.trim())}
              />
            </label>
            <label class="stack">
              Weight
              <input
                type="number"
                class="short"
                min={1}
                max={100}
                data-testid="variant-weight"
                value={String(v.weight)}
                {...useInvalid(`message.variants.${i}.weight`)}
                onInput={(e) => studio.set(['message', 'variants', i, 'weight'], Number(e.currentTarget.value))}
              />
            </label>
            <span class="share">
              {total > 0 ? `${Math.round(((Number(v.weight) || 0) / total) * 100)}% of visitors` : ''}
            </span>
            <span class="spacer" />
            <button
              type="button"
              data-testid="remove-variant"
              disabled={variants.length <= 2}
              onClick={() => put(variants.filter((_, j) => j !== i))}
            >
              Remove variant
            </button>
          </div>
          <FieldError path={`message.variants.${i}.id`} />
          <FieldError path={`message.variants.${i}.weight`} />
          <Content path={['message', 'variants', i]} testid="variant" />
          <FieldError path={`message.variants.${i}`} />
        </fieldset>
      ))}
      <span class="row">
        {variants.length < MAX_VARIANTS && (
          <button
            type="button"
            data-testid="add-variant"
            onClick={() => put([...variants, { id: nextVariantId(variants), weight: 50, text: '' }])}
          >
            + Variant
          </button>
        )}
        <button type="button" data-testid="stop-ab" onClick={() => put(undefined)}>
          Stop A/B test
        </button>
      </span>
      <FieldError path="message.variants" />
    </div>
  )
}

/** The invitation: text and rich parts, what to collect, chat start, A/B variants, and the bubble preview. */
export function MessageEditor() {
  const studio = useConsole().studio
  const message = studio.get(['message']) as Message | undefined
  const collect = message?.collect ?? []
  const toggle = (field: 'name' | 'email', on: boolean) => {
    const next = on ? [...collect.filter((f) => f !== field), field] : collect.filter((f) => f !== field)
    studio.set(['message', 'collect'], next.length > 0 ? next : undefined)
  }
  return (
    <section class="message-editor" aria-labelledby="message-title">
      <h3 id="message-title">Message</h3>
      <div class="message-grid">
        <div class="message-fields">
          <Content path={['message']} testid="message" />
          <div class="row">
            {(
              [
                ['name', 'Ask for a name'],
                ['email', 'Ask for an email'],
              ] as const
            ).map(([field, text]) => (
              <label class="check" key={field}>
                <input
                  type="checkbox"
                  data-testid={`collect-${field}`}
                  checked={collect.includes(field)}
                  onChange={(e) => toggle(field, e.currentTarget.checked)}
                />
                {text}
              </label>
            ))}
            <label class="check">
              <input
                type="checkbox"
                data-testid="start-chat"
                checked={message?.startChat === true}
                onChange={(e) => studio.set(['message', 'startChat'], e.currentTarget.checked)}
              />
              Start the chat at once
            </label>
          </div>
          <FieldError path="message.collect" />
          <Variants />
          <FieldError path="message" />
        </div>
        <BubblePreview />
      </div>
    </section>
  )
}
