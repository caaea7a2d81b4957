import type { HttpRequest, HttpResponse } from '../uws.js'
import { InputError } from '../input_error.js'

/** The request data a handler may need after an await: uWS invalidates HttpRequest on return. */
export interface RequestInfo {
  method: string
  url: string
  query: string
  headers: Record<string, string>
}

export function copyRequest(req: HttpRequest): RequestInfo {
  const headers: Record<string, string> = Object.create(null)
  req.forEach((key, value) => {
    headers[key] = value
  })
  return { method: req.getCaseSensitiveMethod().toUpperCase(), url: req.getUrl(), query: req.getQuery() ?? '', headers }
}

const STATUS_TEXT: Record<number, string> = {
  200: '200 OK',
  201: '201 Created',
  204: '204 No Content',
  302: '302 Found',
  304: '304 Not Modified',
  400: '400 Bad Request',
  401: '401 Unauthorized',
  403: '403 Forbidden',
  404: '404 Not Found',
  405: '405 Method Not Allowed',
  409: '409 Conflict',
  413: '413 Payload Too Large',
  415: '415 Unsupported Media Type',
  426: '426 Upgrade Required',
  429: '429 Too Many Requests',
  500: '500 Internal Server Error',
  503: '503 Service Unavailable',
}

export function statusLine(status: number): string {
  return STATUS_TEXT[status] ?? String(status)
}

/**
 * Tracks whether the client went away so nothing is written to an aborted response.
 * Every handler creates one before its first await (uWS requires onAborted). A HEAD reply
 * sends the headers (and content-length) of the GET reply without its body. `done` runs
 * once, when the response is written or aborted.
 */
export class Reply {
  aborted = false
  private ended = false
  /** Settles a body still being read when the client goes away, so its handler does not wait forever. */
  private abortBody: (() => void) | undefined
  /** A request body that was announced but not (fully) read. */
  private unreadBody = false
  /** holdBody paused the socket; body() resumes it (uWS must not be resumed unpaused). */
  private paused = false

  constructor(
    readonly res: HttpResponse,
    /** `close`: end the connection after this response (no keep-alive). */
    private readonly opts: { head?: boolean; close?: boolean; done?: () => void } = {},
  ) {
    res.onAborted(() => {
      this.aborted = true
      this.abortBody?.()
      this.finish()
    })
  }

  private finish(): void {
    if (this.ended) return
    this.ended = true
    this.opts.done?.()
  }

  /**
   * Writes the response. If the request's body was never read (refused before it was needed),
   * the connection is closed rather than reading the rest of it.
   */
  send(status: number, body: string | Uint8Array, contentType: string, headers: Record<string, string> = {}): void {
    if (this.aborted || this.ended) return
    const close = this.unreadBody || this.opts.close === true
    this.res.cork(() => {
      this.res.writeStatus(statusLine(status)).writeHeader('content-type', contentType)
      for (const [key, value] of Object.entries(headers)) this.res.writeHeader(key, value)
      if (this.opts.head)
        this.res.endWithoutBody(typeof body === 'string' ? Buffer.byteLength(body) : body.length, close)
      else this.res.end(body, close)
    })
    this.finish()
  }

  json(status: number, body: unknown): void {
    this.send(status, status === 204 ? '' : JSON.stringify(body), 'application/json')
  }

  error(status: number, code: string, message: string, path = ''): void {
    this.json(status, { error: { code, message, path } })
  }

  private pendingBody: Promise<Buffer> | undefined

  /**
   * Takes the request body in (uWS hands data only to an onData attached before the handler
   * returns). A body announced within `maxBytes` is read at once: refusing it unread would make
   * the kernel reset the connection before the client saw the answer. Any other (larger,
   * chunked) body is paused, so nothing beyond what already arrived is read until a handler
   * calls body(), after authentication; refused, it is cut off with the connection.
   */
  holdBody(maxBytes: number, announcedBytes: number | undefined): void {
    const small = announcedBytes !== undefined && announcedBytes <= maxBytes
    this.unreadBody = !small
    void this.body(maxBytes, false).catch(() => undefined)
    if (small) return
    this.paused = true
    this.res.pause()
  }

  /**
   * Reads the whole body, refusing more than `maxBytes` (InputError 413). The first call
   * (or holdBody) must come before any await.
   */
  body(maxBytes: number, resume = true): Promise<Buffer> {
    if (resume && this.paused && !this.aborted && !this.ended) {
      this.paused = false
      this.res.resume()
    }
    this.pendingBody ??= new Promise((resolve, reject) => {
      this.abortBody = () => reject(new InputError('aborted', 'client went away', '', 400))
      const chunks: Buffer[] = []
      let size = 0
      this.res.onData((chunk, isLast) => {
        if (size < 0) return
        size += chunk.byteLength
        if (size > maxBytes) {
          size = -1
          reject(new InputError('body_too_large', `request body over ${maxBytes} bytes`, '', 413))
          return
        }
        chunks.push(Buffer.from(chunk.slice(0)))
        if (isLast) {
          this.unreadBody = false
          resolve(Buffer.concat(chunks))
        }
      })
    })
    return this.pendingBody
  }

  /** Reads and JSON-parses the body; throws InputError for bad JSON. */
  async jsonBody(maxBytes: number): Promise<unknown> {
    const raw = await this.body(maxBytes)
    try {
      return JSON.parse(raw.toString('utf8'))
    } catch {
      throw new InputError('invalid_json', 'request body is not valid JSON')
    }
  }
}
