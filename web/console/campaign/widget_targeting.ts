import type { Condition, Leaf } from './campaign_definition.js'

const FIELD = 'widget.id'
const isTarget = (c: Condition): c is Leaf => 'field' in c && c.field === FIELD && (c.op === 'in' || c.op === 'eq')

/** The widget ids a campaign is limited to: a `widget.id` in/eq condition at the top of its `when`. */
export function targetedWidgets(when: Condition | undefined): string[] {
  const leaf = when && (isTarget(when) ? when : 'all' in when ? when.all.find(isTarget) : undefined)
  if (!leaf) return []
  const value = leaf.value
  return (Array.isArray(value) ? value : value === undefined ? [] : [value]).map(String)
}

/**
 * `when` limited to these widgets (none: every widget). The targeting is one condition
 * `widget.id in [...]` beside the others, so the rule builder shows and edits it too.
 */
export function withWidgets(when: Condition | undefined, widgets: string[]): Condition | undefined {
  const leaf: Leaf | undefined = widgets.length > 0 ? { field: FIELD, op: 'in', value: widgets } : undefined
  if (!when) return leaf && { all: [leaf] }
  if (isTarget(when)) return leaf
  if ('all' in when && when.all.some(isTarget)) {
    const rest = when.all.flatMap((c): Condition[] => (isTarget(c) ? (leaf ? [leaf] : []) : [c]))
    return rest.length > 0 ? { all: rest } : undefined
  }
  if (!leaf) return when
  return 'all' in when ? { all: [...when.all, leaf] } : { all: [when, leaf] }
}
