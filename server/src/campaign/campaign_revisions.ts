import type { Campaign } from '../rules/campaign.js'
import type { Store } from '../store/store.js'

/** One saved version of a campaign: `campaign` null records a delete. */
export interface CampaignRevision {
  at: string
  /** The operator JWT `sub` that saved it, or "admin". */
  author: string
  campaign: Campaign | null
}

interface StoredRevision extends CampaignRevision {
  /** 1, 2, 3… per campaign: orders revisions and picks their slot. */
  n: number
}

/** Lost compare-and-set races in a row after which record() gives up. */
const MAX_ATTEMPTS = 20

/**
 * The last `keep` saved versions of every campaign, durable and cluster-wide (bucket
 * `revisions`). A ring of `keep` slots per campaign, key `SITE.ID.SLOT`: revision n goes to
 * slot n % keep by compare-and-set, so concurrent saves on different nodes each get their own
 * n and the oldest revision is overwritten in place (storage stays bounded per campaign).
 * Revisions outlive a deleted campaign, so a delete can be undone.
 */
export class CampaignRevisions {
  constructor(
    private readonly store: Store,
    private readonly keep: number,
  ) {}

  /** Records a save (or a delete, `campaign` null); resolves once durable. */
  async record(site: string, id: string, author: string, campaign: Campaign | null): Promise<void> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const slots = await this.store.list<StoredRevision>('revisions', `${site}.${id}.`)
      const n = slots.reduce((max, e) => Math.max(max, e.value.n), 0) + 1
      const key = `${site}.${id}.${n % this.keep}`
      const revision: StoredRevision = { n, at: new Date().toISOString(), author, campaign }
      const current = slots.find((e) => e.key === key)
      const written = current
        ? await this.store.update('revisions', key, revision, current.revision)
        : await this.store.create('revisions', key, revision)
      if (written !== false) return
    }
    throw new Error(`campaign ${site}.${id}: revision not recorded, too many concurrent saves`)
  }

  /** Newest first, at most `keep`. */
  async list(site: string, id: string): Promise<CampaignRevision[]> {
    const slots = await this.store.list<StoredRevision>('revisions', `${site}.${id}.`)
    return slots
      .map((e) => e.value)
      .sort((a, b) => b.n - a.n)
      .slice(0, this.keep)
      .map(({ at, author, campaign }) => ({ at, author, campaign }))
  }
}
