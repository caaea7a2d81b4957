import type { Schedule } from './campaign.js'
import { TimeZone } from './time_zone.js'

const DAY = 86_400_000
const MINUTE = 60_000
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(Z|[+-]\d{2}:\d{2})?$/

/**
 * Reads a schedule `from`/`until` bound as an instant (epoch ms), or undefined when it is not
 * a valid ISO date or date-time. A date-only bound is the start of that day in `tz`, or with
 * `endOfDay` the start of the next one (so `until: "2025-01-31"` includes the 31st); a
 * date-time without offset is a wall time in `tz`.
 */
export function parseScheduleInstant(text: string, tz: string, endOfDay: boolean): number | undefined {
  const date = DATE.exec(text)
  const m = date ?? DATE_TIME.exec(text)
  if (!m) return undefined
  const [y, mo, d, h = 0, mi = 0, s = 0] = m.slice(1, 7).map((part) => Number(part ?? 0))
  const ms = Number(`${m[7] ?? ''}000`.slice(0, 3))
  const wall = Date.UTC(y ?? 0, (mo ?? 1) - 1, d, h, mi, s, ms)
  const check = new Date(wall)
  if (
    check.getUTCFullYear() !== y ||
    check.getUTCMonth() !== (mo ?? 1) - 1 ||
    check.getUTCDate() !== d ||
    check.getUTCHours() !== h
  ) {
    return undefined
  }
  if (date) return TimeZone.get(tz).instant(wall + (endOfDay ? DAY : 0))
  const offset = m[8]
  if (offset === undefined) return TimeZone.get(tz).instant(wall)
  if (offset === 'Z') return wall
  const sign = offset.startsWith('-') ? -1 : 1
  return wall - sign * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(4, 6))) * MINUTE
}

export interface WindowState {
  open: boolean
  /** The earliest instant after which `open` may differ; Infinity when it never changes again. */
  until: number
}

/**
 * A campaign schedule compiled for fast checks. Shared by every visitor of a site, so it
 * caches its last answer for the span it stays valid: the Intl lookups run about once per
 * schedule boundary, not once per visitor event.
 */
export class ScheduleWindow {
  private readonly zone: TimeZone
  private readonly from: number
  private readonly until: number
  /** Per week day, Monday first: [start, end) in minutes after local midnight. */
  private readonly ranges: Array<Array<[number, number]>>
  private cached: (WindowState & { since: number }) | undefined

  constructor(private readonly schedule: Schedule) {
    this.zone = TimeZone.get(schedule.tz)
    this.from =
      schedule.from === undefined ? -Infinity : (parseScheduleInstant(schedule.from, schedule.tz, false) ?? -Infinity)
    this.until =
      schedule.until === undefined ? Infinity : (parseScheduleInstant(schedule.until, schedule.tz, true) ?? Infinity)
    const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5))
    this.ranges = (['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const).map((day) =>
      (schedule.week[day] ?? []).map(([start, end]): [number, number] => [minutes(start), minutes(end)]),
    )
  }

  /** Whether the window is open at `now`, and until when that answer holds. */
  state(now: number): WindowState {
    const cached = this.cached
    if (cached && cached.since <= now && now < cached.until) return cached
    this.cached = this.compute(now)
    return this.cached
  }

  /**
   * The state at `now` with the whole span it holds for, [since, until): visitors' events
   * arrive with slightly different clocks, so the cache must serve times on both sides of
   * the one it was computed for.
   */
  private compute(now: number): WindowState & { since: number } {
    if (now < this.from) return { open: false, since: -Infinity, until: this.from }
    if (now >= this.until) return { open: false, since: this.until, until: Infinity }
    if (this.schedule.hours === 'any') return { open: true, since: this.from, until: this.until }
    const wall = this.zone.wall(now)
    const offset = wall - now
    const dayStart = Math.floor(wall / DAY) * DAY
    const weekday = (new Date(dayStart).getUTCDay() + 6) % 7
    const minute = (wall - dayStart) / MINUTE
    const inside = (this.ranges[weekday] ?? []).some(([start, end]) => minute >= start && minute < end)
    // The range boundaries around now in local time, looking up to a week either way.
    let next = Infinity
    let previous = -Infinity
    for (let k = -7; k <= 7; k++) {
      for (const range of this.ranges[(((weekday + k) % 7) + 7) % 7] ?? []) {
        for (const boundary of range) {
          const at = dayStart + k * DAY + boundary * MINUTE
          if (at > wall && at < next) next = at
          if (at <= wall && at > previous) previous = at
        }
      }
    }
    // Exact while the UTC offset stays; a DST change in between bounds the span instead (the
    // wall clock jumps there, so the state is computed again from the new wall time).
    let until = next - offset
    if (until !== Infinity) until = this.zone.offsetChange(now, until) ?? until
    let since = previous - offset
    if (since !== -Infinity) since = Math.max(since, this.zone.offsetChange(since, now) ?? since)
    return {
      open: (this.schedule.hours === 'inside') === inside,
      since: Math.max(since, this.from),
      until: Math.min(until, this.until),
    }
  }
}
