import './studio_campaign_list.css'
import { useConsole } from '../../state/console_context.js'

/** The site's campaigns to pick from, each with an on/off switch and today's sent/opened. */
export function StudioCampaignList() {
  const studio = useConsole().studio
  const selected = studio.saved.value?.id
  const campaigns = [...studio.campaigns.value].sort(
    (a, b) =>
      Number(b.definition.enabled !== false) - Number(a.definition.enabled !== false) ||
      Number(b.definition.priority ?? 0) - Number(a.definition.priority ?? 0),
  )
  return (
    <nav class="card studio-campaign-list" aria-label="Campaigns" data-testid="studio-campaigns">
      <div class="head">
        <h2>Campaigns</h2>
        <button type="button" class="primary" data-testid="new-campaign" onClick={() => studio.create()}>
          + New
        </button>
      </div>
      {studio.listNote.value && <p class="note">{studio.listNote.value}</p>}
      <ul>
        {campaigns.map(({ definition: c, stats }) => {
          const id = String(c.id)
          const on = c.enabled !== false
          return (
            <li
              key={id}
              class={id === selected ? 'selected' : undefined}
              data-testid="studio-campaign"
              data-campaign-id={id}
            >
              <button
                type="button"
                class="pick"
                aria-current={id === selected ? 'true' : undefined}
                onClick={() => studio.select(id)}
              >
                <span class="name">{String(c.name ?? id)}</span>
                <span class="sub">{`${stats.sent} sent · ${stats.opened} opened today`}</span>
              </button>
              <label class="switch" title={on ? 'Enabled: click to turn off' : 'Disabled: click to turn on'}>
                <input
                  type="checkbox"
                  data-testid="toggle-enabled"
                  aria-label={`${String(c.name ?? id)} enabled`}
                  checked={on}
                  disabled={studio.busy.value}
                  onChange={(e) => void studio.setEnabled(id, e.currentTarget.checked)}
                />
                <span aria-hidden="true" />
              </label>
            </li>
          )
        })}
      </ul>
    </nav>
  )
}
