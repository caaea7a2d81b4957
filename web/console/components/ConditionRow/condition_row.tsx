import './condition_row.css'
import type { Leaf, Operator, Scalar } from '../../campaign/campaign_definition.js'
import {
  CONTEXT_PREFIX,
  defaultValue,
  FIELD_LIST,
  type FieldInfo,
  fieldInfo,
  OPERATOR_INFO,
  operatorsFor,
} from '../../campaign/field_catalog.js'
import { FieldError, useInvalid } from '../FieldError/field_error.js'
import { ValueEditor } from './value_editor.js'

const GROUPS = [...new Set(FIELD_LIST.map((f) => f.group))]

/** Keeps a value when it still fits the new field and operator, else a fitting default. */
function refit(leaf: Leaf, field: FieldInfo, op: Operator): Leaf {
  const shape = OPERATOR_INFO[op].value
  const next: Leaf = { field: field.name, op }
  if (shape === 'none') return next
  const values = Array.isArray(leaf.value) ? leaf.value : leaf.value === undefined ? [] : [leaf.value]
  const sameKind = fieldInfo(leaf.field).kind === field.kind && fieldInfo(leaf.field).editor === field.editor
  if (!sameKind || values.length === 0) {
    const value = defaultValue(field, op)
    return value === undefined ? next : { ...next, value }
  }
  return { ...next, value: shape === 'list' ? values : (values[0] as Scalar) }
}

/** One condition: field, operator and a value editor that fits them. */
export function ConditionRow({
  leaf,
  path,
  onChange,
  tools,
}: {
  leaf: Leaf
  path: string
  onChange: (leaf: Leaf) => void
  tools: preact.ComponentChildren
}) {
  const field = fieldInfo(leaf.field)
  const isContext = leaf.field.startsWith(CONTEXT_PREFIX)
  const ops = operatorsFor(field)
  const fieldValue = isContext ? CONTEXT_PREFIX : leaf.field
  return (
    <div class="condition-row" data-testid="condition" data-path={path}>
      <select
        aria-label="Field"
        data-testid="condition-field"
        value={fieldValue}
        {...useInvalid(`${path}.field`)}
        onChange={(e) => {
          const name = e.currentTarget.value === CONTEXT_PREFIX ? `${CONTEXT_PREFIX}plan` : e.currentTarget.value
          const next = fieldInfo(name)
          const allowed = operatorsFor(next)
          onChange(refit(leaf, next, allowed.includes(leaf.op) ? leaf.op : (allowed[0] ?? 'exists')))
        }}
      >
        {GROUPS.map((g) => (
          <optgroup key={g} label={g}>
            {FIELD_LIST.filter((f) => f.group === g).map((f) => (
              <option key={f.name} value={f.name}>
                {f.label}
              </option>
            ))}
          </optgroup>
        ))}
        <optgroup label="Custom">
          <option value={CONTEXT_PREFIX}>Custom data (context.KEY)</option>
        </optgroup>
        {!isContext && !FIELD_LIST.some((f) => f.name === leaf.field) && (
          <option value={leaf.field}>{leaf.field}</option>
        )}
      </select>
      {isContext && (
        <input
          type="text"
          class="context-key"
          aria-label="Custom data key"
          data-testid="condition-key"
          placeholder="key"
          value={leaf.field.slice(CONTEXT_PREFIX.length)}
          onInput={(e) => onChange({ ...leaf, field: `${CONTEXT_PREFIX}${e.currentTarget.value.trim()}` })}
        />
      )}
      <select
        aria-label="Operator"
        data-testid="condition-op"
        value={leaf.op}
        {...useInvalid(`${path}.op`)}
        onChange={(e) => onChange(refit(leaf, field, e.currentTarget.value as Operator))}
      >
        {ops.map((op) => (
          <option key={op} value={op}>
            {OPERATOR_INFO[op].label}
          </option>
        ))}
        {!ops.includes(leaf.op) && <option value={leaf.op}>{leaf.op}</option>}
      </select>
      <ValueEditor
        leaf={leaf}
        field={field}
        path={`${path}.value`}
        onChange={(value) => {
          const { value: _old, ...rest } = leaf
          onChange(value === undefined ? rest : { ...rest, value })
        }}
      />
      <span class="tools">{tools}</span>
      <FieldError path={`${path}.field`} />
      <FieldError path={`${path}.op`} />
      <FieldError path={path} />
    </div>
  )
}
