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
 * Every handler creates one before its first await (uWS requires onAborted).
 */
export class Reply {
  aborted = false
  /** Settles a body still being read when the client goes away, so its handler does not wait forever. */
  private abortBody: (() => void) | undefined

  constructor(readonly res: HttpResponse) {
    res.onAborted(() => {
      this.aborted = true
      this.abortBody?.()
    })
  }

  send(status: number, body: string | Uint8Array, contentType: string, headers: Record<string, string> = {}): void {
    if (this.aborted) return
    this.res.cork(() => {
      this.res.writeStatus(statusLine(status)).writeHeader('content-type', contentType)
      for (const [key, value] of Object.entries(headers)) this.res.writeHeader(key, value)
      this.res.end(body)
    })
  }

  json(status: number, body: unknown): void {
    this.send(status, status === 204 ? '' : JSON.stringify(body), 'application/json')
  }

  error(status: number, code: string, message: string, path = ''): void {
    this.json(status, { error: { code, message, path } })
  }

  private pendingBody: Promise<Buffer> | undefined

  /**
   * Reads the whole body, refusing more than `maxBytes` (InputError 413). uWS hands data only
   * to an onData attached before the handler returns, so the first call must come before any await.
   */
  body(maxBytes: number): Promise<Buffer> {
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
        if (isLast) resolve(Buffer.concat(chunks))
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
