import './schedule_editor.css'
import type { Schedule, TimeRange, Weekday } from '../../campaign/campaign_definition.js'
import { useConsole } from '../../state/console_context.js'
import { FieldError, useInvalid } from '../FieldError/field_error.js'

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

let zones: string[] | undefined
/** Every IANA zone the browser knows, UTC first. */
function timeZones(): string[] {
  if (!zones) {
    const list = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : []
    zones = ['UTC', ...list.filter((z) => z !== 'UTC')]
  }
  return zones
}

const localZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC'

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

function DayRow({ day, ranges }: { day: Weekday; ranges: TimeRange[] }) {
  const studio = useConsole().studio
  const path = ['schedule', 'week', day]
  const put = (next: TimeRange[]) => studio.set(path, next.length > 0 ? next : undefined)
  return (
    <div class="day" data-testid="schedule-day" data-day={day}>
      <span class="day-name">{DAY_NAMES[day]}</span>
      <div class="ranges">
        {ranges.length === 0 && <span class="closed">closed</span>}
        {ranges.map(([start, end], i) => (
          <span class="range" key={i}>
            <TimeInput
              value={start}
              path={`schedule.week.${day}.${i}.0`}
              label={`${DAY_NAMES[day]} range ${i + 1} start`}
              onChange={(v) => put(ranges.map((r, j) => (j === i ? [v, r[1]] : r)))}
            />
            –
            <TimeInput
              value={end}
              path={`schedule.week.${day}.${i}.1`}
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
            <FieldError path={`schedule.week.${day}.${i}.0`} />
            <FieldError path={`schedule.week.${day}.${i}.1`} />
          </span>
        ))}
        <FieldError path={`schedule.week.${day}`} within />
      </div>
      <span class="day-tools">
        <button
          type="button"
          data-testid="add-range"
          onClick={() => put([...ranges, ranges.length === 0 ? ['09:00', '17:00'] : ['18:00', '20:00']])}
        >
          + Hours
        </button>
        <button
          type="button"
          data-testid="copy-to-all"
          title="Use these hours on every day"
          onClick={() =>
            studio.set(['schedule', 'week'], Object.fromEntries(WEEKDAYS.map((d) => [d, ranges.map((r) => [...r])])))
          }
        >
          Copy to all days
        </button>
      </span>
    </div>
  )
}

/** When a campaign may fire: a time zone, weekly hours (inside/outside/any) and a from/until window. */
export function ScheduleEditor() {
  const studio = useConsole().studio
  const schedule = studio.get(['schedule']) as Schedule | undefined
  const hours = schedule?.hours ?? 'any'
  return (
    <section class="schedule-editor" aria-labelledby="schedule-title">
      <h3 id="schedule-title">Schedule</h3>
      <label class="check">
        <input
          type="checkbox"
          data-testid="schedule-enabled"
          checked={schedule !== undefined}
          onChange={(e) =>
            studio.set(['schedule'], e.currentTarget.checked ? { tz: localZone(), hours: 'any', week: {} } : undefined)
          }
        />
        Only at certain times
      </label>
      {schedule && (
        <div class="schedule-body">
          <label class="stack">
            Time zone
            <select
              data-testid="schedule-tz"
              value={schedule.tz ?? 'UTC'}
              {...useInvalid('schedule.tz')}
              onChange={(e) => studio.set(['schedule', 'tz'], e.currentTarget.value)}
            >
              {timeZones().map((z) => (
                <option key={z} value={z}>
                  {z.replace(/_/g, ' ')}
                </option>
              ))}
            </select>
            <FieldError path="schedule.tz" />
          </label>
          <fieldset class="hours" data-testid="schedule-hours">
            <legend>Weekly hours</legend>
            {(
              [
                ['any', 'Any time'],
                ['inside', 'Only inside these hours'],
                ['outside', 'Only outside these hours'],
              ] as const
            ).map(([value, label]) => (
              <label class="check" key={value}>
                <input
                  type="radio"
                  name="schedule-hours"
                  value={value}
                  data-testid={`hours-${value}`}
                  checked={hours === value}
                  onChange={() => studio.set(['schedule', 'hours'], value)}
                />
                {label}
              </label>
            ))}
          </fieldset>
          {hours !== 'any' && (
            <div class="week">
              {WEEKDAYS.map((d) => (
                <DayRow key={d} day={d} ranges={schedule.week?.[d] ?? []} />
              ))}
              <FieldError path="schedule.week" />
            </div>
          )}
          <div class="window">
            {(['from', 'until'] as const).map((key) => (
              <label class="stack" key={key}>
                {key === 'from' ? 'Starts' : 'Ends'}
                <input
                  type="datetime-local"
                  data-testid={`schedule-${key}`}
                  value={(schedule[key] ?? '').slice(0, 16)}
                  {...useInvalid(`schedule.${key}`)}
                  onInput={(e) => studio.set(['schedule', key], e.currentTarget.value || undefined)}
                />
                <FieldError path={`schedule.${key}`} />
              </label>
            ))}
            <p class="note">Dates and hours are read in the time zone above.</p>
          </div>
        </div>
      )}
      <FieldError path="schedule" />
    </section>
  )
}
