import { hostname } from 'node:os'
import { randomBytes } from 'node:crypto'
import { BlockList, isIP } from 'node:net'
import { CAMPAIGN_LIMIT_DEFAULTS } from './rules/campaign.js'
import { openFileLimit } from './open_file_limit.js'

/** Thrown by parseConfig() for an environment variable it cannot use. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`)
    this.name = 'ConfigError'
  }
}

/** Per-connection and per-request limits. Every field has an env var; defaults in LIMIT_DEFAULTS. */
export interface Limits {
  /** BECKON_MAX_FRAME_BYTES: largest accepted WebSocket frame; bigger closes with 1009 (over 4x: connection dropped). */
  maxFrameBytes: number
  /** BECKON_MAX_BODY_BYTES: largest accepted HTTP request body (413 beyond). */
  maxBodyBytes: number
  /** BECKON_EVENTS_PER_SECOND: sustained frames per second per socket (token bucket rate). */
  eventsPerSecond: number
  /** BECKON_EVENTS_BURST: token bucket size, frames allowed in a burst. */
  eventsBurst: number
  /** BECKON_MAX_VIOLATIONS: rate-limit or bad-frame strikes before a socket is closed with 4009. */
  maxViolations: number
  /** BECKON_MAX_CONNECTIONS_PER_IP: concurrent sockets per client IP (HTTP 429 beyond). */
  maxConnectionsPerIp: number
  /** BECKON_MAX_BACKPRESSURE_BYTES: unsent bytes queued for one socket before it is closed with 4010. */
  maxBackpressureBytes: number
  /** BECKON_HELLO_TIMEOUT_MS: time allowed for the first frame (`hello`/`auth`) before close 4008. */
  helloTimeoutMs: number
  /** BECKON_IDLE_TIMEOUT_SECONDS: silent sockets are pinged and closed after this (uWS idleTimeout). */
  idleTimeoutSeconds: number
  /** BECKON_MAX_TABS_PER_VISITOR: concurrent sockets (tabs) one visitor may hold; the oldest is closed. */
  maxTabsPerVisitor: number
  /** BECKON_MAX_TEXT_LENGTH: longest chat message, title or invitation text in characters. */
  maxTextLength: number
  /** BECKON_MAX_URL_LENGTH: longest page URL or referrer. */
  maxUrlLength: number
  /** BECKON_MAX_CONTEXT_KEYS: most keys in a visitor's merged custom context. */
  maxContextKeys: number
  /** BECKON_MAX_CONTEXT_BYTES: largest JSON size of a visitor's merged custom context. */
  maxContextBytes: number
  /** BECKON_MAX_TRACKED_URLS: distinct URLs counted for `page.views` per visit. */
  maxTrackedUrls: number
  /** BECKON_MAX_CAMPAIGN_DEPTH: deepest nesting of all/any/not groups in a campaign. */
  maxCampaignDepth: number
  /** BECKON_MAX_CAMPAIGN_CONDITIONS: most leaf conditions in one campaign. */
  maxCampaignConditions: number
  /** BECKON_MAX_CAMPAIGN_LIST_VALUES: most values in one in/not_in/contains_any list. */
  maxCampaignListValues: number
  /** BECKON_MAX_CAMPAIGN_RANGES_PER_DAY: most time ranges on one week day of a schedule. */
  maxCampaignRangesPerDay: number
  /** BECKON_MAX_CAMPAIGN_NAME_LENGTH: longest campaign name. */
  maxCampaignNameLength: number
  /** BECKON_MAX_HTTP_REQUESTS_PER_IP: HTTP requests in flight per client IP (429 beyond; /healthz, /readyz, /metrics exempt). */
  maxHttpRequestsPerIp: number
  /** BECKON_VIEW_DEFAULT_LIMIT: window size of a `watch` view without `limit`. */
  viewDefaultLimit: number
  /** BECKON_VIEW_MAX_LIMIT: largest window a `watch` view may ask for. */
  viewMaxLimit: number
  /** BECKON_TYPING_PER_SECOND: `typing` frames relayed per socket per second (burst 2: an `on` and its `off`); excess is dropped silently. */
  typingPerSecond: number
}

export const LIMIT_DEFAULTS: Limits = {
  maxFrameBytes: 16 * 1024,
  maxBodyBytes: 256 * 1024,
  eventsPerSecond: 20,
  eventsBurst: 40,
  maxViolations: 20,
  maxConnectionsPerIp: 100,
  maxBackpressureBytes: 1024 * 1024,
  helloTimeoutMs: 10_000,
  idleTimeoutSeconds: 120,
  maxTabsPerVisitor: 20,
  maxTextLength: 4000,
  maxUrlLength: 2048,
  maxContextKeys: 50,
  maxContextBytes: 4096,
  maxTrackedUrls: 200,
  maxCampaignDepth: CAMPAIGN_LIMIT_DEFAULTS.maxDepth,
  maxCampaignConditions: CAMPAIGN_LIMIT_DEFAULTS.maxConditions,
  maxCampaignListValues: CAMPAIGN_LIMIT_DEFAULTS.maxListValues,
  maxCampaignRangesPerDay: CAMPAIGN_LIMIT_DEFAULTS.maxRangesPerDay,
  maxCampaignNameLength: CAMPAIGN_LIMIT_DEFAULTS.maxNameLength,
  maxHttpRequestsPerIp: 16,
  viewDefaultLimit: 200,
  viewMaxLimit: 1000,
  typingPerSecond: 1,
}

const LIMIT_ENV: Record<keyof Limits, string> = {
  maxFrameBytes: 'BECKON_MAX_FRAME_BYTES',
  maxBodyBytes: 'BECKON_MAX_BODY_BYTES',
  eventsPerSecond: 'BECKON_EVENTS_PER_SECOND',
  eventsBurst: 'BECKON_EVENTS_BURST',
  maxViolations: 'BECKON_MAX_VIOLATIONS',
  maxConnectionsPerIp: 'BECKON_MAX_CONNECTIONS_PER_IP',
  maxBackpressureBytes: 'BECKON_MAX_BACKPRESSURE_BYTES',
  helloTimeoutMs: 'BECKON_HELLO_TIMEOUT_MS',
  idleTimeoutSeconds: 'BECKON_IDLE_TIMEOUT_SECONDS',
  maxTabsPerVisitor: 'BECKON_MAX_TABS_PER_VISITOR',
  maxTextLength: 'BECKON_MAX_TEXT_LENGTH',
  maxUrlLength: 'BECKON_MAX_URL_LENGTH',
  maxContextKeys: 'BECKON_MAX_CONTEXT_KEYS',
  maxContextBytes: 'BECKON_MAX_CONTEXT_BYTES',
  maxTrackedUrls: 'BECKON_MAX_TRACKED_URLS',
  maxCampaignDepth: 'BECKON_MAX_CAMPAIGN_DEPTH',
  maxCampaignConditions: 'BECKON_MAX_CAMPAIGN_CONDITIONS',
  maxCampaignListValues: 'BECKON_MAX_CAMPAIGN_LIST_VALUES',
  maxCampaignRangesPerDay: 'BECKON_MAX_CAMPAIGN_RANGES_PER_DAY',
  maxCampaignNameLength: 'BECKON_MAX_CAMPAIGN_NAME_LENGTH',
  maxHttpRequestsPerIp: 'BECKON_MAX_HTTP_REQUESTS_PER_IP',
  viewDefaultLimit: 'BECKON_VIEW_DEFAULT_LIMIT',
  viewMaxLimit: 'BECKON_VIEW_MAX_LIMIT',
  typingPerSecond: 'BECKON_TYPING_PER_SECOND',
}

export interface HistoryConfig {
  /** BECKON_HISTORY_MAX_WORDS (2000): distinct words of a closed conversation indexed for `q`. */
  maxWords: number
  /** BECKON_HISTORY_PAGE_SIZE (25): conversations per page of `GET /v1/sites/SITE/conversations` without `limit`. */
  pageSize: number
  /** BECKON_HISTORY_MAX_PAGE_SIZE (200): the largest `limit` accepted. */
  maxPageSize: number
}

/** The visitor timeline (server/src/visitor/visitor_timeline.ts): what it keeps per visitor. */
export interface TimelineConfig {
  /** BECKON_TIMELINE_VISITS (20): a visitor's latest visits kept in its timeline (older ones are deleted). */
  visits: number
  /** BECKON_TIMELINE_PAGES_PER_VISIT (200): page views listed per visit; later ones are only counted. */
  pagesPerVisit: number
  /** BECKON_TIMELINE_INVITATIONS_PER_VISIT (50): invitations listed per visit; later ones are only counted. */
  invitationsPerVisit: number
  /** BECKON_TIMELINE_RETENTION_DAYS (90; 0 keeps forever): a visit not written for this long is deleted. */
  retentionDays: number
  /**
   * BECKON_TIMELINE_SAVE_SECONDS (60): a visit's page views and invitations reach the store at
   * most this often while it goes on (a new visit and its last tab leaving are written at once);
   * a node killed -9 loses at most that much of the timeline, and a visitor live on another node
   * shows up to that much behind.
   */
  saveSeconds: number
}

export interface Config {
  /** BECKON_HOST (0.0.0.0). */
  host: string
  /** BECKON_PORT (8080); 0 picks a free port. */
  port: number
  /** BECKON_ADMIN_TOKEN: bearer token of the admin routes; unset switches them off. */
  adminToken: string | undefined
  /** BECKON_NATS_URL: unset runs one node with an in-process bus and an embedded store. */
  natsUrl: string | undefined
  /** BECKON_NATS_REPLICAS (1): replicas of the JetStream buckets and log stream (3 in a 3-node NATS cluster). */
  natsReplicas: number
  /** BECKON_DATA_DIR (./data): where the embedded store lives. */
  dataDir: string
  /** BECKON_TRUSTED_PROXIES: CIDR list whose X-Forwarded-For is believed. */
  trustedProxies: BlockList
  /** BECKON_VISIT_GAP_SECONDS (1800): a visit ends after this long without a connected tab. */
  visitGapSeconds: number
  /**
   * BECKON_SAVE_DELAY_SECONDS (10): page views and context changes reach the store at most this
   * often per visitor (a crash loses at most that much navigation); visits, identity, ratings,
   * fired campaigns and the last tab leaving are written at once.
   */
  saveDelaySeconds: number
  /** BECKON_LINGER_SECONDS (10): a visitor with no tab stays listed this long (page reloads). */
  lingerSeconds: number
  /** BECKON_DRAIN_SECONDS (10): on SIGTERM, how long to wait for sockets to close before exiting. */
  drainSeconds: number
  /** BECKON_NODE_ID (hostname-random): this node's name in logs, metrics and the cluster. */
  nodeId: string
  /** BECKON_FEED_INTERVAL_MS (100): visitor-list changes are coalesced and pushed to operators this often. */
  feedIntervalMs: number
  /** BECKON_REFRESH_SECONDS (10): nodes republish visitors and presence this often; silent for 3x means gone. */
  refreshSeconds: number
  /** BECKON_SNAPSHOT_TIMEOUT_MS (1000): a site's first watch on a node waits this long at most for the other nodes' visitors. */
  snapshotTimeoutMs: number
  /** BECKON_ACCEPT_TIMEOUT_SECONDS (30): an offered chat not accepted in this time goes to the next operator. */
  acceptTimeoutSeconds: number
  /** BECKON_REPLAY_MESSAGES (100): chat messages replayed to a reconnecting visitor or operator. */
  replayMessages: number
  /** BECKON_LOG_LEVEL (info). */
  logLevel: string
  /** BECKON_STATIC_DIR (web/): widget bundle, operator console and demo site. */
  staticDir: string
  /**
   * BECKON_INVITATION_TTL_SECONDS (120): a pending invitation (neither opened nor dismissed) is
   * re-delivered to the visitor's new tabs this long, then frees the slot for the next campaign.
   */
  invitationTtlSeconds: number
  /** BECKON_OPERATOR_MAX_CHATS (5): an operator's max concurrent chats until it sets its own (operator settings). */
  operatorMaxChats: number
  /** BECKON_OPERATOR_MAX_CHATS_LIMIT (20): the highest max concurrent chats an operator may set for itself. */
  operatorMaxChatsLimit: number
  /** BECKON_CAMPAIGN_REVISIONS (50): saved versions kept per campaign (oldest dropped). */
  campaignRevisions: number
  /** BECKON_MAX_STATS_DAYS (92): longest range of one campaign stats series request. */
  maxStatsDays: number
  limits: Limits
  /** BECKON_MAX_OPERATOR_TOKEN_SECONDS (86400): longest operator token lifetime accepted (exp - iat and exp - now). */
  maxOperatorTokenSeconds: number
  /**
   * BECKON_CLUSTER_ACK_TIMEOUT_MS (3000): a site or campaign PUT/DELETE, a secret rotation or a
   * session revocation waits at most this long for every live node to apply it before answering.
   */
  clusterAckTimeoutMs: number
  /** BECKON_STATS_FLUSH_MS (1000): campaign counters are batched and shared with other nodes this often (stats lag). */
  statsFlushMs: number
  /** Conversation history (server/src/chat/conversation_search.ts). */
  history: HistoryConfig
  /** Visitor timeline. */
  timeline: TimelineConfig
  /**
   * BECKON_FD_RESERVE (128): file descriptors kept free of visitor sockets for HTTP (health,
   * metrics, admin), store files, NATS and logs; operator sockets may use half of it.
   */
  fdReserve: number
  /**
   * BECKON_MAX_SOCKETS (soft open-file limit minus BECKON_FD_RESERVE; unlimited when the limit
   * is): visitor sockets this node holds. Upgrades beyond get HTTP 503 `node_full`; operator
   * sockets may go BECKON_FD_RESERVE/2 beyond it.
   */
  maxSockets: number
  /** BECKON_SERVE_SOURCE_MAPS (false): also serve the bundles' source maps (/dist/*.js.map, full sources). */
  serveSourceMaps: boolean
  /** BECKON_PROFILE_RETENTION_DAYS (90; 0 keeps forever): a visitor profile not seen for this long is deleted. */
  profileRetentionDays: number
  /**
   * BECKON_CONVERSATION_RETENTION_DAYS (365; 0 keeps forever): a conversation not written for
   * this long is deleted, and chat messages older than this.
   */
  conversationRetentionDays: number
  /**
   * BECKON_NEW_VISITORS_PER_IP_PER_MINUTE (600): new visitor profiles one client IP may create
   * per minute. Beyond, a tokenless hello is still served (the widget works, campaigns run) but
   * that visitor is ephemeral: its profile is never stored.
   */
  newVisitorsPerIpPerMinute: number
  /**
   * BECKON_TEAM_NOTIFY_MS (1000): visitor tabs get a `team {online, available}` frame at most
   * this often per site (changes in between are coalesced into the latest state).
   */
  teamNotifyMs: number
  /** Webhook delivery (server/src/webhook/), one setting per field. */
  webhooks: WebhookConfig
  /**
   * BECKON_CHAT_IDLE_CLOSE_MINUTES (30; 0 = off; fractions allowed, e.g. 0.05 = 3 s for tests):
   * an open chat whose visitor has had no connected tab for this long closes itself with a
   * system note (server/src/chat/idle_closer.ts).
   */
  chatIdleCloseMinutes: number
  /** BECKON_MAX_CANNED_RESPONSES (500): canned responses one site keeps (a new one beyond: 409). */
  maxCannedResponses: number
  /** BECKON_MAX_CANNED_TITLE_LENGTH (120): longest canned response title; its text is bounded by BECKON_MAX_TEXT_LENGTH. */
  maxCannedTitleLength: number
}

export interface WebhookConfig {
  /** BECKON_WEBHOOK_MAX_ATTEMPTS (10): deliveries tried per event before it is dropped (logged). */
  maxAttempts: number
  /** BECKON_WEBHOOK_BASE_DELAY_MS (1000): wait after the first failure; doubles per attempt. */
  baseDelayMs: number
  /** BECKON_WEBHOOK_MAX_DELAY_MS (3600000): cap of the doubling wait between attempts. */
  maxDelayMs: number
  /** BECKON_WEBHOOK_TIMEOUT_MS (10000): a receiver slower than this to answer counts as failed. */
  timeoutMs: number
  /** BECKON_WEBHOOK_POLL_MS (1000): how often each node looks for due events in the outbox. */
  pollMs: number
  /** BECKON_WEBHOOK_LEASE_MS (30000): a node claiming an event holds it this long; a crashed node's claim lapses after. */
  leaseMs: number
}

type Env = Record<string, string | undefined>

function int(env: Env, name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(name, `expected a whole number, got ${JSON.stringify(raw)}`)
  const value = Number(raw)
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`)
  return value
}

/** Parses a comma-separated CIDR (or bare address) list into a BlockList. */
export function parseCidrList(name: string, raw: string | undefined): BlockList {
  const list = new BlockList()
  for (const item of (raw ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [address = '', prefixText] = item.split('/')
    const family = isIP(address)
    if (family === 0) throw new ConfigError(name, `not an IP address: ${JSON.stringify(item)}`)
    const type = family === 4 ? 'ipv4' : 'ipv6'
    if (prefixText === undefined) {
      list.addAddress(address, type)
      continue
    }
    const prefix = Number(prefixText)
    if (!/^\d+$/.test(prefixText) || prefix > (family === 4 ? 32 : 128)) {
      throw new ConfigError(name, `bad prefix length in ${JSON.stringify(item)}`)
    }
    list.addSubnet(address, prefix, type)
  }
  return list
}

/** A non-negative decimal such as `30` or `0.05`. */
function decimal(env: Env, name: string, fallback: number, max: number): number {
  const raw = env[name]
  if (raw === undefined || raw.trim() === '') return fallback
  if (!/^\d+(\.\d+)?$/.test(raw.trim()))
    throw new ConfigError(name, `expected a number such as 30 or 0.5, got ${JSON.stringify(raw)}`)
  const value = Number(raw)
  if (value > max) throw new ConfigError(name, `must be at most ${max}, got ${value}`)
  return value
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = (env[name] ?? '').trim().toLowerCase()
  if (raw === '') return fallback
  if (raw === 'true' || raw === '1') return true
  if (raw === 'false' || raw === '0') return false
  throw new ConfigError(name, `expected true or false, got ${JSON.stringify(env[name])}`)
}

/** `openFiles`: the process's soft open-file limit (openFileLimit()), from which BECKON_MAX_SOCKETS defaults. */
export function parseConfig(env: Env = process.env, openFiles = openFileLimit()): Config {
  const limits = { ...LIMIT_DEFAULTS }
  for (const key of Object.keys(LIMIT_ENV) as Array<keyof Limits>) {
    limits[key] = int(env, LIMIT_ENV[key], LIMIT_DEFAULTS[key], 1)
  }
  if (limits.viewDefaultLimit > limits.viewMaxLimit) {
    throw new ConfigError('BECKON_VIEW_DEFAULT_LIMIT', 'must be at most BECKON_VIEW_MAX_LIMIT')
  }
  if (limits.eventsBurst < limits.eventsPerSecond) {
    throw new ConfigError('BECKON_EVENTS_BURST', 'must be at least BECKON_EVENTS_PER_SECOND')
  }
  const operatorMaxChats = int(env, 'BECKON_OPERATOR_MAX_CHATS', 5, 1, 1000)
  const operatorMaxChatsLimit = int(env, 'BECKON_OPERATOR_MAX_CHATS_LIMIT', 20, 1, 1000)
  if (operatorMaxChats > operatorMaxChatsLimit) {
    throw new ConfigError('BECKON_OPERATOR_MAX_CHATS', 'must be at most BECKON_OPERATOR_MAX_CHATS_LIMIT')
  }
  const adminToken = env.BECKON_ADMIN_TOKEN || undefined
  if (adminToken !== undefined && adminToken.length < 16) {
    throw new ConfigError('BECKON_ADMIN_TOKEN', 'must be at least 16 characters')
  }
  const fdReserve = int(env, 'BECKON_FD_RESERVE', 128, 0)
  const derivedMaxSockets = openFiles === undefined ? Number.MAX_SAFE_INTEGER : Math.max(1, openFiles - fdReserve)
  return {
    fdReserve,
    maxSockets: int(env, 'BECKON_MAX_SOCKETS', derivedMaxSockets, 1),
    serveSourceMaps: bool(env, 'BECKON_SERVE_SOURCE_MAPS', false),
    profileRetentionDays: int(env, 'BECKON_PROFILE_RETENTION_DAYS', 90, 0, 36_500),
    conversationRetentionDays: int(env, 'BECKON_CONVERSATION_RETENTION_DAYS', 365, 0, 36_500),
    newVisitorsPerIpPerMinute: int(env, 'BECKON_NEW_VISITORS_PER_IP_PER_MINUTE', 600, 1),
    teamNotifyMs: int(env, 'BECKON_TEAM_NOTIFY_MS', 1000, 0, 600_000),
    webhooks: {
      maxAttempts: int(env, 'BECKON_WEBHOOK_MAX_ATTEMPTS', 10, 1, 100),
      baseDelayMs: int(env, 'BECKON_WEBHOOK_BASE_DELAY_MS', 1000, 1),
      maxDelayMs: int(env, 'BECKON_WEBHOOK_MAX_DELAY_MS', 3_600_000, 1),
      timeoutMs: int(env, 'BECKON_WEBHOOK_TIMEOUT_MS', 10_000, 1),
      pollMs: int(env, 'BECKON_WEBHOOK_POLL_MS', 1000, 10),
      leaseMs: int(env, 'BECKON_WEBHOOK_LEASE_MS', 30_000, 100),
    },
    host: env.BECKON_HOST || '0.0.0.0',
    port: int(env, 'BECKON_PORT', 8080, 0, 65535),
    adminToken,
    natsUrl: env.BECKON_NATS_URL || undefined,
    natsReplicas: int(env, 'BECKON_NATS_REPLICAS', 1, 1, 5),
    dataDir: env.BECKON_DATA_DIR || './data',
    trustedProxies: parseCidrList('BECKON_TRUSTED_PROXIES', env.BECKON_TRUSTED_PROXIES),
    visitGapSeconds: int(env, 'BECKON_VISIT_GAP_SECONDS', 1800, 1),
    lingerSeconds: int(env, 'BECKON_LINGER_SECONDS', 10, 0),
    saveDelaySeconds: int(env, 'BECKON_SAVE_DELAY_SECONDS', 10, 0, 3600),
    drainSeconds: int(env, 'BECKON_DRAIN_SECONDS', 10, 0),
    feedIntervalMs: int(env, 'BECKON_FEED_INTERVAL_MS', 100, 1),
    refreshSeconds: int(env, 'BECKON_REFRESH_SECONDS', 10, 1),
    snapshotTimeoutMs: int(env, 'BECKON_SNAPSHOT_TIMEOUT_MS', 1000, 1, 60_000),
    acceptTimeoutSeconds: int(env, 'BECKON_ACCEPT_TIMEOUT_SECONDS', 30, 1),
    replayMessages: int(env, 'BECKON_REPLAY_MESSAGES', 100, 0, 10_000),
    nodeId: env.BECKON_NODE_ID || `${hostname()}-${randomBytes(3).toString('hex')}`,
    logLevel: env.BECKON_LOG_LEVEL || 'info',
    staticDir: env.BECKON_STATIC_DIR || 'web',
    invitationTtlSeconds: int(env, 'BECKON_INVITATION_TTL_SECONDS', 120, 1, 86_400),
    operatorMaxChats,
    operatorMaxChatsLimit,
    campaignRevisions: int(env, 'BECKON_CAMPAIGN_REVISIONS', 50, 1, 1000),
    maxStatsDays: int(env, 'BECKON_MAX_STATS_DAYS', 92, 1, 3660),
    limits,
    maxOperatorTokenSeconds: int(env, 'BECKON_MAX_OPERATOR_TOKEN_SECONDS', 86_400, 60),
    clusterAckTimeoutMs: int(env, 'BECKON_CLUSTER_ACK_TIMEOUT_MS', 3000, 1),
    statsFlushMs: int(env, 'BECKON_STATS_FLUSH_MS', 1000, 10),
    chatIdleCloseMinutes: decimal(env, 'BECKON_CHAT_IDLE_CLOSE_MINUTES', 30, 525_600),
    maxCannedResponses: int(env, 'BECKON_MAX_CANNED_RESPONSES', 500, 1, 100_000),
    maxCannedTitleLength: int(env, 'BECKON_MAX_CANNED_TITLE_LENGTH', 120, 1, 1000),
    history: parseHistoryConfig(env),
    timeline: {
      visits: int(env, 'BECKON_TIMELINE_VISITS', 20, 1, 1000),
      pagesPerVisit: int(env, 'BECKON_TIMELINE_PAGES_PER_VISIT', 200, 1, 10_000),
      invitationsPerVisit: int(env, 'BECKON_TIMELINE_INVITATIONS_PER_VISIT', 50, 1, 1000),
      retentionDays: int(env, 'BECKON_TIMELINE_RETENTION_DAYS', 90, 0, 36_500),
      saveSeconds: int(env, 'BECKON_TIMELINE_SAVE_SECONDS', 60, 0, 3600),
    },
  }
}

function parseHistoryConfig(env: Env): HistoryConfig {
  const history = {
    maxWords: int(env, 'BECKON_HISTORY_MAX_WORDS', 2000, 1, 100_000),
    pageSize: int(env, 'BECKON_HISTORY_PAGE_SIZE', 25, 1, 10_000),
    maxPageSize: int(env, 'BECKON_HISTORY_MAX_PAGE_SIZE', 200, 1, 10_000),
  }
  if (history.pageSize > history.maxPageSize) {
    throw new ConfigError('BECKON_HISTORY_PAGE_SIZE', 'must be at most BECKON_HISTORY_MAX_PAGE_SIZE')
  }
  return history
}
