import type { CampaignMemory, FiredTimes, IdSet } from '../rules/visitor_matcher.js'
import { recordWith, type VisitorProfile, type VisitRecord } from '../visitor/visitor_profile.js'

/** A profile's list of campaign ids used as a set: the list itself, not a copy. */
class ListSet implements IdSet {
  constructor(private readonly list: string[]) {}

  has(id: string): boolean {
    return this.list.includes(id)
  }

  add(id: string): void {
    if (!this.list.includes(id)) this.list.push(id)
  }
}

class ProfileFiredTimes implements FiredTimes {
  constructor(private readonly profile: VisitorProfile) {}

  get(id: string): number | undefined {
    return this.profile.lastFiredAt[id]
  }

  set(id: string, at: number): void {
    this.profile.lastFiredAt = recordWith(this.profile.lastFiredAt, id, at)
  }
}

/**
 * A visitor's campaign memory read from and written to its profile and current visit: what
 * the matcher records when a campaign fires is what the profile stores, and an idle visitor
 * holds no Set or Map copies of it (a few hundred bytes each).
 */
export function profileMemory(profile: VisitorProfile, visit: VisitRecord): CampaignMemory {
  return {
    firedEver: new ListSet(profile.firedEver),
    firedThisVisit: new ListSet(visit.firedThisVisit),
    lastFiredAt: new ProfileFiredTimes(profile),
  }
}
