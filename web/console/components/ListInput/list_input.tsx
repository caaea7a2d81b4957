import { useSignal } from '@preact/signals'
import { useInvalid } from '../FieldError/field_error.js'

const parse = (text: string): string[] =>
  text
    .split('\n')
    .map((v) => v.trim())
    .filter((v) => v !== '')

/** Several values, one per line (URL parts, UTM values, context values). */
export function ListInput({
  values,
  onChange,
  path,
  label,
  testid,
}: {
  values: string[]
  onChange: (values: string[]) => void
  path: string
  label: string
  testid?: string
}) {
  // The text keeps what is being typed (a new empty line) as long as it means the same values.
  const text = useSignal(values.join('\n'))
  if (parse(text.value).join('\n') !== values.join('\n')) text.value = values.join('\n')
  return (
    <textarea
      class="list-input"
      rows={Math.min(6, Math.max(2, values.length + 1))}
      aria-label={`${label} (one per line)`}
      placeholder="one value per line"
      data-testid={testid}
      value={text.value}
      {...useInvalid(path)}
      onInput={(e) => {
        text.value = e.currentTarget.value
        onChange(parse(text.value))
      }}
    />
  )
}
