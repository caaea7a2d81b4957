import './canned_picker.css'
import { type Signal, useSignal } from '@preact/signals'
import type { RefObject } from 'preact'
import { useEffect, useLayoutEffect } from 'preact/hooks'
import type { Facts } from '../../../../server/src/rules/facts.js'
import { renderTemplate } from '../../../../server/src/rules/template.js'
import { summaryFacts } from '../../campaign/template_facts.js'
import { searchCanned } from '../../state/canned_store.js'
import { useConsole } from '../../state/console_context.js'

/** A `/word` being typed at the end of the draft (at its start or after a space). */
const SLASH = /(^|\s)\/(\S*)$/
const SHOWN = 8

/**
 * The `/` list of canned responses under the composer: typing `/` (then part of a shortcut,
 * title or text) lists matching replies; up/down choose, Enter or Tab insert the reply
 * rendered for the chat's visitor (`{{visitor.name|there}}`), Escape closes the list.
 */
export function CannedPicker({
  draft,
  input,
  visitor,
}: {
  draft: Signal<string>
  input: RefObject<HTMLInputElement | null>
  visitor: string | undefined
}) {
  const store = useConsole()
  const canned = store.canned
  /** The option chosen with up/down, for the query it was chosen in: a new query starts at the top. */
  const active = useSignal({ query: '', index: 0 })
  /** The draft at which Escape closed the list; it stays closed until the draft changes. */
  const dismissed = useSignal<string | undefined>(undefined)
  const match = SLASH.exec(draft.value)
  const query = match?.[2] ?? ''
  const open = match !== null && dismissed.value !== draft.value
  const found = open ? searchCanned(canned.list.value, query).slice(0, SHOWN) : []
  const index = Math.min(active.value.query === query ? active.value.index : 0, Math.max(0, found.length - 1))

  useEffect(() => {
    if (open) void canned.load()
  }, [open])

  const summary = visitor ? store.visitors.value.get(visitor) : undefined
  /** A reply as it will be sent to this chat's visitor (fallbacks where the console lacks a value). */
  const rendered = (text: string): string => {
    const facts: Facts = summary ? summaryFacts(summary) : new Map()
    return renderTemplate(text, facts, Date.now())
  }
  const insert = (id: string) => {
    const reply = canned.byId.value.get(id)
    const m = SLASH.exec(draft.value)
    if (!reply || !m) return
    draft.value = draft.value.slice(0, m.index + (m[1]?.length ?? 0)) + rendered(reply.text)
    input.current?.focus()
  }

  // A layout effect: bound before the next key press can arrive, so no key meets an older render's list.
  useLayoutEffect(() => {
    const el = input.current
    if (!el) return
    const keys = (event: KeyboardEvent) => {
      if (!open) return
      if (event.key === 'Escape') dismissed.value = draft.value
      else if (found.length === 0) return
      else if (event.key === 'ArrowDown') active.value = { query, index: (index + 1) % found.length }
      else if (event.key === 'ArrowUp') active.value = { query, index: (index - 1 + found.length) % found.length }
      else if (event.key === 'Enter' || event.key === 'Tab') insert(found[index]?.id ?? '')
      else return
      event.preventDefault()
      event.stopPropagation()
    }
    el.addEventListener('keydown', keys)
    // The composer input becomes the list's combobox, so screen readers follow the choice.
    const listed = open && found.length > 0
    const chosen = found[index]
    el.setAttribute('role', 'combobox')
    el.setAttribute('aria-autocomplete', 'list')
    el.setAttribute('aria-expanded', String(listed))
    if (listed) el.setAttribute('aria-controls', 'canned-picker')
    else el.removeAttribute('aria-controls')
    if (listed && chosen) el.setAttribute('aria-activedescendant', `canned-option-${chosen.id}`)
    else el.removeAttribute('aria-activedescendant')
    return () => el.removeEventListener('keydown', keys)
  })

  if (!open) return null
  return (
    <div class="canned-picker" data-testid="canned-picker">
      {found.length === 0 ? (
        <p class="placeholder" data-testid="canned-none">
          {canned.list.value.length === 0 ? 'No canned responses for this site yet.' : `No reply matches /${query}`}
        </p>
      ) : (
        <div class="options" id="canned-picker" role="listbox" aria-label="Canned responses">
          {found.map((c, i) => (
            <div
              key={c.id}
              id={`canned-option-${c.id}`}
              role="option"
              tabIndex={-1}
              aria-selected={i === index}
              data-testid="canned-option"
              data-id={c.id}
              onMouseDown={(e) => {
                e.preventDefault()
                insert(c.id)
              }}
            >
              <span class="shortcut">/{c.id}</span>
              <span class="title">{c.title}</span>
              <span class="text">{rendered(c.text)}</span>
            </div>
          ))}
        </div>
      )}
    </div>
  )
}
