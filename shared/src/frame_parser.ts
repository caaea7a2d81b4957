import { z } from 'zod'
import { ERROR_CODE, type ErrorCode, type OperatorFrame, type VisitorFrame } from './protocol.js'

/** A frame that decoded but is not a valid request: answered with an `error` frame, socket kept. */
export class FrameError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly ref?: string,
  ) {
    super(message)
    this.name = 'FrameError'
  }
}

/**
 * What an error answering a frame names in `ref`: the frame's own client `ref` when it carries
 * a well-formed one, else its type, so a client can tell which request was refused.
 */
export function refOf(input: unknown): string | undefined {
  if (typeof input !== 'object' || input === null) return undefined
  const { ref, t } = input as { ref?: unknown; t?: unknown }
  if (typeof ref === 'string' && ID.test(ref)) return ref
  return typeof t === 'string' ? t.slice(0, 32) : undefined
}

/** The limits frame validation needs (a subset of the server's config limits). */
export interface FrameLimits {
  maxTextLength: number
  maxUrlLength: number
  maxContextKeys: number
  maxContextBytes: number
}

const ID = /^[A-Za-z0-9_-]{1,64}$/

function describe(error: z.ZodError): string {
  const issue = error.issues[0]
  if (!issue) return 'invalid frame'
  const path = issue.path.join('.')
  return path ? `${path}: ${issue.message}` : issue.message
}

/**
 * Builds the validators for client frames. Unknown keys are dropped; strings are bounded by
 * the limits; `context` must be a flat-enough JSON object within maxContextKeys/maxContextBytes.
 */
export function createFrameParser(limits: FrameLimits) {
  const text = z.string().min(1).max(limits.maxTextLength)
  const url = z.string().max(limits.maxUrlLength)
  const id = z.string().regex(ID, 'expected 1-64 characters of A-Z a-z 0-9 _ -')
  const ref = id.optional()
  // A Map first, then a null-prototype object: a key such as `__proto__` stays plain data
  // (a record schema would drop it; assigning it to an object literal would set a prototype).
  const context = z
    .preprocess(
      (v) => (typeof v === 'object' && v !== null && !Array.isArray(v) ? new Map(Object.entries(v)) : v),
      z.map(z.string().min(1).max(64), z.unknown()),
    )
    .transform((entries): Record<string, unknown> => Object.assign(Object.create(null), Object.fromEntries(entries)))
    .refine((o) => Object.keys(o).length <= limits.maxContextKeys, `at most ${limits.maxContextKeys} keys`)
    .refine((o) => JSON.stringify(o).length <= limits.maxContextBytes, `at most ${limits.maxContextBytes} bytes`)
  const page = {
    url: url.min(1),
    title: z.string().max(limits.maxTextLength),
    referrer: url.optional(),
  }
  const user = z.object({
    id: z.string().min(1).max(256),
    hash: z.string().regex(/^[0-9a-fA-F]{64}$/, 'expected a hex HMAC-SHA256'),
    name: z.string().max(256).optional(),
    email: z.string().max(256).optional(),
  })

  const visitor: Record<VisitorFrame['t'], z.ZodType> = {
    hello: z.object({
      t: z.literal('hello'),
      visitor: id.optional(),
      token: z.string().max(1024).optional(),
      lang: z.string().max(35).optional(),
      tz: z.string().max(64).optional(),
      page: z.object(page),
      user: user.optional(),
      context: context.optional(),
      reconnect: z.boolean().optional(),
      widget: z.string().min(1).max(64).optional(),
    }),
    page: z.object({ t: z.literal('page'), ...page }),
    exit: z.object({ t: z.literal('exit') }),
    widget: z.object({ t: z.literal('widget'), open: z.boolean() }),
    context: z.object({ t: z.literal('context'), data: context }),
    inv: z.object({
      t: z.literal('inv'),
      id,
      action: z.enum(['shown', 'opened', 'dismissed', 'clicked']),
      button: z.number().int().min(0).max(9).optional(),
    }),
    msg: z.object({ t: z.literal('msg'), text, ref }),
    rate: z.object({ t: z.literal('rate'), value: z.enum(['great', 'average', 'poor']) }),
    identify: z.object({ t: z.literal('identify'), user }),
    offline: z.object({
      t: z.literal('offline'),
      name: z.string().max(256).optional(),
      email: z.string().email().max(256),
      text,
    }),
    contact: z
      .object({
        t: z.literal('contact'),
        name: z.string().max(256).optional(),
        email: z.string().email().max(256).optional(),
      })
      .refine((f) => f.name !== undefined || f.email !== undefined, 'name or email required'),
    typing: z.object({ t: z.literal('typing'), on: z.boolean() }),
  }

  const operator: Record<OperatorFrame['t'], z.ZodType> = {
    auth: z.object({ t: z.literal('auth'), token: z.string().min(1).max(4096) }),
    watch: z.object({ t: z.literal('watch'), site: id, view: z.unknown().optional() }),
    invite: z.object({
      t: z.literal('invite'),
      visitor: id,
      text,
      startChat: z.boolean().default(false),
      assignToMe: z.boolean().default(false),
      skipBot: z.boolean().default(false),
    }),
    msg: z.object({ t: z.literal('msg'), conversation: id, text, ref }),
    accept: z.object({ t: z.literal('accept'), conversation: id }),
    close: z.object({ t: z.literal('close'), conversation: id }),
    transfer: z.object({
      t: z.literal('transfer'),
      conversation: id,
      to: z.union([z.strictObject({ operator: z.string().min(1).max(128) }), z.strictObject({ department: id })]),
    }),
    typing: z.object({ t: z.literal('typing'), conversation: id, on: z.boolean() }),
  }

  function parseWith<F>(schemas: Record<string, z.ZodType>, input: unknown): F {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) {
      throw new FrameError(ERROR_CODE.badFrame, 'a frame is an object with a type field "t"')
    }
    const t = (input as { t?: unknown }).t
    if (typeof t !== 'string') throw new FrameError(ERROR_CODE.badFrame, 'missing frame type "t"')
    const schema = Object.hasOwn(schemas, t) ? schemas[t] : undefined
    if (!schema)
      throw new FrameError(
        ERROR_CODE.unknownType,
        `unknown frame type ${JSON.stringify(t.slice(0, 32))}`,
        t.slice(0, 32),
      )
    const result = schema.safeParse(input)
    if (!result.success) throw new FrameError(ERROR_CODE.badFrame, `${t}: ${describe(result.error)}`, refOf(input))
    return result.data as F
  }

  return {
    /** Validates a decoded visitor frame; throws FrameError. */
    parseVisitorFrame: (input: unknown): VisitorFrame => parseWith<VisitorFrame>(visitor, input),
    /** Validates a decoded operator frame; throws FrameError. */
    parseOperatorFrame: (input: unknown): OperatorFrame => parseWith<OperatorFrame>(operator, input),
  }
}

export type FrameParser = ReturnType<typeof createFrameParser>
