import { type Condition, isGroup, isNot, type Scalar } from './campaign_definition.js'
import { choiceLabel, fieldInfo, OPERATOR_INFO } from './field_catalog.js'

/** Seconds in the largest unit that divides them: 20 s, 5 min, 2 h, 1 d. */
export function secondsText(seconds: number): string {
  if (seconds > 0 && seconds % 86_400 === 0) return `${seconds / 86_400} d`
  if (seconds > 0 && seconds % 3600 === 0) return `${seconds / 3600} h`
  if (seconds > 0 && seconds % 60 === 0) return `${seconds / 60} min`
  return `${seconds} s`
}

/** "Time on page" → "time on page" inside a sentence; "UTM source" and "Page URL" keep their capitals where they matter. */
const inSentence = (label: string): string =>
  /^[A-Z][a-z]/.test(label) ? label.charAt(0).toLowerCase() + label.slice(1) : label

function listText(items: string[], last: string): string {
  if (items.length <= 1) return items.join('')
  return `${items.slice(0, -1).join(', ')} ${last} ${items[items.length - 1]}`
}

function valueText(field: string, value: Scalar, clock: boolean): string {
  const info = fieldInfo(field)
  if (clock && typeof value === 'number') return secondsText(value)
  if (typeof value === 'boolean') return value ? 'yes' : 'no'
  if (info.choices) return choiceLabel(info, value)
  return typeof value === 'string' ? value : String(value)
}

/**
 * A condition as a sentence: "Page URL contains /kb/ and time on page ≥ 20 s". Groups
 * inside groups are parenthesised; `not` reads "not (…)".
 */
export function ruleSentence(condition: Condition | undefined): string {
  if (!condition) return 'Always (no conditions)'
  const walk = (c: Condition, nested: boolean): string => {
    if (isNot(c)) return `not (${walk(c.not, false)})`
    if (isGroup(c)) {
      const [join, items] = 'all' in c ? ['and', c.all] : ['or', c.any]
      const text = items.map((x) => walk(x, true)).join(` ${join} `)
      return nested && items.length > 1 ? `(${text})` : text
    }
    const info = fieldInfo(c.field)
    const op = OPERATOR_INFO[c.op]
    const label = inSentence(info.label)
    if (op.value === 'none') return `${label} ${op.sentence}`
    const values = Array.isArray(c.value) ? c.value : c.value === undefined ? [] : [c.value]
    const shown = values.map((v) => valueText(c.field, v, info.clock))
    const value =
      op.value === 'list' ? listText(shown, c.op === 'in' || c.op === 'contains_any' ? 'or' : 'nor') : (shown[0] ?? '…')
    return `${label} ${op.sentence} ${value}`
  }
  const text = walk(condition, false)
  return text.charAt(0).toUpperCase() + text.slice(1)
}
