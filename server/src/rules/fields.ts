/**
 * The visitor-state fields a campaign condition or template can name (PROTOCOL.md,
 * "Visitor state"). A name outside this catalogue is a campaign definition error.
 */

/**
 * `any` is the kind of `context.KEY`: the page sets it, so its value may be a string,
 * number, boolean or a list of those.
 */
export type FieldKind = 'string' | 'number' | 'boolean' | 'any'

export interface FieldSpec {
  readonly kind: FieldKind
  /**
   * A clock field's value is the seconds elapsed since a moment (a `Clock` fact), so it
   * grows with time: conditions on it change without any event.
   */
  readonly clock: boolean
  /**
   * Rough share of visitors for which a positive condition (eq, in, contains, gt...) on the
   * field holds: the matcher indexes each campaign by its most selective condition.
   */
  readonly selectivity: number
}

const field = (kind: FieldKind, selectivity: number, clock = false): FieldSpec => ({ kind, clock, selectivity })

/** Every fixed field name; `context.KEY` is matched by prefix in fieldSpec(). */
export const FIELDS: Readonly<Record<string, FieldSpec>> = {
  'page.url': field('string', 0.01),
  'page.title': field('string', 0.01),
  'page.seconds': field('number', 0.9, true),
  'page.views': field('number', 0.3),
  'visit.seconds': field('number', 0.9, true),
  'visit.pageViews': field('number', 0.3),
  'visit.referrer': field('string', 0.02),
  'visit.source': field('string', 0.01),
  'visitor.visits': field('number', 0.3),
  'visitor.returning': field('boolean', 0.5),
  'visitor.name': field('string', 0.01),
  'visitor.email': field('string', 0.01),
  'visitor.language': field('string', 0.1),
  'user.authenticated': field('boolean', 0.5),
  'geo.country': field('string', 0.1),
  'geo.city': field('string', 0.02),
  'geo.region': field('string', 0.05),
  'device.platform': field('string', 0.4),
  'device.os': field('string', 0.2),
  'device.browser': field('string', 0.2),
  'device.ua': field('string', 0.05),
  'utm.source': field('string', 0.05),
  'utm.medium': field('string', 0.05),
  'utm.campaign': field('string', 0.01),
  'utm.term': field('string', 0.01),
  'utm.content': field('string', 0.01),
  'widget.open': field('boolean', 0.5),
  'widget.secondsSinceClosed': field('number', 0.9, true),
  'chat.history': field('number', 0.3),
  'chat.rating': field('string', 0.3),
  'chat.secondsWithoutReply': field('number', 0.9, true),
  'invitations.sent': field('number', 0.3),
  'invitations.secondsSinceLast': field('number', 0.9, true),
  'exit.seconds': field('number', 0.3),
  'team.online': field('boolean', 0.5),
  /** Extension: an online operator has a free chat slot (TeamCapacity). */
  'team.available': field('boolean', 0.5),
  /** Extension: the embed's `data-widget` (hello.widget) of the visitor's current tab; "default" without one. */
  'widget.id': field('string', 0.3),
}

export const CONTEXT_PREFIX = 'context.'
/** Longest custom context key (matches the frame parser's context key limit). */
export const MAX_CONTEXT_KEY_LENGTH = 64

const CONTEXT_FIELD: FieldSpec = field('any', 0.02)

/** The spec of a field name, or undefined when the name is not a visitor-state field. */
export function fieldSpec(name: string): FieldSpec | undefined {
  if (Object.hasOwn(FIELDS, name)) return FIELDS[name]
  if (name.startsWith(CONTEXT_PREFIX)) {
    const key = name.length - CONTEXT_PREFIX.length
    if (key >= 1 && key <= MAX_CONTEXT_KEY_LENGTH) return CONTEXT_FIELD
  }
  return undefined
}
