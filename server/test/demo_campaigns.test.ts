import t from 'tap'
import { DEMO_CAMPAIGNS } from '../src/demo_campaigns.js'
import { parseCampaign } from '../src/rules/campaign.js'

t.test('the demo campaigns of make run and make cluster are valid definitions', async (t) => {
  for (const campaign of DEMO_CAMPAIGNS) t.equal(parseCampaign(campaign).id, campaign.id)
})
