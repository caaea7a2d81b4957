/**
 * Wall-clock arithmetic in an IANA time zone through Intl (no tz database of our own),
 * correct across DST changes. A "wall" time is the local date and time encoded as if it
 * were UTC epoch ms (Date.UTC of the local fields), which makes day and minute arithmetic
 * on local time plain integer arithmetic.
 */
export class TimeZone {
  private static readonly zones = new Map<string, TimeZone>()

  private constructor(
    readonly name: string,
    private readonly format: Intl.DateTimeFormat,
  ) {}

  /** The zone called `name`; throws RangeError when Intl does not know it. */
  static get(name: string): TimeZone {
    let zone = TimeZone.zones.get(name)
    if (!zone) {
      const format = new Intl.DateTimeFormat('en-US', {
        timeZone: name,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      })
      zone = new TimeZone(name, format)
      TimeZone.zones.set(name, zone)
    }
    return zone
  }

  static isValid(name: string): boolean {
    try {
      TimeZone.get(name)
      return true
    } catch {
      return false
    }
  }

  /** The wall time at instant t. */
  wall(t: number): number {
    const f = { year: 0, month: 1, day: 1, hour: 0, minute: 0, second: 0 }
    for (const part of this.format.formatToParts(t)) {
      if (part.type in f) f[part.type as keyof typeof f] = Number(part.value)
    }
    const ms = ((t % 1000) + 1000) % 1000
    return Date.UTC(f.year, f.month - 1, f.day, f.hour, f.minute, f.second) + ms
  }

  /** UTC offset in ms at instant t (wall - instant). */
  offset(t: number): number {
    return this.wall(t) - t
  }

  /**
   * The instant whose wall time is `wall`. A wall time that occurs twice (DST end) gives one
   * of the two; one skipped by a DST jump gives an instant within the jump's size of it.
   */
  instant(wall: number): number {
    const guess = wall - this.offset(wall)
    return wall - this.offset(guess)
  }

  /**
   * The first instant in (from, to] where the UTC offset differs from the one at `from`, or
   * undefined when it is the same at `to`. Assumes at most one change in between, true for
   * spans of days (schedules look at most 8 days ahead).
   */
  offsetChange(from: number, to: number): number | undefined {
    const base = this.offset(from)
    if (this.offset(to) === base) return undefined
    let lo = from
    let hi = to
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2)
      if (this.offset(mid) === base) lo = mid
      else hi = mid
    }
    return hi
  }
}
