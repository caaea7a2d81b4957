import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'

/** Debian installs nats-server in /usr/sbin; NATS_SERVER overrides. */
const BINARY =
  process.env.NATS_SERVER ??
  ['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server'].find((p) => existsSync(p)) ??
  'nats-server'

/** Gives up on a server that has not said "Server is ready" by then (a broken binary or config). */
const READY_TIMEOUT_MS = 15_000

export interface NatsServerHandle {
  /** `nats://127.0.0.1:<port>`; stays the same across restart(). */
  readonly url: string
  readonly port: number
  /** The JetStream store directory, kept across restart(). */
  readonly storeDir: string
  /** Every log line so far, for diagnostics. */
  readonly logs: string[]
  /** Resolves on the first log line (past or future) matching `pattern`. */
  waitForLog(pattern: RegExp): Promise<string>
  /** SIGTERM (graceful) and wait for the exit. */
  stop(): Promise<void>
  /** SIGKILL (crash) and wait for the exit. */
  kill(): Promise<void>
  /** Starts again on the same port and store dir (stopping first if running). */
  restart(): Promise<void>
  /** Stops the server and removes its store dir. */
  close(): Promise<void>
}

export interface NatsServerOptions {
  /** Default true. */
  jetstream?: boolean
  /** Client port; default a free one picked by the server. */
  port?: number
  /** Server name (cluster nodes need distinct names). */
  name?: string
  /** Joins a cluster: this node's route port and every node's route port. */
  cluster?: { name: string; port: number; routes: number[] }
  /** HTTP monitoring port (`-m`: /varz, /connz), for benchmarks. */
  monitorPort?: number
}

/** Starts a real nats-server on 127.0.0.1 and resolves once it accepts clients. */
export async function startNatsServer(opts: NatsServerOptions = {}): Promise<NatsServerHandle> {
  const storeDir = await mkdtemp(join(tmpdir(), 'beckon-nats-'))
  const args = (port: number): string[] => {
    const a = ['-a', '127.0.0.1', '-p', String(port)]
    if (opts.name !== undefined) a.push('-n', opts.name)
    if (opts.jetstream ?? true) a.push('-js', '-sd', storeDir)
    if (opts.monitorPort !== undefined) a.push('-m', String(opts.monitorPort))
    if (opts.cluster !== undefined) {
      const { name, port: routePort, routes } = opts.cluster
      a.push('--cluster_name', name, '--cluster', `nats://127.0.0.1:${routePort}`)
      a.push(
        '--routes',
        routes
          .filter((p) => p !== routePort)
          .map((p) => `nats://127.0.0.1:${p}`)
          .join(','),
      )
    }
    return a
  }
  const server = new NatsServerProcess(storeDir, args)
  await server.start(opts.port ?? -1)
  return server
}

export interface NatsClusterHandle {
  readonly servers: NatsServerHandle[]
  /** Client URLs of every node. */
  readonly urls: string[]
  close(): Promise<void>
}

/** Starts a JetStream cluster of `size` routed nodes; resolves once a metadata leader is elected. */
export async function startNatsCluster(size = 3, monitorPorts: number[] = []): Promise<NatsClusterHandle> {
  const routes = await freePorts(size)
  const servers = await Promise.all(
    routes.map((port, i) =>
      startNatsServer({ name: `n${i + 1}`, cluster: { name: 'beckon', port, routes }, monitorPort: monitorPorts[i] }),
    ),
  )
  await Promise.race(
    servers.map((s) => s.waitForLog(/JetStream cluster new metadata leader|new JetStream cluster metadata leader/)),
  )
  return {
    servers,
    urls: servers.map((s) => s.url),
    close: async () => {
      await Promise.all(servers.map((s) => s.close()))
    },
  }
}

class NatsServerProcess implements NatsServerHandle {
  readonly logs: string[] = []
  port = 0
  private child: ChildProcess | undefined
  private exited: Promise<void> = Promise.resolve()
  private readonly waiters: Array<{ pattern: RegExp; resolve: (line: string) => void }> = []

  constructor(
    readonly storeDir: string,
    private readonly args: (port: number) => string[],
  ) {}

  get url(): string {
    return `nats://127.0.0.1:${this.port}`
  }

  async start(port: number): Promise<void> {
    const child = spawn(BINARY, this.args(port), { stdio: ['ignore', 'ignore', 'pipe'] })
    this.child = child
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()))
    // Read every line for as long as the process lives: a full pipe would block its logging.
    createInterface({ input: child.stderr! }).on('line', (line) => this.onLine(line))
    const ready = this.waitForLog(/Server is ready/)
    const failed = new Promise<never>((_, reject) => {
      child.once('error', reject)
      void this.exited.then(() => reject(new Error(`nats-server exited before ready:\n${this.tail()}`)))
      setTimeout(
        () => reject(new Error(`nats-server not ready in ${READY_TIMEOUT_MS} ms:\n${this.tail()}`)),
        READY_TIMEOUT_MS,
      ).unref()
    })
    await Promise.race([ready, failed])
    const listening = this.logs.findLast((l) => l.includes('Listening for client connections on'))
    this.port = Number(listening?.match(/:(\d+)$/)?.[1])
    if (!(this.port > 0)) throw new Error(`cannot find the client port in:\n${this.tail()}`)
  }

  waitForLog(pattern: RegExp): Promise<string> {
    const seen = this.logs.find((l) => pattern.test(l))
    if (seen !== undefined) return Promise.resolve(seen)
    return new Promise((resolve) => this.waiters.push({ pattern, resolve }))
  }

  stop(): Promise<void> {
    return this.signal('SIGTERM')
  }

  kill(): Promise<void> {
    return this.signal('SIGKILL')
  }

  async restart(): Promise<void> {
    await this.stop()
    this.logs.length = 0
    await this.start(this.port)
  }

  async close(): Promise<void> {
    await this.stop()
    await rm(this.storeDir, { recursive: true, force: true })
  }

  private async signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.child
    if (child !== undefined && child.exitCode === null && child.signalCode === null) child.kill(signal)
    await this.exited
  }

  private onLine(line: string): void {
    this.logs.push(line)
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const waiter = this.waiters[i]!
      if (waiter.pattern.test(line)) {
        this.waiters.splice(i, 1)
        waiter.resolve(line)
      }
    }
  }

  private tail(): string {
    return this.logs.slice(-20).join('\n')
  }
}

/** Distinct free ports, found by listening on port 0 with all of them held at once. */
export async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = []
  try {
    for (let i = 0; i < count; i++) {
      const server = createServer()
      servers.push(server)
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    }
    return servers.map((s) => {
      const address = s.address()
      if (address === null || typeof address === 'string') throw new Error('no TCP address')
      return address.port
    })
  } finally {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))))
  }
}
