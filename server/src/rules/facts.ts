/**
 * Facts: a visitor's state as the rule engine reads it, keyed by field name
 * (see fields.ts). The visitor hub builds them; the engine never does I/O.
 */

export type Scalar = string | number | boolean
/** null = absent. An empty string, an empty list and NaN count as absent too. */
export type FactValue = Scalar | Scalar[] | null

/**
 * The value of a clock field (fields.ts) at time t (epoch ms) is (t - since) / 1000 seconds.
 * Times are integer epoch milliseconds throughout the engine.
 */
export interface Clock {
  since: number
}

/** Clock fields carry a Clock, or null while not running / never happened; other fields a FactValue. */
export type Facts = ReadonlyMap<string, FactValue | Clock>

export function isClock(value: FactValue | Clock | undefined): value is Clock {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
