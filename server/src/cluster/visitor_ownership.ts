import type { Store } from '../store/store.js'
import type { NodeLiveness } from './node_liveness.js'

interface Lease {
  node: string
}

export class OwnershipError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'OwnershipError'
  }
}

/**
 * One node owns each live visitor (bucket `owners`, key `SITE.VISITOR`): it alone holds the
 * visitor's state, runs its matcher and writes its profile, so tabs on any node share one
 * state and once-per-visitor rules hold cluster-wide. A lease is taken by create or by
 * compare-and-set from a dead node, and released when the visitor leaves its owner.
 */
export class VisitorOwnership {
  constructor(
    private readonly store: Store,
    private readonly liveness: NodeLiveness,
  ) {}

  /** The visitor's owner, becoming it when there is none or the owner is dead. */
  async acquire(site: string, visitor: string): Promise<string> {
    const key = `${site}.${visitor}`
    const self = this.liveness.nodeId
    for (let attempt = 0; attempt < 5; attempt++) {
      const entry = await this.store.get<Lease>('owners', key)
      if (!entry) {
        if ((await this.store.create<Lease>('owners', key, { node: self })) !== false) return self
        continue
      }
      if (entry.value.node === self || (await this.liveness.isAlive(entry.value.node))) return entry.value.node
      if ((await this.store.update<Lease>('owners', key, { node: self }, entry.revision)) !== false) return self
    }
    throw new OwnershipError(`ownership of ${key} contended`)
  }

  /** The node holding the visitor's lease, if any (alive or not). */
  async owner(site: string, visitor: string): Promise<string | undefined> {
    return (await this.store.get<Lease>('owners', `${site}.${visitor}`))?.value.node
  }

  /** Gives up this node's lease (the visitor left); another node's lease is left alone. */
  async release(site: string, visitor: string): Promise<void> {
    const key = `${site}.${visitor}`
    const entry = await this.store.get<Lease>('owners', key)
    if (entry?.value.node === this.liveness.nodeId) await this.store.delete('owners', key)
  }
}
