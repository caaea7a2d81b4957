import './schedule_editor.css'
import type { Schedule } from '../../campaign/campaign_definition.js'
import { useConsole } from '../../state/console_context.js'
import { FieldError, useInvalid } from '../FieldError/field_error.js'
import { localZone, TimeZoneSelect } from '../TimeZoneSelect/time_zone_select.js'
import { WeekHours } from '../WeekHours/week_hours.js'

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
          <TimeZoneSelect
            value={schedule.tz ?? 'UTC'}
            path="schedule.tz"
            testid="schedule-tz"
            onChange={(zone) => studio.set(['schedule', 'tz'], zone)}
          />
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
            <WeekHours
              week={schedule.week ?? {}}
              path="schedule.week"
              onChange={(week) => studio.set(['schedule', 'week'], week)}
            />
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
