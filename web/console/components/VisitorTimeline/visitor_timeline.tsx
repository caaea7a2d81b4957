import './visitor_timeline.css'
import { useEffect } from 'preact/hooks'
import type { VisitorSummary } from '../../../../shared/src/protocol.js'
import { useConsole } from '../../state/console_context.js'
import { CampaignsFired } from '../CampaignsFired/campaigns_fired.js'
import { PreviousChats } from '../PreviousChats/previous_chats.js'
import { VisitList } from '../VisitList/visit_list.js'

/**
 * What the selected visitor did before now: its visits with their pages, the campaigns that
 * fired for it and its previous chats. Reloaded when it views a page, is invited or leaves.
 */
export function VisitorTimeline({ visitor, left }: { visitor: VisitorSummary; left: boolean }) {
  const store = useConsole()
  const timeline = store.timeline
  useEffect(() => {
    void timeline.load(visitor.id)
  }, [visitor.id, visitor.visits, visitor.pageViews, visitor.invitations, visitor.tabs, left])
  const loaded = timeline.timeline.value
  const mine = loaded?.visitor === visitor.id ? loaded : undefined
  const visits = mine?.visits ?? []
  return (
    <div class="visitor-timeline" data-testid="visitor-timeline">
      {mine?.error && (
        <p class="error" role="alert" data-testid="timeline-error">
          {mine.error}
        </p>
      )}
      <VisitList visits={visits} current={left ? undefined : visitor.visits} />
      <CampaignsFired visits={visits} />
      <PreviousChats visitor={visitor.id} />
    </div>
  )
}
