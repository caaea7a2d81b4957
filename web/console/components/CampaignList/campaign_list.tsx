import './campaign_list.css'
import { STAT_KEYS, type StatKey } from '../../state/campaign_list_store.js'
import { useConsole } from '../../state/console_context.js'

export const STAT_LABELS: Record<StatKey, string> = {
  eligibleNow: 'Eligible now',
  sent: 'Sent',
  shown: 'Shown',
  opened: 'Opened',
  dismissed: 'Dismissed',
  replied: 'Replied',
  clicked: 'Clicked',
}

/** The site's campaigns with today's live counters, enabled and higher priority first. */
export function CampaignList() {
  const { campaigns } = useConsole()
  const rows = campaigns.rows.value
  const sorted = [...(rows ?? [])].sort((a, b) => Number(b.enabled) - Number(a.enabled) || b.priority - a.priority)
  return (
    <section class="card campaigns" data-testid="campaigns">
      <h2>Campaigns</h2>
      <p class="note" data-testid="campaigns-status">
        {campaigns.status.value}
      </p>
      {sorted.length > 0 && (
        <table class="grid">
          <thead>
            <tr>
              <th scope="col">Campaign</th>
              {['Priority', ...STAT_KEYS.map((k) => STAT_LABELS[k])].map((h) => (
                <th key={h} scope="col" class="num">
                  {h}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {sorted.map((c) => (
              <tr
                key={c.id}
                data-testid="campaign-row"
                data-campaign-id={c.id}
                class={c.enabled ? undefined : 'disabled'}
              >
                <td title={c.id}>
                  <strong>{c.name}</strong>
                  {!c.enabled && <span class="tag">off</span>}
                </td>
                <td class="num">{String(c.priority)}</td>
                {STAT_KEYS.map((k) => (
                  <td key={k} class="num" data-stat={k}>
                    {c.stats ? String(c.stats[k]) : '—'}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  )
}
