/** Fewest shown invitations per variant before a comparison means anything. */
export const MIN_SAMPLE = 100

export interface VariantCounts {
  id: string
  shown: number
  opened: number
  replied: number
}

/** Standard normal CDF (Abramowitz–Stegun 26.2.17, |error| < 7.5e-8). */
function normalCdf(z: number): number {
  const t = 1 / (1 + 0.2316419 * Math.abs(z))
  const d = 0.3989423 * Math.exp((-z * z) / 2)
  const p = d * t * (0.3193815 + t * (-0.3565638 + t * (1.781478 + t * (-1.821256 + t * 1.330274))))
  return z > 0 ? 1 - p : p
}

/** Two-sided p-value of a two-proportion z-test. */
export function twoProportionP(x1: number, n1: number, x2: number, n2: number): number {
  if (n1 === 0 || n2 === 0) return 1
  const pooled = (x1 + x2) / (n1 + n2)
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
  if (se === 0) return 1
  const z = (x1 / n1 - x2 / n2) / se
  return 2 * (1 - normalCdf(Math.abs(z)))
}

/**
 * How much to trust the difference in open rate between the best variant and the others:
 * a plain sentence for the studio, never a verdict on too little data.
 */
export function confidenceNote(variants: readonly VariantCounts[], metric: 'opened' | 'replied'): string {
  if (variants.length < 2) return ''
  const thin = variants.filter((v) => v.shown < MIN_SAMPLE)
  if (thin.length > 0)
    return `Too early to compare: each variant needs at least ${MIN_SAMPLE} shown invitations (${thin.map((v) => `${v.id}: ${v.shown}`).join(', ')}).`
  const rate = (v: VariantCounts) => v[metric] / v.shown
  const sorted = [...variants].sort((a, b) => rate(b) - rate(a))
  const best = sorted[0]
  const next = sorted[1]
  if (!best || !next) return ''
  const p = twoProportionP(best[metric], best.shown, next[metric], next.shown)
  const what = metric === 'opened' ? 'open' : 'reply'
  if (p < 0.05)
    return `Variant ${best.id} has the best ${what} rate, ahead of ${next.id} with ${Math.round((1 - p) * 100)}% confidence (p = ${p.toFixed(3)}).`
  return `No clear winner on ${what} rate yet: ${best.id} leads ${next.id}, but the difference could be chance (p = ${p.toFixed(2)}).`
}
