import { createHmac } from 'node:crypto'
import { once } from 'node:events'
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface Delivery {
  headers: IncomingHttpHeaders
  body: string
  event: { id: string; type: string; site: string; createdAt: number; data: any }
  /** The status this receiver answered. */
  status: number
}

/**
 * A real HTTP webhook receiver on loopback. `answer` picks each request's status (default
 * 200); every request is recorded, whatever it was answered.
 */
export class WebhookReceiver {
  readonly deliveries: Delivery[] = []
  private server: Server | undefined
  port = 0

  constructor(private answer: (n: number, event: Delivery['event']) => number = () => 200) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`
  }

  /** Listens on `port` (default: an ephemeral one; given: the same one again after close()). */
  async listen(port = this.port): Promise<this> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString()
        const event = JSON.parse(body) as Delivery['event']
        const status = this.answer(this.deliveries.length, event)
        this.deliveries.push({ headers: req.headers, body, event, status })
        res.writeHead(status, { 'content-type': 'text/plain' }).end('ok')
      })
    })
    server.listen(port, '127.0.0.1')
    await once(server, 'listening')
    this.server = server
    this.port = (server.address() as AddressInfo).port
    return this
  }

  respond(answer: (n: number, event: Delivery['event']) => number): void {
    this.answer = answer
  }

  /** Deliveries answered 2xx. */
  accepted(type?: string): Delivery[] {
    return this.deliveries.filter((d) => d.status < 300 && (type === undefined || d.event.type === type))
  }

  async close(): Promise<void> {
    const server = this.server
    this.server = undefined
    if (!server) return
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
}

/** Checks `Beckon-Signature` as the docs tell a receiver to: HMAC-SHA256 over `<t>.<body>`. */
export function signatureValid(secret: string, delivery: Delivery): boolean {
  const header = String(delivery.headers['beckon-signature'] ?? '')
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header)
  if (!match) return false
  const expected = createHmac('sha256', secret).update(`${match[1]}.${delivery.body}`).digest('hex')
  return expected === match[2]
}
