import './campaign_stats.css'
import { confidenceNote, type VariantCounts } from '../../campaign/ab_confidence.js'
import { useConsole } from '../../state/console_context.js'
import { StatsChart } from '../StatsChart/stats_chart.js'

const pct = (part: number, whole: number): string => (whole > 0 ? `${Math.round((part / whole) * 1000) / 10}%` : '–')

const STEPS = [
  ['sent', 'Sent'],
  ['shown', 'Shown'],
  ['opened', 'Opened'],
  ['replied', 'Replied'],
] as const

/** Today's funnel sent → shown → opened → replied, a chart of the last 24 h or 7 d, and A/B results. */
export function CampaignStats() {
  const studio = useConsole().studio
  const totals = studio.totals.value
  const series = studio.series.value
  const range = studio.range.value
  const note = studio.statsNote.value
  // Every defined variant is listed, those nobody got yet with zeros.
  const defined = ((studio.saved.value?.message as { variants?: Array<{ id?: unknown }> } | undefined)?.variants ?? [])
    .map((v) => String(v.id ?? ''))
    .filter((id) => id !== '')
  const counted = totals?.variants ?? {}
  const variants: VariantCounts[] = [...new Set([...defined, ...Object.keys(counted)])].map((id) => ({
    id,
    shown: counted[id]?.shown ?? 0,
    opened: counted[id]?.opened ?? 0,
    replied: counted[id]?.replied ?? 0,
  }))
  return (
    <section class="card campaign-stats" data-testid="campaign-stats" aria-labelledby="stats-title">
      <h2 id="stats-title">Results today</h2>
      <ol class="funnel" data-testid="funnel">
        {STEPS.map(([key, label], i) => {
          const value = totals?.[key] ?? 0
          const previous = i > 0 ? (totals?.[STEPS[i - 1]?.[0] ?? 'sent'] ?? 0) : undefined
          return (
            <li key={key} data-stat={key}>
              <span class="label">{label}</span>
              <strong class="value">{totals ? String(value) : '–'}</strong>
              <span class="rate">{previous === undefined ? ' ' : pct(value, previous)}</span>
              <span class="bar" style={{ width: pct(value, totals?.sent ?? 0).replace('–', '0%') }} />
            </li>
          )
        })}
      </ol>
      <p class="note">
        {totals
          ? `${totals.clicked} button clicks · ${totals.dismissed} dismissed · ${totals.eligibleNow} eligible now`
          : ''}
      </p>
      <fieldset class="range">
        <legend class="sr-only">Chart range</legend>
        {(['24h', '7d'] as const).map((r) => (
          <button
            key={r}
            type="button"
            data-testid={`range-${r}`}
            aria-pressed={range === r}
            onClick={() => studio.setRange(r)}
          >
            {r === '24h' ? 'Last 24 hours' : 'Last 7 days'}
          </button>
        ))}
      </fieldset>
      <StatsChart series={series} label={`Invitations over the ${range === '24h' ? 'last 24 hours' : 'last 7 days'}`} />
      {note && <p class="note">{note}</p>}
      {variants.length > 0 && (
        <>
          <div class="variants-scroll">
            <table class="grid variants-table" data-testid="variant-stats">
              <thead>
                <tr>
                  <th scope="col">Variant</th>
                  <th scope="col" class="num">
                    Shown
                  </th>
                  <th scope="col" class="num">
                    Open rate
                  </th>
                  <th scope="col" class="num">
                    Reply rate
                  </th>
                </tr>
              </thead>
              <tbody>
                {variants.map((v) => (
                  <tr key={v.id} data-variant-id={v.id}>
                    <td>{v.id}</td>
                    <td class="num">{String(v.shown)}</td>
                    <td class="num">{pct(v.opened, v.shown)}</td>
                    <td class="num">{pct(v.replied, v.shown)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <p class="note" data-testid="confidence-note">
            {[...new Set([confidenceNote(variants, 'opened'), confidenceNote(variants, 'replied')])].join(' ')}
          </p>
        </>
      )}
    </section>
  )
}
