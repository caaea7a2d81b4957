import type { HistoryConfig } from '../config.js'
import { conversationKey, messageLog, parseConversation, parseStoredMessage } from '../chat/conversation.js'
import type { ConversationDoc, ConversationQuery } from '../chat/conversation_index.js'
import { queryWords } from '../chat/conversation_index.js'
import type { ConversationSearch } from '../chat/conversation_search.js'
import { transcriptOf, transcriptText } from '../chat/transcript.js'
import { InputError } from '../input_error.js'
import { departmentsAllow, parseOperatorSub, type OperatorIdentity } from '../operator/operator_token.js'
import { parseSiteId } from '../site/site.js'
import type { SiteRegistry } from '../site/site_registry.js'
import type { Store } from '../store/store.js'
import type { AdminApi } from './admin_api.js'

const PARAMS = new Set(['visitor', 'operator', 'q', 'from', 'to', 'state', 'limit', 'next'])
const MAX_WORDS = 20
const MAX_TEXT = 200
const DAY_MS = 86_400_000
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/
const CONVERSATION_ID = /^c[a-z0-9]{1,40}$/

const bad = (param: string, message: string) => new InputError('invalid_query', message, param)

/** A date parameter: `YYYY-MM-DD` (UTC; as `to`, the whole day), an ISO 8601 time, or epoch ms. */
function parseDate(param: 'from' | 'to', raw: string): number {
  if (/^\d{1,15}$/.test(raw)) return Number(raw)
  const at = Date.parse(DATE_ONLY.test(raw) ? `${raw}T00:00:00Z` : raw)
  if (!Number.isFinite(at) || raw.length > 40)
    throw bad(param, `${param} must be YYYY-MM-DD, an ISO 8601 time or epoch milliseconds`)
  return DATE_ONLY.test(raw) && param === 'to' ? at + DAY_MS - 1 : at
}

function words(param: 'visitor' | 'q', raw: string): string[] {
  if (raw.length > MAX_TEXT) throw bad(param, `${param} is longer than ${MAX_TEXT} characters`)
  const found = queryWords(raw)
  if (found.length === 0) throw bad(param, `${param} needs a word of at least 2 letters or digits`)
  if (found.length > MAX_WORDS) throw bad(param, `${param} has more than ${MAX_WORDS} words`)
  return found
}

/** Parses the History search's query string; throws InputError naming the bad parameter. */
export function parseHistoryQuery(
  queryString: string,
  departments: readonly string[] | undefined,
  config: Pick<HistoryConfig, 'pageSize' | 'maxPageSize'>,
): ConversationQuery {
  const params = new URLSearchParams(queryString)
  const query: ConversationQuery = { limit: config.pageSize }
  if (departments !== undefined) query.departments = departments
  for (const [name, value] of params) {
    if (!PARAMS.has(name)) throw bad(name, `unknown parameter ${JSON.stringify(name.slice(0, 40))}`)
    if (params.getAll(name).length > 1) throw bad(name, `${name} given more than once`)
    if (value === '' && name !== 'state') continue
    switch (name) {
      case 'visitor':
      case 'q':
        query[name] = words(name, value)
        break
      case 'operator':
        try {
          query.operator = parseOperatorSub(value)
        } catch {
          throw bad('operator', 'operator must be an operator id (1-128 of A-Z a-z 0-9 _ . @ -)')
        }
        break
      case 'from':
      case 'to':
        query[name] = parseDate(name, value)
        break
      case 'state':
        if (value !== 'closed' && value !== '')
          throw bad('state', 'history lists closed conversations: state must be "closed" (open ones are in the queues)')
        break
      case 'limit':
        if (!/^\d{1,6}$/.test(value) || Number(value) < 1 || Number(value) > config.maxPageSize)
          throw bad('limit', `limit must be 1-${config.maxPageSize}`)
        query.limit = Number(value)
        break
      case 'next':
        if (!/^[0-9a-z]{1,12}$/.test(value)) throw bad('next', 'next must be the value of a previous answer')
        query.before = Number.parseInt(value, 36)
        break
    }
  }
  if (query.from !== undefined && query.to !== undefined && query.from > query.to) throw bad('from', 'from is after to')
  return query
}

/** The departments an actor may search: undefined for all (admin, sees_all_online_visitors). */
export const visibleDepartments = (operator: OperatorIdentity | undefined): readonly string[] | undefined =>
  operator === undefined || operator.seesAll ? undefined : operator.departments

/** A doc as the History list shows it (without its index words). */
function listed(doc: ConversationDoc): Omit<ConversationDoc, 'words'> {
  const { words: _words, ...rest } = doc
  return rest
}

/**
 * History routes, for the admin token or any operator of the site (department-scoped):
 * `GET /v1/sites/SITE/conversations?visitor&operator&q&from&to&state&limit&next` searches the
 * closed conversations, newest closed first, `{conversations, next?}`;
 * `GET /v1/sites/SITE/conversations/ID[?format=json|text]` is one conversation's transcript
 * (`format` makes it a download).
 */
export function registerConversationRoutes(
  api: AdminApi,
  deps: { sites: SiteRegistry; store: Store; search: ConversationSearch; config: HistoryConfig },
): void {
  const site = (id: string | undefined): string => {
    const siteId = parseSiteId(id)
    if (!deps.sites.get(siteId)) throw new InputError('not_found', `no site ${siteId}`, 'site', 404)
    return siteId
  }
  api
    .route(
      'GET',
      '/v1/sites/:site/conversations',
      async (req, [s], _reply, _actor, operator) => {
        const siteId = site(s)
        const query = parseHistoryQuery(req.query, visibleDepartments(operator), deps.config)
        const result = await deps.search.search(siteId, query)
        const body: { conversations: unknown[]; next?: string } = { conversations: result.docs.map(listed) }
        if (result.next !== undefined) body.next = result.next.toString(36)
        return { status: 200, body }
      },
      { operators: true },
    )
    .route(
      'GET',
      '/v1/sites/:site/conversations/:id',
      async (req, [s, id], reply, _actor, operator) => {
        const siteId = site(s)
        if (id === undefined || !CONVERSATION_ID.test(id))
          throw new InputError('invalid_conversation', 'not a conversation id', 'id')
        const format = new URLSearchParams(req.query).get('format')
        if (format !== null && format !== 'json' && format !== 'text')
          throw bad('format', 'format must be json or text')
        const entry = await deps.store.get<unknown>('conversations', conversationKey(siteId, id))
        const conversation = entry && parseConversation(entry.value)
        const visible =
          conversation &&
          (operator === undefined || conversation.operator === operator.id || departmentsAllow(operator, conversation))
        if (!conversation || !visible) throw new InputError('not_found', `no conversation ${id}`, 'id', 404)
        const records = await deps.store.read<Record<string, unknown>>(messageLog(siteId, id), 0)
        const transcript = transcriptOf(
          conversation,
          records.map((r) => parseStoredMessage({ ...r.value, id: `${id}-${r.seq}` })),
        )
        if (format === null) return { status: 200, body: transcript }
        const disposition = {
          'content-disposition': `attachment; filename="conversation-${id}.${format === 'text' ? 'txt' : 'json'}"`,
        }
        if (format === 'text') reply.send(200, transcriptText(transcript), 'text/plain; charset=utf-8', disposition)
        else reply.send(200, JSON.stringify(transcript, null, 2), 'application/json', disposition)
        return { status: 0, body: undefined }
      },
      { operators: true },
    )
}
