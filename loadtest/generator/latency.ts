/** Percentiles of one latency series, in milliseconds. */
export interface LatencySummary {
  count: number
  min: number
  p50: number
  p95: number
  p99: number
  max: number
  mean: number
}

/**
 * Records latency samples (ms) and reports exact percentiles (nearest rank). Samples are kept,
 * not bucketed: a load run records at most a few hundred thousand, and exact ranks let the
 * series of several generator processes be merged without error.
 */
export class LatencyRecorder {
  private samples: number[] = []

  record(ms: number): void {
    this.samples.push(ms)
  }

  get count(): number {
    return this.samples.length
  }

  /** Raw samples, for merging recorders across processes. */
  values(): readonly number[] {
    return this.samples
  }

  merge(values: readonly number[]): void {
    for (const v of values) this.samples.push(v)
  }

  /** Undefined when nothing was recorded. */
  summary(): LatencySummary | undefined {
    const n = this.samples.length
    if (n === 0) return undefined
    const sorted = Float64Array.from(this.samples).sort()
    const rank = (p: number): number => sorted[Math.min(n - 1, Math.max(0, Math.ceil((p / 100) * n) - 1))] as number
    let sum = 0
    for (const v of sorted) sum += v
    return {
      count: n,
      min: sorted[0] as number,
      p50: rank(50),
      p95: rank(95),
      p99: rank(99),
      max: sorted[n - 1] as number,
      mean: sum / n,
    }
  }
}

/** `p50 12.3 ms, p99 45.6 ms (n=1000)` or `no samples`. */
export function formatLatency(s: LatencySummary | undefined): string {
  if (!s) return 'no samples'
  const ms = (v: number): string => `${v.toFixed(1)} ms`
  return `p50 ${ms(s.p50)}, p95 ${ms(s.p95)}, p99 ${ms(s.p99)}, max ${ms(s.max)} (n=${s.count})`
}
