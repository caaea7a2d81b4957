import type { Leaf, Scalar } from '../../campaign/campaign_definition.js'
import { type FieldInfo, OPERATOR_INFO } from '../../campaign/field_catalog.js'
import { FieldError, useInvalid } from '../FieldError/field_error.js'
import { ListInput } from '../ListInput/list_input.js'
import { SecondsInput } from '../SecondsInput/seconds_input.js'

type ContextType = 'string' | 'number' | 'boolean'

const typeOf = (v: Scalar | undefined): ContextType =>
  typeof v === 'number' ? 'number' : typeof v === 'boolean' ? 'boolean' : 'string'

function convert(v: Scalar, type: ContextType): Scalar {
  if (type === 'number') return Number(v) || 0
  if (type === 'boolean') return v === true || v === 'true' || v === 'yes'
  return String(v)
}

function YesNo({
  value,
  label,
  path,
  onChange,
}: {
  value: Scalar | undefined
  label: string
  path: string
  onChange: (value: boolean) => void
}) {
  return (
    <select
      aria-label={label}
      data-testid="condition-value"
      value={value === false ? 'false' : 'true'}
      {...useInvalid(path)}
      onChange={(e) => onChange(e.currentTarget.value === 'true')}
    >
      <option value="true">yes</option>
      <option value="false">no</option>
    </select>
  )
}

/** Chosen values as removable chips, and a picker to add one. */
function ChoiceList({
  field,
  values,
  onChange,
  path,
}: {
  field: FieldInfo
  values: string[]
  onChange: (values: string[]) => void
  path: string
}) {
  const choices = field.choices?.() ?? []
  const label = (v: string) => choices.find(([c]) => c === v)?.[1] ?? v
  return (
    <span class="choice-list" {...useInvalid(path)}>
      {values.map((v) => (
        <span class="chip" key={v}>
          {`${label(v)} (${v})`}
          <button
            type="button"
            aria-label={`Remove ${label(v)}`}
            onClick={() => onChange(values.filter((x) => x !== v))}
          >
            ×
          </button>
        </span>
      ))}
      <select
        aria-label={`Add ${field.label.toLowerCase()}`}
        data-testid="condition-add-choice"
        value=""
        onChange={(e) => {
          const v = e.currentTarget.value
          if (v && !values.includes(v)) onChange([...values, v])
        }}
      >
        <option value="">Add…</option>
        {choices
          .filter(([c]) => !values.includes(c))
          .map(([c, name]) => (
            <option key={c} value={c}>
              {`${name} (${c})`}
            </option>
          ))}
      </select>
    </span>
  )
}

/** The value part of a condition, fitted to its field and operator. */
export function ValueEditor({
  leaf,
  field,
  path,
  onChange,
}: {
  leaf: Leaf
  field: FieldInfo
  path: string
  onChange: (value: Scalar | Scalar[] | undefined) => void
}) {
  const shape = OPERATOR_INFO[leaf.op].value
  const invalid = useInvalid(path)
  if (shape === 'none') return null
  const label = `${field.label} value`
  const list = Array.isArray(leaf.value) ? leaf.value : leaf.value === undefined ? [] : [leaf.value]
  const one = Array.isArray(leaf.value) ? leaf.value[0] : leaf.value
  let editor: preact.ComponentChild
  if (field.editor === 'seconds') {
    editor = (
      <SecondsInput
        value={typeof one === 'number' ? one : undefined}
        onChange={onChange}
        path={path}
        label={label}
        testid="condition-value"
      />
    )
  } else if (field.editor === 'boolean') {
    editor = <YesNo value={one} label={label} path={path} onChange={onChange} />
  } else if (field.editor === 'choice' && !field.open) {
    editor =
      shape === 'list' ? (
        <ChoiceList field={field} values={list.map(String)} onChange={onChange} path={path} />
      ) : (
        <select
          aria-label={label}
          data-testid="condition-value"
          value={String(one ?? '')}
          {...invalid}
          onChange={(e) => onChange(e.currentTarget.value)}
        >
          {(field.choices?.() ?? []).map(([c, name]) => (
            <option key={c} value={c}>
              {field.name === 'geo.country' ? `${name} (${c})` : name}
            </option>
          ))}
          {one !== undefined && !(field.choices?.() ?? []).some(([c]) => c === String(one)) && (
            <option value={String(one)}>{String(one)}</option>
          )}
        </select>
      )
  } else if (field.editor === 'number' || (field.editor === 'context' && typeOf(one) !== 'string')) {
    const type = field.editor === 'context' ? typeOf(one) : 'number'
    editor =
      shape === 'list' ? (
        <ListInput
          values={list.map(String)}
          onChange={(vs) => onChange(vs.map((v) => convert(v, type)))}
          path={path}
          label={label}
          testid="condition-value"
        />
      ) : type === 'boolean' ? (
        <YesNo value={one} label={label} path={path} onChange={onChange} />
      ) : (
        <input
          type="number"
          step="any"
          aria-label={label}
          data-testid="condition-value"
          value={typeof one === 'number' ? String(one) : ''}
          {...invalid}
          onInput={(e) => onChange(e.currentTarget.value === '' ? undefined : Number(e.currentTarget.value))}
        />
      )
  } else {
    const datalist = field.open ? `choices-${field.name}` : undefined
    editor = (
      <>
        {shape === 'list' ? (
          <ListInput values={list.map(String)} onChange={onChange} path={path} label={label} testid="condition-value" />
        ) : (
          <input
            type="text"
            aria-label={label}
            data-testid="condition-value"
            list={datalist}
            value={one === undefined ? '' : String(one)}
            {...invalid}
            onInput={(e) => onChange(e.currentTarget.value)}
          />
        )}
        {datalist && (
          <datalist id={datalist}>
            {(field.choices?.() ?? []).map(([c, name]) => (
              <option key={c} value={c}>
                {name}
              </option>
            ))}
          </datalist>
        )}
      </>
    )
  }
  return (
    <span class="value-editor">
      {field.editor === 'context' && (
        <select
          aria-label="Value type"
          data-testid="condition-type"
          value={typeOf(one)}
          onChange={(e) => {
            const type = e.currentTarget.value as ContextType
            onChange(Array.isArray(leaf.value) ? list.map((v) => convert(v, type)) : convert(one ?? '', type))
          }}
        >
          <option value="string">text</option>
          <option value="number">number</option>
          <option value="boolean">yes/no</option>
        </select>
      )}
      {editor}
      <FieldError path={path} within />
    </span>
  )
}
