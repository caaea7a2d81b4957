import './campaigns_fired.css'
import type { TimelineVisit } from '../../state/timeline_store.js'
import { useConsole } from '../../state/console_context.js'
import { dateTime } from '../../state/format.js'

/** Every invitation the listed visits were shown, newest first: the campaign's name, or the operator who invited. */
export function CampaignsFired({ visits }: { visits: readonly TimelineVisit[] }) {
  const store = useConsole()
  const fired = visits.flatMap((visit) => visit.invitations.map((invitation) => ({ visit: visit.n, invitation })))
  fired.sort((a, b) => b.invitation.at - a.invitation.at)
  const unlisted = visits.reduce((sum, v) => sum + v.invitationCount - v.invitations.length, 0)
  return (
    <section class="campaigns-fired" aria-labelledby="campaigns-fired-heading">
      <h3 id="campaigns-fired-heading">Campaigns fired</h3>
      {fired.length === 0 ? (
        <p class="placeholder">No invitation shown in these visits.</p>
      ) : (
        <ol>
          {fired.map(({ visit, invitation: i }) => (
            <li key={i.id} data-testid="campaign-fired">
              <span class="name" data-testid="campaign-fired-name">
                {i.campaign !== undefined
                  ? (i.campaignName ?? i.campaign)
                  : `Manual invitation${i.operator ? ` by ${store.operatorLabel(i.operator)}` : ''}`}
              </span>
              <span class="meta">{`${dateTime(i.at)} · visit ${visit}`}</span>
              <span class="text" title={i.text}>
                {i.text}
              </span>
            </li>
          ))}
        </ol>
      )}
      {unlisted > 0 && <p class="meta">{`and ${unlisted} more not listed`}</p>}
    </section>
  )
}
