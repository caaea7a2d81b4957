import type { VisitorSummary } from '../../../shared/src/protocol.js'

const pad = (n: number): string => String(n).padStart(2, '0')

/** Elapsed time as `m:ss` or `h:mm:ss`; negative input (clock skew) shows as 0:00. */
export function duration(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000))
  const h = Math.floor(total / 3600)
  const m = Math.floor((total % 3600) / 60)
  const s = total % 60
  return h > 0 ? `${h}:${pad(m)}:${pad(s)}` : `${m}:${pad(s)}`
}

/** Wall-clock time of an epoch-ms instant, `HH:MM`. */
export function clock(at: number): string {
  const d = new Date(at)
  return `${pad(d.getHours())}:${pad(d.getMinutes())}`
}

/** Date and time of an epoch-ms instant in the operator's locale (`Dec 8, 2026, 2:05 PM`). */
export function dateTime(at: number): string {
  return new Date(at).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })
}

/** A visitor as operators name it: its name, else `#` and the start of its id. */
export function visitorLabel(v: Pick<VisitorSummary, 'id' | 'name'> | undefined, id: string): string {
  return v?.name || `#${id.slice(0, 6)}`
}

/** A URL without its scheme (host, path, query, fragment); the input when it is no URL. */
export function shortUrl(url: string): string {
  return url.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '')
}

/** The host of a URL, for compact referrer cells; the input when it is no URL. */
export function host(url: string): string {
  try {
    return new URL(url).host || url
  } catch {
    return url
  }
}

/** Where a visit came from, as a short label: the referrer's host without `www.`, or `direct`. */
export function referrerLabel(referrer: string | undefined): string {
  return referrer ? host(referrer).replace(/^www\./, '') : 'direct'
}

/** Joins the present parts with a separator; `—` when none is present. */
export function joined(parts: Array<string | undefined>, separator = ' / '): string {
  const present = parts.filter((p): p is string => Boolean(p))
  return present.length > 0 ? present.join(separator) : '—'
}
