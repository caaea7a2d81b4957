import './app.css'
import type { ConsoleStore } from '../../state/console_store.js'
import { ConsoleContext } from '../../state/console_context.js'
import { CampaignList } from '../CampaignList/campaign_list.js'
import { CannedResponses } from '../CannedResponses/canned_responses.js'
import { CampaignStudio } from '../CampaignStudio/campaign_studio.js'
import { ChatPanel } from '../ChatPanel/chat_panel.js'
import { ErrorBanner } from '../ErrorBanner/error_banner.js'
import { SiteSettings } from '../SiteSettings/site_settings.js'
import { OperatorSettings } from '../OperatorSettings/operator_settings.js'
import { HistoryView } from '../HistoryView/history_view.js'
import { TokenForm } from '../TokenForm/token_form.js'
import { TopBar } from '../TopBar/top_bar.js'
import { VisitorDetail } from '../VisitorDetail/visitor_detail.js'
import { VisitorList } from '../VisitorList/visitor_list.js'

/** The live view: visitors, the selected one, campaigns and chats. */
function LiveView() {
  return (
    <main class="layout">
      <div class="main-col">
        <VisitorList />
        <VisitorDetail />
        <CampaignList />
      </div>
      <ChatPanel />
    </main>
  )
}

const VIEWS = {
  studio: CampaignStudio,
  history: HistoryView,
  settings: SiteSettings,
  canned: CannedResponses,
  live: LiveView,
}

/** The console page: top bar, then the live view, the campaign studio, the history, site settings or canned responses. */
export function App({ store }: { store: ConsoleStore }) {
  const View = VIEWS[store.view.value]
  return (
    <ConsoleContext.Provider value={store}>
      <TopBar />
      <ErrorBanner />
      <TokenForm />
      <OperatorSettings />
      <View />
    </ConsoleContext.Provider>
  )
}
