import './seconds_input.css'
import { useSignal } from '@preact/signals'
import { useInvalid } from '../FieldError/field_error.js'

const UNITS = [
  ['s', 1, 'seconds'],
  ['min', 60, 'minutes'],
  ['h', 3600, 'hours'],
  ['d', 86_400, 'days'],
] as const

function bestUnit(seconds: number): number {
  for (let i = UNITS.length - 1; i > 0; i--) {
    const factor = UNITS[i]?.[1] ?? 1
    if (seconds > 0 && seconds % factor === 0) return i
  }
  return 0
}

/** A duration stored as whole seconds, typed in the unit the operator picks. */
export function SecondsInput({
  value,
  onChange,
  path,
  label,
  testid,
}: {
  value: number | undefined
  onChange: (seconds: number | undefined) => void
  path: string
  label: string
  testid?: string
}) {
  const seconds = typeof value === 'number' ? value : 0
  const unit = useSignal(bestUnit(seconds))
  const factor = UNITS[unit.value]?.[1] ?? 1
  const shown = typeof value === 'number' ? String(value / factor) : ''
  return (
    <span class="seconds-input">
      <input
        type="number"
        step="any"
        aria-label={label}
        data-testid={testid}
        value={shown}
        {...useInvalid(path)}
        onInput={(e) => {
          const text = e.currentTarget.value
          onChange(text === '' ? undefined : Math.round(Number(text) * factor))
        }}
      />
      <select
        aria-label={`${label} unit`}
        value={String(unit.value)}
        onChange={(e) => (unit.value = Number(e.currentTarget.value))}
      >
        {UNITS.map(([short, , long], i) => (
          <option key={short} value={String(i)}>
            {long}
          </option>
        ))}
      </select>
    </span>
  )
}
