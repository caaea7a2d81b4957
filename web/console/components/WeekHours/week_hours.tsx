import './week_hours.css'
import type { TimeRange, Weekday } from '../../campaign/campaign_definition.js'
import { FieldError, useInvalid } from '../FieldError/field_error.js'

export type Week = Partial<Record<Weekday, TimeRange[]>>

const DAY_NAMES: Record<Weekday, string> = {
  mon: 'Monday',
  tue: 'Tuesday',
  wed: 'Wednesday',
  thu: 'Thursday',
  fri: 'Friday',
  sat: 'Saturday',
  sun: 'Sunday',
}
const WEEKDAYS = Object.keys(DAY_NAMES) as Weekday[]

function TimeInput({
  value,
  path,
  label,
  onChange,
}: {
  value: string
  path: string
  label: string
  onChange: (v: string) => void
}) {
  return (
    <input
      type="text"
      class="time"
      inputMode="numeric"
      placeholder="HH:MM"
      aria-label={label}
      value={value}
      {...useInvalid(path)}
      onInput={(e) => onChange(e.currentTarget.value.trim())}
    />
  )
}

function DayRow({
  day,
  ranges,
  path,
  put,
  copyToAll,
}: {
  day: Weekday
  ranges: TimeRange[]
  path: string
  put: (next: TimeRange[]) => void
  copyToAll: () => void
}) {
  return (
    <div class="day" data-testid="schedule-day" data-day={day}>
      <span class="day-name">{DAY_NAMES[day]}</span>
      <div class="ranges">
        {ranges.length === 0 && <span class="closed">closed</span>}
        {ranges.map(([start, end], i) => (
          <span class="range" key={i}>
            <TimeInput
              value={start}
              path={`${path}.${day}.${i}.0`}
              label={`${DAY_NAMES[day]} range ${i + 1} start`}
              onChange={(v) => put(ranges.map((r, j) => (j === i ? [v, r[1]] : r)))}
            />
            –
            <TimeInput
              value={end}
              path={`${path}.${day}.${i}.1`}
              label={`${DAY_NAMES[day]} range ${i + 1} end`}
              onChange={(v) => put(ranges.map((r, j) => (j === i ? [r[0], v] : r)))}
            />
            <button
              type="button"
              class="icon"
              aria-label={`Remove ${DAY_NAMES[day]} range ${i + 1}`}
              onClick={() => put(ranges.filter((_, j) => j !== i))}
            >
              ×
            </button>
            <FieldError path={`${path}.${day}.${i}.0`} />
            <FieldError path={`${path}.${day}.${i}.1`} />
          </span>
        ))}
        <FieldError path={`${path}.${day}`} within />
      </div>
      <span class="day-tools">
        <button
          type="button"
          data-testid="add-range"
          onClick={() => put([...ranges, ranges.length === 0 ? ['09:00', '17:00'] : ['18:00', '20:00']])}
        >
          + Hours
        </button>
        <button type="button" data-testid="copy-to-all" title="Use these hours on every day" onClick={copyToAll}>
          Copy to all days
        </button>
      </span>
    </div>
  )
}

/**
 * Weekly opening hours, one row per day with any number of HH:MM ranges; `path` is the
 * dotted place of the week in the request body, where the node reports a bad range.
 */
export function WeekHours({ week, path, onChange }: { week: Week; path: string; onChange: (week: Week) => void }) {
  return (
    <div class="week">
      {WEEKDAYS.map((d) => (
        <DayRow
          key={d}
          day={d}
          ranges={week[d] ?? []}
          path={path}
          put={(next) =>
            onChange(
              Object.fromEntries(
                WEEKDAYS.flatMap((x) => {
                  const ranges = x === d ? next : week[x]
                  return ranges && ranges.length > 0 ? [[x, ranges]] : []
                }),
              ),
            )
          }
          copyToAll={() => onChange(Object.fromEntries(WEEKDAYS.map((x) => [x, (week[d] ?? []).map((r) => [...r])])))}
        />
      ))}
      <FieldError path={path} />
    </div>
  )
}
