import { FieldError, useInvalid } from '../FieldError/field_error.js'

let zones: string[] | undefined
/** Every IANA zone the browser knows, UTC first. */
function timeZones(): string[] {
  if (!zones) {
    const list = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : []
    zones = ['UTC', ...list.filter((z) => z !== 'UTC')]
  }
  return zones
}

export const localZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC'

/** A labelled IANA time zone picker; `path` is where the node reports a bad zone. */
export function TimeZoneSelect({
  value,
  path,
  testid,
  onChange,
}: {
  value: string
  path: string
  testid: string
  onChange: (zone: string) => void
}) {
  return (
    <label class="stack">
      Time zone
      <select
        data-testid={testid}
        value={value}
        {...useInvalid(path)}
        onChange={(e) => onChange(e.currentTarget.value)}
      >
        {timeZones().map((z) => (
          <option key={z} value={z}>
            {z.replace(/_/g, ' ')}
          </option>
        ))}
      </select>
      <FieldError path={path} />
    </label>
  )
}
