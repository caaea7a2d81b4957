/**
 * beckon wire protocol v1: frame shapes, codes and subprotocol names shared by the
 * server, the widget, the operator console and the load generators.
 * The contract is ../spec/PROTOCOL.md; docs/PROTOCOL.md explains it in full.
 * Types only and constants: validation lives in frame_parser.ts so the widget bundle stays small.
 */

export const SUBPROTOCOL = {
  json: 'beckon.v1.json',
  msgpack: 'beckon.v1.msgpack',
} as const
export type Subprotocol = (typeof SUBPROTOCOL)[keyof typeof SUBPROTOCOL]

/** Codes carried by `error` frames: the request failed, the socket stays open. */
export const ERROR_CODE = {
  badFrame: 'bad_frame',
  unknownType: 'unknown_type',
  rateLimited: 'rate_limited',
  tokenInvalid: 'token_invalid',
  userHashInvalid: 'user_hash_invalid',
  notFound: 'not_found',
  forbidden: 'forbidden',
  conflict: 'conflict',
  internal: 'internal',
} as const
export type ErrorCode = (typeof ERROR_CODE)[keyof typeof ERROR_CODE]

/**
 * WebSocket close codes. A client reconnects (with jittered backoff) on every code
 * except those marked final, which mean reconnecting with the same input cannot help.
 */
export const CLOSE_CODE = {
  /** Normal close initiated by either side. */
  normal: 1000,
  /** Frame larger than `BECKON_MAX_FRAME_BYTES`. Final. */
  tooLarge: 1009,
  /** Node is draining (shutdown or restart): reconnect, preferably elsewhere. */
  serviceRestart: 1012,
  /** Protocol violation: undecodable frame, or a frame before/instead of `hello`/`auth`. Final. */
  protocolError: 4000,
  /** Operator `auth` failed or timed out. Final. */
  unauthorized: 4001,
  /** Site unknown. Final. */
  siteUnknown: 4004,
  /** The first frame did not arrive within `BECKON_HELLO_TIMEOUT_MS`. */
  helloTimeout: 4008,
  /** Sustained flooding: more than `BECKON_MAX_VIOLATIONS` rate-limit or bad-frame strikes. Final. */
  policyViolation: 4009,
  /** Send buffer above `BECKON_MAX_BACKPRESSURE_BYTES`: the client is too slow to keep up. */
  backpressure: 4010,
  /** A newer tab of the same visitor took this socket's place (BECKON_MAX_TABS_PER_VISITOR). Final. */
  replaced: 4011,
} as const
export type CloseCode = (typeof CLOSE_CODE)[keyof typeof CLOSE_CODE]

export interface PageInfo {
  url: string
  title: string
  referrer?: string
}

export interface UserInfo {
  id: string
  hash: string
  name?: string
  email?: string
}

/** `clicked` (extension): the visitor used one of the invitation's buttons. */
export type InvitationAction = 'shown' | 'opened' | 'dismissed' | 'clicked'
export type Rating = 'great' | 'average' | 'poor'
/** `offline` (extension): a message left through the offline form, waiting in the console's Offline queue. */
export type ChatState = 'open' | 'assigned' | 'closed' | 'offline'
export type JsonObject = Record<string, unknown>

// Visitor → server
export interface HelloFrame {
  t: 'hello'
  visitor?: string
  token?: string
  lang?: string
  tz?: string
  page: PageInfo
  user?: UserInfo
  context?: JsonObject
  /** Extension: true when the same page instance reconnects, so the page is not counted again. */
  reconnect?: boolean
  /** Extension: the embed's `data-widget`, the campaign field `widget.id` ("default" when absent). */
  widget?: string
}
export interface PageFrame extends PageInfo {
  t: 'page'
}
export interface ExitFrame {
  t: 'exit'
}
export interface WidgetFrame {
  t: 'widget'
  open: boolean
}
export interface ContextFrame {
  t: 'context'
  data: JsonObject
}
export interface InvitationFrame {
  t: 'inv'
  id: string
  action: InvitationAction
  /** Extension: with `clicked`, the index of the button in the invite's `buttons`. */
  button?: number
}
export interface VisitorMsgFrame {
  t: 'msg'
  text: string
  /** Extension: the client's id for this message, echoed as `ref` in an error refusing it and in the stored `msg`. */
  ref?: string
}
export interface RateFrame {
  t: 'rate'
  value: Rating
}
/** `identify` extends the contract: log a user in mid-session (same fields as hello.user). */
export interface IdentifyFrame {
  t: 'identify'
  user: UserInfo
}
/** `contact` extends the contract: details the visitor typed into an invitation's `collect` form. */
export interface ContactFrame {
  t: 'contact'
  name?: string
  email?: string
}
/** `offline` extends the contract: a message left through the widget's offline form (no operator available). */
export interface OfflineFrame {
  t: 'offline'
  name?: string
  email: string
  text: string
}
/** Extension: the visitor is typing into the chat (`on`) or stopped; relayed to the chat's operators. */
export interface VisitorTypingFrame {
  t: 'typing'
  on: boolean
}
export type VisitorFrame =
  | OfflineFrame
  | HelloFrame
  | PageFrame
  | ExitFrame
  | WidgetFrame
  | ContextFrame
  | InvitationFrame
  | VisitorMsgFrame
  | RateFrame
  | IdentifyFrame
  | ContactFrame
  | VisitorTypingFrame

// Server → visitor
export interface WelcomeFrame {
  t: 'welcome'
  visitor: string
  token: string
  visit: number
  resumed: boolean
  /** Extension: this socket's rate limit (BECKON_EVENTS_PER_SECOND / BECKON_EVENTS_BURST), so clients pace queued frames. */
  limits?: { eventsPerSecond: number; eventsBurst: number }
  /** Extension: whether an operator is online / available for a chat now (see TeamFrame). */
  team?: TeamState
}
export interface TeamState {
  online: boolean
  available: boolean
}
/** Extension: the site's team availability changed (coalesced per site, BECKON_TEAM_NOTIFY_MS). */
export interface TeamFrame extends TeamState {
  t: 'team'
}
/** Extension: the offline message was stored as conversation `conversation`. */
export interface OfflineAckFrame {
  t: 'offline'
  ok: true
  conversation: string
}
/** Extension: the `contact` details were stored as a lead on the visitor. */
export interface ContactAckFrame {
  t: 'contact'
  ok: true
}
export interface InviteFrame {
  t: 'invite'
  id: string
  campaign?: string
  operator?: string
  text: string
  followUp?: string
  collect?: Array<'name' | 'email'>
  startChat: boolean
  at: number
  /** **Extension**: the invitation was sent before (still pending) and is shown again in a new tab; not a new `sent`. */
  redelivered?: boolean
  /** Extension: the A/B variant of the campaign message this visitor gets. */
  variant?: string
  /** Extension: an image or GIF above the text. */
  media?: InviteMedia
  /** Extension: up to 3 buttons below the text. */
  buttons?: InviteButton[]
}
/** An invitation's image: `url` is https:// or a site-relative /path (checked when the campaign is saved). */
export interface InviteMedia {
  url: string
  alt: string
}
/** A link button opens `url` (https:// or /path) in a new tab; a reply button sends its label as a chat message. */
export type InviteButton = { label: string; url: string } | { label: string; reply: true }
export interface MsgFrame {
  t: 'msg'
  id: string
  conversation: string
  /** Extension `system`: a note the node itself wrote (an idle close); shown centred, never sent by a client. */
  from: 'operator' | 'visitor' | 'system'
  operator?: string
  text: string
  at: number
  /** Extension: the sender's `ref`, when its `msg` carried one. */
  ref?: string
  /** Extension, to visitors only: the sending operator's display name (operator settings), when it set one. */
  operatorName?: string
}
export interface ChatFrame {
  t: 'chat'
  conversation: string
  state: ChatState
  operator?: string
  /** Extension: the assigned operator took the chat (accepted, replied, or started it), rather than being offered it. */
  accepted?: boolean
  /** Extension: the operator who transferred this chat, while the transfer waits to be accepted. */
  transferredBy?: string
  /** Extension, to operators only: tags of the campaign whose invitation started the chat. */
  tags?: string[]
  /** Extension: the details an offline message was left with (state `offline`). */
  contact?: { name?: string; email: string }
  /** Extension: when the conversation began (ms since epoch); the console's queues sort by it. */
  createdAt?: number
  /** Extension, to visitors only: the assigned operator's display name and avatar URL (operator settings), when set. */
  operatorName?: string
  operatorAvatar?: string
  /** Extension: the invitation that started the chat (campaign or operator), its thread's first entry. */
  invitation?: ChatInvitation
  /** Extension: the visitor's rating of this chat. */
  rating?: Rating
  /** Extension, to operators only: the visitor's name and email when the chat began (or when rated). */
  visitorName?: string
  visitorEmail?: string
}
/** The invitation a chat answers: a campaign's (`campaign`, `campaignName`) or an operator's manual one (`operator`). */
export interface ChatInvitation {
  text: string
  at: number
  campaign?: string
  campaignName?: string
  operator?: string
}
/** Extension: an invitation a visit was shown, as the visitor timeline lists it. */
export interface TimelineInvitation extends ChatInvitation {
  id: string
}
/** Extension: one page view of a visit in the visitor timeline. */
export interface TimelinePage {
  url: string
  title?: string
  /** When the page was viewed (epoch ms). */
  at: number
  /** Time on the page, once its tab navigated away or closed (a reconnect to the page extends it). */
  ms?: number
}
/** Extension: one visit of `GET /v1/sites/SITE/visitors/VISITOR/timeline`. */
export interface TimelineVisit {
  /** The visit's number (`visitor.visits` when it was current). */
  n: number
  startedAt: number
  /** The last moment a tab of the visit was seen, as of the visit's last write. */
  endedAt: number
  referrer?: string
  /** The first page of the visit. */
  landing?: string
  /** Every page view of the visit, listed or not. */
  pageViews: number
  /** The first BECKON_TIMELINE_PAGES_PER_VISIT page views, in order. */
  pages: TimelinePage[]
  /** Every invitation the visit was shown, listed or not. */
  invitationCount: number
  /** The first BECKON_TIMELINE_INVITATIONS_PER_VISIT invitations, in order. */
  invitations: TimelineInvitation[]
}
export interface ErrorFrame {
  t: 'error'
  code: ErrorCode
  message: string
  ref?: string
}
/**
 * Extension: the other side of `conversation` is typing (`on`) or stopped. Operators get
 * `visitor` (its id), visitors get `operator` (the operator's id). Best effort: never stored,
 * never replayed; a receiver hides the indicator TYPING_SHOWN_MS after the last `on`.
 */
export interface TypingFrame {
  t: 'typing'
  conversation: string
  on: boolean
  visitor?: string
  operator?: string
}
export type ServerToVisitorFrame =
  | WelcomeFrame
  | InviteFrame
  | MsgFrame
  | ChatFrame
  | ErrorFrame
  | TypingFrame
  | TeamFrame
  | OfflineAckFrame
  | ContactAckFrame
  | TypingFrame

// Operator → server
export interface AuthFrame {
  t: 'auth'
  token: string
}
export interface WatchFrame {
  t: 'watch'
  site: string
  /** Extension (v1.1): a windowed, filtered, sorted list; parsed by the server (see docs/PROTOCOL.md). */
  view?: unknown
}
export interface OperatorInviteFrame {
  t: 'invite'
  visitor: string
  text: string
  startChat: boolean
  assignToMe: boolean
  skipBot: boolean
}
export interface OperatorMsgFrame {
  t: 'msg'
  conversation: string
  text: string
  /** Extension: the client's id for this message, echoed as `ref` in an error refusing it and in the stored `msg`. */
  ref?: string
}
export interface AcceptFrame {
  t: 'accept'
  conversation: string
}
export interface CloseFrame {
  t: 'close'
  conversation: string
}
/** Hands a chat to another operator (offered to them) or department (offered to its online operators). */
export interface TransferFrame {
  t: 'transfer'
  conversation: string
  to: { operator: string } | { department: string }
}
/** Extension: the operator is typing into `conversation` (`on`) or stopped; relayed to the visitor's tabs. */
export interface OperatorTypingFrame {
  t: 'typing'
  conversation: string
  on: boolean
}
export type OperatorFrame =
  | AuthFrame
  | WatchFrame
  | OperatorInviteFrame
  | OperatorMsgFrame
  | AcceptFrame
  | CloseFrame
  | TransferFrame
  | OperatorTypingFrame

/** What an operator sees of a live visitor (`visitors.list` items and `visitor` upserts). */
export interface VisitorSummary {
  id: string
  site: string
  departments: string[]
  name?: string
  email?: string
  authenticated: boolean
  page: PageInfo
  pageSince: number
  visitSince: number
  visits: number
  pageViews: number
  referrer?: string
  source?: string
  utm: Partial<Record<UtmKey, string>>
  geo: { country?: string; region?: string; city?: string }
  device: { platform: DevicePlatform; os?: string; browser?: string }
  language?: string
  widgetOpen: boolean
  tabs: number
  chat?: { conversation: string; state: ChatState; operator?: string }
  /** Extension: the visitor's last event (epoch ms), the sort key `last_activity`. */
  activeAt?: number
  /** Extension: invitations sent this visit (filter `invited`). */
  invitations?: number
}

export const UTM_KEYS = ['source', 'medium', 'campaign', 'term', 'content'] as const
export type UtmKey = (typeof UTM_KEYS)[number]
export type DevicePlatform = 'desktop' | 'mobile' | 'tablet'

// Server → operator
export interface VisitorsFrame {
  t: 'visitors'
  site: string
  list: VisitorSummary[]
  /** Visitors the operator's view matches (all its visible visitors without a view). */
  total?: number
  /** With a view: where `list` starts in the sorted matches, and the window size. */
  offset?: number
  limit?: number
}
/** Extension: a windowed view's order or count changed; `ids` is the window, in order. */
export interface WindowFrame {
  t: 'window'
  site: string
  total: number
  offset: number
  ids: string[]
}
export interface VisitorUpsertFrame extends VisitorSummary {
  t: 'visitor'
}
export interface GoneFrame {
  t: 'gone'
  visitor: string
}
/** Extends the contract: acknowledges `auth` with the operator's identity. */
export interface ReadyFrame {
  t: 'ready'
  operator: string
  site: string
  departments: string[]
}
/** Extension: an operator of the site online somewhere in the cluster, as colleagues see it. */
export interface TeamMember {
  id: string
  displayName?: string
  avatar?: string
  departments: string[]
  seesAll: boolean
  /** Assigned open chats (offered or accepted) and the operator's limit. */
  chats: number
  maxChats: number
}
/** Extension: the site's online operators (on auth and whenever the team or its chat counts change). */
export interface OperatorsFrame {
  t: 'operators'
  list: TeamMember[]
  /** The site's departments (transfer targets). */
  departments: string[]
}
export type ServerToOperatorFrame =
  | OperatorsFrame
  | ReadyFrame
  | VisitorsFrame
  | WindowFrame
  | VisitorUpsertFrame
  | GoneFrame
  | MsgFrame
  | ChatFrame
  | ErrorFrame
  | TypingFrame

/** Extension (v1.1): the sorts of `watch.view.sort.by` (docs/PROTOCOL.md, Windowed lists). */
export const VIEW_SORTS = ['last_activity', 'time_on_site', 'pages'] as const
export type ViewSort = (typeof VIEW_SORTS)[number]

/** Extension (v1.1): `watch.view.filter`, which visitors a view keeps; strings match case-insensitively. */
export interface ViewFilter {
  /** The current page URL contains this. */
  url?: string
  /** `geo.country`, ISO code. */
  country?: string
  department?: string
  returning?: boolean
  /** The visitor is in a chat (open, assigned) now. */
  chat?: boolean
  /** At least one invitation was sent this visit. */
  invited?: boolean
  /** Name, email or visitor id contains this. */
  q?: string
}
