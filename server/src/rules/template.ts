import { isClock, type Facts } from './facts.js'
import { fieldSpec } from './fields.js'

/**
 * `{{field}}` or `{{field|fallback}}`, spaces allowed around both parts. The fallback is
 * used when the fact is absent or empty; it cannot contain braces or `|`.
 */
const PLACEHOLDER = /\{\{\s*([A-Za-z][\w.-]*)\s*(?:\|([^{}|]*))?\}\}/g

export interface Placeholder {
  field: string
  fallback: string
}

/** The placeholders of a template, in order (parseCampaign checks their fields exist). */
export function placeholders(text: string): Placeholder[] {
  return [...text.matchAll(PLACEHOLDER)].map((m) => ({ field: m[1] ?? '', fallback: (m[2] ?? '').trim() }))
}

/**
 * Renders a campaign message for one visitor. A placeholder naming a visitor-state field
 * becomes its value as text: strings as they are, numbers and booleans via String(), lists
 * joined with ", ", clock fields as whole seconds elapsed at `now`; an absent value gives
 * the fallback ('' without one). Anything else, including a placeholder whose name is not a
 * field, stays as written (parseCampaign rejects those in definitions).
 * The result is plain text, not HTML: the widget must render it as text.
 */
export function renderTemplate(text: string, facts: Facts, now: number): string {
  return text.replace(PLACEHOLDER, (whole, name: string, fallback: string | undefined) => {
    if (!fieldSpec(name)) return whole
    const value = facts.get(name)
    let out = ''
    if (isClock(value)) out = String(Math.max(0, Math.floor((now - value.since) / 1000)))
    else if (Array.isArray(value)) out = value.join(', ')
    else if (value !== null && value !== undefined && !Number.isNaN(value)) out = String(value)
    return out === '' ? (fallback ?? '').trim() : out
  })
}
