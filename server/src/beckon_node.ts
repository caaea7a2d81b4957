import { join } from 'node:path'
import { CLOSE_CODE } from '../../shared/src/protocol.js'
import { JSON_CODEC, chooseSubprotocol, codecFor, type FrameCodec } from '../../shared/src/frame_codec.js'
import { createFrameParser } from '../../shared/src/frame_parser.js'
import type { Bus } from './bus/bus.js'
import { MemoryBus } from './bus/memory_bus.js'
import { NatsBus } from './bus/nats_bus.js'
import type { Config } from './config.js'
import { ConnectionRegistry } from './connection_registry.js'
import { AdminApi } from './http/admin_api.js'
import { Reply, copyRequest, statusLine, type RequestInfo } from './http/http_io.js'
import { StaticFiles } from './http/static_files.js'
import { IpQuota } from './http/ip_quota.js'
import { registerPrivacyRoutes } from './http/privacy_routes.js'
import { registerTimelineRoutes } from './http/timeline_routes.js'
import { registerSiteSettingsRoutes } from './http/site_settings_routes.js'
import { registerCannedRoutes } from './http/canned_routes.js'
import { CannedResponses } from './site/canned_responses.js'
import { registerOperatorSettingsRoutes } from './http/operator_settings_routes.js'
import { ChatRouter } from './chat/chat_router.js'
import { OperatorSettings, presenceOf } from './operator/operator_settings.js'
import { TeamRoster } from './operator/team_roster.js'
import { VisitorPrivacy } from './visitor/visitor_privacy.js'
import { createLogger, type Logger } from './logger.js'
import { Metrics } from './metrics.js'
import { originAllowed } from './site/site.js'
import { SiteRegistry } from './site/site_registry.js'
import type { SocketData, SocketSession } from './socket_session.js'
import { LmdbStore } from './store/lmdb_store.js'
import { NatsStore } from './store/nats_store.js'
import type { Store, StoreOptions } from './store/store.js'
import {
  uws,
  type HttpRequest,
  type HttpResponse,
  type us_listen_socket,
  type WebSocket,
  type WebSocketBehavior,
} from './uws.js'
import { clientIp, resolveClientInfo } from './visitor/client_info.js'
import { VisitorHub } from './visitor/visitor_hub.js'
import { VisitorSession } from './visitor/visitor_session.js'
import { VisitorHost, type VisitorFrameHandler } from './visitor/visitor_host.js'
import { NodeLiveness } from './cluster/node_liveness.js'
import { VisitorOwnership } from './cluster/visitor_ownership.js'
import { TabRelay } from './cluster/tab_relay.js'
import { OwnerRouter } from './cluster/owner_router.js'
import { ClusterAcks } from './cluster/cluster_acks.js'
import type { LiveVisitor } from './visitor/live_visitor.js'
import { VisitorFeed } from './operator/visitor_feed.js'
import { VisitorDirectory } from './operator/visitor_directory.js'
import { TeamCapacity } from './operator/team_capacity.js'
import { VisitorWatch } from './operator/visitor_watch.js'
import { TeamPresence } from './operator/team_presence.js'
import { OperatorHub } from './operator/operator_hub.js'
import { OperatorSession } from './operator/operator_session.js'
import { ChatService } from './chat/chat_service.js'
import { IdleCloser } from './chat/idle_closer.js'
import { ConversationSearch } from './chat/conversation_search.js'
import { registerConversationRoutes } from './http/conversation_routes.js'
import { TypingRelay } from './chat/typing_relay.js'
import { WebhookOutbox } from './webhook/webhook_outbox.js'
import { WebhookDispatcher } from './webhook/webhook_dispatcher.js'
import { CampaignRegistry } from './campaign/campaign_registry.js'
import { CampaignRevisions } from './campaign/campaign_revisions.js'
import { CampaignStats } from './campaign/campaign_stats.js'
import { CampaignRunner } from './campaign/campaign_runner.js'
import { registerCampaignRoutes } from './campaign/campaign_api.js'
import { CampaignPreview } from './campaign/campaign_preview.js'
import type { CampaignLimits } from './rules/campaign.js'
import type { ContactFrame, InviteFrame, TeamState } from '../../shared/src/protocol.js'
import { TeamNotifier } from './visitor/team_notifier.js'
import type { TabSink } from './visitor/live_visitor.js'
import { ERROR_CODE } from '../../shared/src/protocol.js'
import { FrameError } from '../../shared/src/frame_parser.js'

/** What an upgrade request tells, copied out of uWS's request before it is gone. */
interface UpgradeRequest {
  query: URLSearchParams
  origin: string
  peer: string
  forwardedFor: string
  userAgent: string
  acceptLanguage: string
  codec: FrameCodec
}

/** Whether a request announces a body (which must then be taken in before the handler returns). */
function hasBody(info: RequestInfo): boolean {
  const length = info.headers['content-length']
  return (length !== undefined && length !== '0') || info.headers['transfer-encoding'] !== undefined
}

/** The request's Content-Length, if it has a valid one. */
function announcedLength(info: RequestInfo): number | undefined {
  const length = info.headers['content-length']
  return length !== undefined && /^\d{1,15}$/.test(length) ? Number(length) : undefined
}

const DAY_MS = 86_400_000

/** Store retention from BECKON_PROFILE_RETENTION_DAYS, BECKON_CONVERSATION_RETENTION_DAYS and BECKON_TIMELINE_RETENTION_DAYS (0: none). */
function retentionOf(config: Config): StoreOptions['maxAgeMs'] {
  const maxAge: NonNullable<StoreOptions['maxAgeMs']> = {}
  if (config.profileRetentionDays > 0) maxAge.profiles = config.profileRetentionDays * DAY_MS
  if (config.conversationRetentionDays > 0) {
    maxAge.conversations = config.conversationRetentionDays * DAY_MS
    maxAge.logs = maxAge.conversations
  }
  if (config.timeline.retentionDays > 0) maxAge.timeline = config.timeline.retentionDays * DAY_MS
  return maxAge
}

/** A refused WebSocket upgrade, answered over HTTP with `{error:{code,message}}`. */
class UpgradeRefused extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

/**
 * One beckon edge node: an HTTP port with the visitor and operator WebSockets, the admin API,
 * health and metrics, static files (widget, console, demo). Without a NATS URL it runs alone
 * with a MemoryBus and an LmdbStore; with one it joins the cluster through NatsBus/NatsStore.
 */
export class BeckonNode {
  readonly metrics: Metrics
  readonly sites: SiteRegistry
  readonly hub: VisitorHub
  readonly admin: AdminApi
  readonly feed: VisitorFeed
  readonly directory: VisitorDirectory
  readonly presence: TeamPresence
  readonly operators: OperatorHub
  readonly chat: ChatService
  readonly idleCloser: IdleCloser
  readonly history: ConversationSearch
  readonly typing: TypingRelay
  readonly campaigns: CampaignRegistry
  readonly campaignStats: CampaignStats
  readonly runner: CampaignRunner
  private readonly capacity: TeamCapacity
  readonly operatorSettings: OperatorSettings
  private readonly roster: TeamRoster
  readonly preview: CampaignPreview
  readonly liveness: NodeLiveness
  readonly ownership: VisitorOwnership
  readonly relay: TabRelay
  readonly acks: ClusterAcks
  readonly privacy: VisitorPrivacy
  readonly webhooks: WebhookOutbox
  private readonly dispatcher: WebhookDispatcher
  private readonly teamNotifier: TeamNotifier
  private readonly router: OwnerRouter
  private readonly connections: ConnectionRegistry
  private readonly httpRequests: IpQuota
  private readonly parser
  private readonly files: StaticFiles
  private listenSocket: us_listen_socket | undefined
  private draining = false
  private stopped: Promise<void> | undefined
  port = 0

  private constructor(
    readonly config: Config,
    readonly log: Logger,
    readonly store: Store,
    readonly bus: Bus,
  ) {
    this.metrics = new Metrics(config.nodeId)
    this.metrics.maxSockets.set(config.maxSockets)
    this.metrics.measureStore(() => store.bytes())
    // Peers only exist in cluster mode: a single node's store may still hold a crashed run's heartbeat.
    this.acks = new ClusterAcks(
      config.nodeId,
      bus,
      async () => (config.natsUrl ? this.liveness.aliveNodes() : []),
      config.clusterAckTimeoutMs,
      log,
    )
    this.sites = new SiteRegistry(store, bus, this.acks, log)
    this.hub = new VisitorHub(store, config, log, this.metrics)
    this.admin = new AdminApi(
      config.adminToken,
      config.limits.maxBodyBytes,
      (id) => this.sites.get(id),
      log,
      config.maxOperatorTokenSeconds,
    ).withSites(this.sites)
    this.connections = new ConnectionRegistry(
      config.limits.maxConnectionsPerIp,
      config.maxSockets,
      Math.floor(config.fdReserve / 2),
    )
    this.httpRequests = new IpQuota(config.limits.maxHttpRequestsPerIp)
    this.parser = createFrameParser(config.limits)
    this.files = new StaticFiles(config.staticDir, { sourceMaps: config.serveSourceMaps })
    const refreshMs = config.refreshSeconds * 1000
    this.liveness = new NodeLiveness(config.nodeId, store, refreshMs, log)
    this.directory = new VisitorDirectory(
      config.nodeId,
      bus,
      {
        list: (site) => [...this.hub.visitors(site)].map((v) => this.feed.summary(v)),
        get: (site, id) => {
          const visitor = this.hub.get(site, id)
          return visitor && this.feed.summary(visitor)
        },
      },
      {
        refreshMs,
        snapshotTimeoutMs: config.snapshotTimeoutMs,
        aliveNodes: () => this.liveness.aliveNodes(),
        remoteCount: (count) => this.metrics.directoryRemoteVisitors.set(count),
      },
    )
    this.teamNotifier = new TeamNotifier(
      config.teamNotifyMs,
      (site) => this.teamState(site),
      (site, state) => {
        for (const visitor of this.hub.visitors(site)) visitor.broadcast({ t: 'team', ...state })
      },
    )
    this.presence = new TeamPresence(config.nodeId, bus, refreshMs, (site, online) => this.teamChanged(site, online))
    this.feed = new VisitorFeed(
      config.nodeId,
      this.hub,
      this.sites,
      bus,
      config.feedIntervalMs,
      refreshMs,
      this.directory,
    )
    this.operatorSettings = new OperatorSettings(
      store,
      bus,
      config.operatorMaxChats,
      config.operatorMaxChatsLimit,
      (site, operator, prefs) => this.presence.changeLocal(site, operator, (op) => presenceOf(op, prefs)),
      log,
    )
    this.operators = new OperatorHub(
      new VisitorWatch(this.directory, config.limits),
      this.presence,
      this.operatorSettings,
    )
    this.capacity = new TeamCapacity(
      bus,
      store,
      this.presence,
      (site, available) => {
        for (const visitor of this.hub.visitors(site)) {
          visitor.setTeamAvailable(available)
          this.hub.emit(visitor)
        }
        this.teamNotifier.changed(site)
      },
      log,
    )
    this.roster = new TeamRoster(
      this.presence,
      this.capacity,
      (site) => this.operators.sessionsOf(site),
      (site) => this.sites.get(site)?.departments ?? [],
      config.feedIntervalMs,
    )
    this.sites.observe((before, after) => this.operators.siteChanged(before, after))
    this.ownership = new VisitorOwnership(store, this.liveness)
    const site = (id: string) => this.sites.get(id)
    this.webhooks = new WebhookOutbox(store, site, log)
    this.dispatcher = new WebhookDispatcher(config.nodeId, store, site, config.webhooks, log)
    this.webhooks.onWritten(() => this.dispatcher.kick())
    this.chat = new ChatService(
      store,
      bus,
      this.hub,
      this.sites,
      this.directory,
      this.presence,
      new ChatRouter(config.nodeId, this.presence, this.capacity, log),
      this.ownership,
      {
        operators: (site) => this.operators.sessionsOf(site),
        invited: (visitor, frame) => this.invited(visitor, frame),
        operatorIdentity: (site, operator) => {
          const prefs =
            this.presence.online(site).find((op) => op.id === operator) ?? this.operatorSettings.cached(site, operator)
          return { name: prefs?.displayName, avatar: prefs?.avatar }
        },
      },
      { acceptTimeoutMs: config.acceptTimeoutSeconds * 1000, replayMessages: config.replayMessages },
      this.metrics,
      this.webhooks,
      log,
    )
    this.operators.useChat(this.chat, this.roster)
    this.idleCloser = new IdleCloser(
      store,
      this.hub,
      this.ownership,
      this.liveness,
      this.sites,
      this.chat,
      {
        idleMs: config.chatIdleCloseMinutes * 60_000,
      },
      log,
    )
    this.history = new ConversationSearch(store, { maxWords: config.history.maxWords }, log)
    this.chat.indexWith(this.history)
    this.typing = new TypingRelay(store, bus, this.hub, this.sites, (site) => this.operators.sessionsOf(site))
    this.operators.useTyping(this.typing)
    const limits = config.limits
    const campaignLimits: CampaignLimits = {
      maxDepth: limits.maxCampaignDepth,
      maxConditions: limits.maxCampaignConditions,
      maxTextLength: limits.maxTextLength,
      maxValueLength: limits.maxUrlLength,
      maxListValues: limits.maxCampaignListValues,
      maxRangesPerDay: limits.maxCampaignRangesPerDay,
      maxNameLength: limits.maxCampaignNameLength,
    }
    this.campaigns = new CampaignRegistry(
      config.nodeId,
      store,
      bus,
      this.acks,
      campaignLimits,
      log,
      (id) => this.sites.get(id)?.hours,
    )
    this.sites.observe((before, after) => {
      const id = after?.id ?? before?.id
      if (id === undefined || JSON.stringify(before?.hours) === JSON.stringify(after?.hours)) return
      this.campaigns.hoursChanged(id).catch((error: unknown) => log.error({ err: error }, 'campaign recompile failed'))
    })
    this.campaignStats = new CampaignStats(
      config.nodeId,
      store,
      bus,
      () => this.runner.eligibleCounts(),
      config.statsFlushMs,
      refreshMs,
      log,
    )
    this.runner = new CampaignRunner(
      this.hub,
      this.campaigns,
      this.campaignStats,
      this.metrics,
      log,
      config.invitationTtlSeconds * 1000,
      this.webhooks,
    )
    const host = new VisitorHost(this.hub, config.limits, this.visitorFrameHandler())
    this.relay = new TabRelay(
      config.nodeId,
      bus,
      this.sites,
      host,
      this.ownership,
      this.liveness,
      refreshMs,
      5000,
      () => !this.draining,
      log,
    )
    this.router = new OwnerRouter(config.nodeId, this.hub, host, this.ownership, this.relay)
    this.hub.observe({
      gone: (visitor) => {
        // The next owner loads the profile: release only once the last writes landed.
        this.hub
          .written(visitor)
          .then(() => this.ownership.release(visitor.site, visitor.id))
          .catch((error: unknown) => log.warn({ err: error }, 'lease release failed'))
      },
    })
    this.preview = new CampaignPreview(config.nodeId, bus, this.hub, this.feed, this.liveness, 1000, (visitor) =>
      this.runner.showing(visitor),
    )
    this.privacy = new VisitorPrivacy(store, bus, this.hub, log, (site, visitor) => this.history.erase(site, visitor))
    registerPrivacyRoutes(this.admin, this.sites, this.privacy)
    registerTimelineRoutes(this.admin, { sites: this.sites, store, hub: this.hub })
    registerConversationRoutes(this.admin, { sites: this.sites, store, search: this.history, config: config.history })
    registerSiteSettingsRoutes(this.admin, this.sites)
    const cannedLimits = {
      maxPerSite: config.maxCannedResponses,
      maxTitleLength: config.maxCannedTitleLength,
      maxTextLength: config.limits.maxTextLength,
    }
    registerCannedRoutes(this.admin, this.sites, new CannedResponses(store, cannedLimits), cannedLimits)
    registerOperatorSettingsRoutes(this.admin, this.sites, this.operatorSettings, config.operatorMaxChatsLimit)
    registerCampaignRoutes(this.admin, {
      sites: this.sites,
      campaigns: this.campaigns,
      stats: this.campaignStats,
      preview: this.preview,
      revisions: new CampaignRevisions(store, config.campaignRevisions),
      limits: campaignLimits,
      maxStatsDays: config.maxStatsDays,
    })
  }

  /** Widgets hear of it once the site's chat counts are loaded, so `available` is never a guess. */
  private teamChanged(site: string, online: boolean): void {
    for (const visitor of this.hub.visitors(site)) {
      visitor.setTeamOnline(online)
      this.hub.emit(visitor)
    }
    void this.capacity.ready(site).then(() => this.teamNotifier.changed(site))
  }

  /** Available: an online operator has a free chat slot (the widget's offline form, the campaign field). */
  private teamState(site: string): TeamState {
    return { online: this.presence.isOnline(site), available: this.capacity.available(site) }
  }

  /** A manual invitation reached a visitor of this node. */
  private invited(visitor: LiveVisitor, frame: InviteFrame): void {
    visitor.invited(undefined, frame.at)
    this.hub.timeline.invited(visitor, frame)
    visitor.broadcast(frame)
    this.runner.operatorInvited(visitor, frame)
    this.hub.emit(visitor)
  }

  /** Invitation lifecycle and chat frames from visitors owned by this node. */
  private visitorFrameHandler(): VisitorFrameHandler {
    return {
      team: (site) => this.teamNotifier.welcome(site),
      attached: (visitor, sink) => {
        visitor.setTeamOnline(this.presence.isOnline(visitor.site))
        visitor.setTeamAvailable(this.capacity.available(visitor.site))
        this.runner.attached(visitor, sink)
        this.chat
          .replayToVisitor(visitor, (frame) => sink.send(frame))
          .catch((error: unknown) => this.log.error({ err: error }, 'chat replay failed'))
      },
      handle: (visitor, frame, sink) => {
        if (frame.t === 'inv') return this.runner.lifecycle(visitor, frame.id, frame.action)
        if (frame.t === 'typing') return this.typing.visitorTyping(visitor, frame.on)
        if (frame.t === 'contact') return this.leadCaptured(visitor, frame, sink)
        if (frame.t === 'offline') {
          const { t: _t, text, ...contact } = frame
          return void this.chat.offlineMessage(visitor, contact, text).then(
            (conversation) => sink.send({ t: 'offline', ok: true, conversation }),
            (error: unknown) => {
              this.log.error({ err: error }, 'offline message failed')
              sink.send({
                t: 'error',
                code: ERROR_CODE.internal,
                message: 'message not stored, try again',
                ref: 'offline',
              })
            },
          )
        }
        if (frame.t === 'rate')
          return void this.chat
            .rate(visitor, frame.value)
            .catch((error: unknown) => this.log.error({ err: error }, 'rating not stored on the chat'))
        const replied = this.runner.replied(visitor)
        const campaign = replied && this.campaigns.get(visitor.site, replied.campaign)
        const tags = campaign?.tags
        const invitation = replied && {
          ...replied,
          ...(campaign?.name !== undefined ? { campaignName: campaign.name } : {}),
        }
        const ref = frame.ref ?? 'msg'
        this.chat.visitorMessage(visitor, frame.text, { ref: frame.ref, tags, invitation }).catch((error: unknown) => {
          if (error instanceof FrameError)
            return sink.send({ t: 'error', code: error.code, message: error.message, ref })
          this.log.error({ err: error }, 'visitor message failed')
          sink.send({ t: 'error', code: ERROR_CODE.internal, message: 'message not stored, try again', ref })
        })
      },
    }
  }

  /** `contact` from an invitation's collect form: stored on the profile (VisitorHub), confirmed, reported. */
  private leadCaptured(visitor: LiveVisitor, frame: ContactFrame, sink: TabSink): void {
    const lead: Record<string, string> = {}
    if (frame.name !== undefined) lead.name = frame.name
    if (frame.email !== undefined) lead.email = frame.email
    sink.send({ t: 'contact', ok: true })
    this.webhooks.emit(visitor.site, 'lead.captured', { visitor: { id: visitor.id, ...lead }, lead })
  }

  /** Opens the store and bus, loads sites and listens; resolves once the port accepts sockets. */
  static async start(
    config: Config,
    log: Logger = createLogger(config.logLevel, { node: config.nodeId }),
  ): Promise<BeckonNode> {
    let bus: Bus
    let store: Store
    const retention = { maxAgeMs: retentionOf(config) }
    if (config.natsUrl) {
      const natsBus = await NatsBus.connect({
        servers: config.natsUrl.split(','),
        name: config.nodeId,
        log: (msg) => log.info(msg),
      })
      bus = natsBus
      store = await NatsStore.open(natsBus.nc, { replicas: config.natsReplicas, ...retention })
    } else {
      bus = new MemoryBus()
      store = await LmdbStore.open(join(config.dataDir, 'beckon.lmdb'), retention)
    }
    const node = new BeckonNode(config, log, store, bus)
    await node.liveness.start()
    await node.sites.load()
    await node.campaigns.load((site) => node.runner.recompiled(site))
    node.dispatcher.start()
    node.idleCloser.start()
    await node.listen()
    log.info({ port: node.port, cluster: Boolean(config.natsUrl) }, 'beckon node listening')
    return node
  }

  private listen(): Promise<void> {
    const app = uws.App()
    const limits = this.config.limits
    app.ws<SocketData>(
      '/v1/visitor',
      this.socketRoute((u) => this.visitorSession(u)),
    )
    app.ws<SocketData>(
      '/v1/operator',
      this.socketRoute((u) => this.operatorSession(u)),
    )
    // Every GET route answers HEAD too (Reply drops the body).
    const get = (pattern: string, handler: (res: HttpResponse, req: HttpRequest, head: boolean) => void) => {
      app.get(pattern, (res, req) => handler(res, req, false))
      app.head(pattern, (res, req) => handler(res, req, true))
    }
    get('/healthz', (res, _req, head) => new Reply(res, { head }).json(200, { ok: true, node: this.config.nodeId }))
    get('/readyz', (res, _req, head) => {
      const ready = !this.draining
      new Reply(res, { head }).json(ready ? 200 : 503, { ready, node: this.config.nodeId })
    })
    get('/metrics', (res, _req, head) => {
      const reply = new Reply(res, { head })
      void this.metrics.text().then((text) => reply.send(200, text, this.metrics.registry.contentType))
    })
    app.any('/v1/*', (res, req) => {
      const info = copyRequest(req)
      const reply = this.limitedReply(res, info)
      if (!reply) return
      if (info.method === 'PUT' || info.method === 'POST' || hasBody(info))
        reply.holdBody(limits.maxBodyBytes, announcedLength(info))
      void this.admin.handle(info, reply).catch((error: unknown) => this.failed(reply, info, error))
    })
    get('/', (res) => {
      res.cork(() => res.writeStatus(statusLine(302)).writeHeader('location', '/demo/').end())
    })
    get('/*', (res, req) => {
      const info = copyRequest(req)
      const reply = this.limitedReply(res, info)
      if (!reply) return
      void this.files.read(info.url).then((file) => {
        if (file) reply.send(200, file.body, file.type, { 'cache-control': 'no-cache' })
        else reply.error(404, 'not_found', `no file ${info.url}`)
      })
    })
    app.any('/*', (res) => new Reply(res).error(404, 'not_found', 'no such route'))
    return new Promise((resolve, reject) => {
      app.listen(this.config.host, this.config.port, (socket) => {
        if (!socket) return reject(new Error(`cannot listen on ${this.config.host}:${this.config.port}`))
        this.listenSocket = socket
        this.port = uws.us_socket_local_port(socket)
        resolve()
      })
    })
  }

  /**
   * A Reply for a request that counts against its IP's BECKON_MAX_HTTP_REQUESTS_PER_IP until
   * answered; undefined (answered 429) when the IP already has that many in flight.
   */
  private limitedReply(res: HttpResponse, info: RequestInfo): Reply | undefined {
    const peer = Buffer.from(res.getRemoteAddressAsText()).toString()
    const ip = clientIp(peer, info.headers['x-forwarded-for'] ?? '', this.config.trustedProxies)
    const head = info.method === 'HEAD'
    if (!this.httpRequests.admit(ip)) {
      new Reply(res, { head }).error(
        429,
        'too_many_requests',
        `more than ${this.httpRequests.max} HTTP requests in flight from ${ip}`,
      )
      return undefined
    }
    return new Reply(res, { head, done: () => this.httpRequests.release(ip) })
  }

  private failed(reply: Reply, info: RequestInfo, error: unknown): void {
    this.log.error({ err: error, url: info.url }, 'request failed')
    reply.error(500, 'internal', 'internal error')
  }

  /** uWS options shared by both socket routes; `create` builds the session or throws UpgradeRefused. */
  private socketRoute(create: (upgrade: UpgradeRequest) => SocketSession): WebSocketBehavior<SocketData> {
    const limits = this.config.limits
    return {
      // uWS drops the TCP connection above its cap; frames between the limit and 4x it get a proper 1009.
      maxPayloadLength: limits.maxFrameBytes * 4,
      idleTimeout: limits.idleTimeoutSeconds,
      sendPingsAutomatically: true,
      maxBackpressure: limits.maxBackpressureBytes * 2,
      closeOnBackpressureLimit: 0,
      upgrade: (res, req, context) => this.upgrade(res, req, context, create),
      open: (ws) => this.opened(ws),
      message: (ws, message, isBinary) => this.received(ws, message, isBinary),
      close: (ws, code, message) => {
        // uWS validates text frames itself and drops the connection (no JS message callback).
        if (code === 1006 && Buffer.from(message).toString() === 'Received invalid UTF-8')
          this.metrics.invalidText.inc()
        this.closed(ws)
      },
    }
  }

  private upgrade(
    res: HttpResponse,
    req: HttpRequest,
    context: unknown,
    create: (upgrade: UpgradeRequest) => SocketSession,
  ): void {
    const protocols = req.getHeader('sec-websocket-protocol')
    const upgrade: UpgradeRequest = {
      query: new URLSearchParams(req.getQuery() ?? ''),
      origin: req.getHeader('origin'),
      peer: Buffer.from(res.getRemoteAddressAsText()).toString(),
      forwardedFor: req.getHeader('x-forwarded-for'),
      userAgent: req.getHeader('user-agent'),
      acceptLanguage: req.getHeader('accept-language'),
      codec: JSON_CODEC,
    }
    try {
      if (this.draining) throw new UpgradeRefused(503, 'draining', 'node is shutting down: reconnect elsewhere')
      const subprotocol = chooseSubprotocol(protocols)
      if (!subprotocol)
        throw new UpgradeRefused(400, 'subprotocol_unsupported', 'offer beckon.v1.json or beckon.v1.msgpack')
      upgrade.codec = codecFor(subprotocol)
      const session = create(upgrade)
      const refusal = this.connections.admit(session.ip, session.role)
      if (refusal === 'node_full') {
        throw new UpgradeRefused(503, 'node_full', 'node at its socket limit (BECKON_MAX_SOCKETS): reconnect later')
      }
      if (refusal === 'per_ip') {
        throw new UpgradeRefused(
          429,
          'too_many_connections',
          `more than ${this.config.limits.maxConnectionsPerIp} sockets from ${session.ip}`,
        )
      }
      const key = req.getHeader('sec-websocket-key')
      const extensions = req.getHeader('sec-websocket-extensions')
      res.upgrade<SocketData>({ session }, key, protocols ? subprotocol : '', extensions, context as never)
    } catch (error) {
      // Nothing may escape a uWS callback: it would take the whole process down.
      const refusal = error instanceof UpgradeRefused ? error : new UpgradeRefused(500, 'internal', 'internal error')
      if (!(error instanceof UpgradeRefused)) this.log.error({ err: error }, 'upgrade failed')
      this.metrics.rejectedUpgrades.inc({ status: String(refusal.status) })
      // Closes the connection: a refused client must not keep a descriptor in keep-alive.
      new Reply(res, { close: true }).error(refusal.status, refusal.code, refusal.message)
    }
  }

  private visitorSession(upgrade: UpgradeRequest): VisitorSession {
    const siteId = upgrade.query.get('site') ?? ''
    const site = this.sites.get(siteId)
    if (!site) throw new UpgradeRefused(404, 'site_unknown', `unknown site ${JSON.stringify(siteId.slice(0, 64))}`)
    if (!originAllowed(site, upgrade.origin)) {
      throw new UpgradeRefused(
        403,
        'origin_forbidden',
        `origin ${JSON.stringify(upgrade.origin.slice(0, 256))} not allowed for site ${site.id}`,
      )
    }
    const client = resolveClientInfo(upgrade.peer, upgrade, this.config.trustedProxies)
    return new VisitorSession(
      upgrade.codec,
      site,
      client,
      this.config,
      this.metrics,
      this.parser,
      this.router,
      this.log,
    )
  }

  private operatorSession(upgrade: UpgradeRequest): OperatorSession {
    const ip = clientIp(upgrade.peer, upgrade.forwardedFor, this.config.trustedProxies)
    return new OperatorSession(
      ip,
      upgrade.codec,
      this.config.limits,
      this.metrics,
      this.parser,
      (id) => this.sites.get(id),
      this.operators,
      this.log,
      this.config.maxOperatorTokenSeconds,
    )
  }

  private opened(ws: WebSocket<SocketData>): void {
    const { session } = ws.getUserData()
    this.connections.add(session)
    this.guard(session, () => session.opened(ws))
  }

  private received(ws: WebSocket<SocketData>, message: ArrayBuffer, isBinary: boolean): void {
    const { session } = ws.getUserData()
    this.guard(session, () => session.received(message, isBinary))
  }

  private closed(ws: WebSocket<SocketData>): void {
    const { session } = ws.getUserData()
    this.connections.remove(session)
    this.connections.release(session.ip)
    this.guard(session, () => session.closedByPeer())
  }

  /** Runs a socket callback; a bug in it is answered and struck (SocketSession.failed), never thrown into uWS. */
  private guard(session: SocketSession, run: () => void): void {
    try {
      run()
    } catch (error) {
      if (session.failed()) this.log.error({ err: error, role: session.role }, 'socket callback failed')
    }
  }

  /**
   * Graceful stop: readiness goes 503, the port closes, every socket is told to reconnect
   * (close 1012) and given BECKON_DRAIN_SECONDS to go; then profiles are flushed and the
   * store and bus closed. Idempotent.
   */
  stop(): Promise<void> {
    this.stopped ??= this.shutdown()
    return this.stopped
  }

  private async shutdown(): Promise<void> {
    this.draining = true
    if (this.listenSocket) uws.us_listen_socket_close(this.listenSocket)
    this.listenSocket = undefined
    await this.connections.drain(CLOSE_CODE.serviceRestart, 'node draining: reconnect', this.config.drainSeconds * 1000)
    this.relay.close()
    this.runner.close()
    await this.hub.flush()
    await this.dispatcher.stop()
    await this.idleCloser.stop()
    // Profiles are durable: now other nodes may take the visitors over.
    await Promise.all([...this.hub.visitors()].map((v) => this.ownership.release(v.site, v.id).catch(() => undefined)))
    await this.liveness.stop()
    await this.campaignStats.close()
    this.campaigns.close()
    this.preview.close()
    this.privacy.close()
    this.feed.close()
    this.directory.close()
    this.roster.close()
    this.operatorSettings.close()
    this.capacity.close()
    this.presence.close()
    this.teamNotifier.close()
    this.chat.stop()
    this.typing.stop()
    this.sites.close()
    this.acks.close()
    await this.bus.close()
    await this.store.close()
    this.log.info('beckon node stopped')
  }
}
