import type { OperatorsFrame, TeamMember } from '../../../shared/src/protocol.js'
import type { OperatorSession } from './operator_session.js'
import type { TeamCapacity } from './team_capacity.js'
import type { TeamPresence } from './team_presence.js'

/**
 * Tells this node's operator consoles who of their site is online, with display names,
 * departments and chat counts (`operators` frames): for transfers and for names instead of
 * ids. Changes are coalesced per site over `intervalMs`; an unchanged list is not resent.
 */
export class TeamRoster {
  private readonly timers = new Map<string, NodeJS.Timeout>()
  private readonly sent = new Map<string, string>()

  constructor(
    private readonly presence: TeamPresence,
    private readonly capacity: TeamCapacity,
    private readonly sessions: (site: string) => Iterable<OperatorSession>,
    private readonly departments: (site: string) => string[],
    private readonly intervalMs: number,
  ) {
    presence.watch((site) => this.changed(site))
    capacity.watch((site) => this.changed(site))
  }

  /** The current list to one console (after it authenticated). */
  sendTo(session: OperatorSession): void {
    session.send(this.frame(session.operator.site))
  }

  private frame(site: string): OperatorsFrame {
    const chats = this.capacity.chats(site)
    const list = this.presence.online(site).map((op): TeamMember => {
      const member: TeamMember = {
        id: op.id,
        departments: op.departments,
        seesAll: op.seesAll,
        chats: chats.get(op.id) ?? 0,
        maxChats: op.maxChats,
      }
      if (op.displayName !== undefined) member.displayName = op.displayName
      if (op.avatar !== undefined) member.avatar = op.avatar
      return member
    })
    return { t: 'operators', list, departments: this.departments(site) }
  }

  private changed(site: string): void {
    if (this.timers.has(site)) return
    const timer = setTimeout(() => {
      this.timers.delete(site)
      this.flush(site)
    }, this.intervalMs)
    timer.unref()
    this.timers.set(site, timer)
  }

  private flush(site: string): void {
    const ready = [...this.sessions(site)].filter((s) => s.ready)
    if (ready.length === 0) {
      this.sent.delete(site)
      return
    }
    const frame = this.frame(site)
    const json = JSON.stringify(frame)
    if (this.sent.get(site) === json) return
    this.sent.set(site, json)
    for (const session of ready) session.send(frame)
  }

  close(): void {
    for (const timer of this.timers.values()) clearTimeout(timer)
    this.timers.clear()
  }
}
