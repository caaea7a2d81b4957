import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { ADMIN_TOKEN } from './test_node.js'

export interface NodeProcess {
  child: ChildProcess
  port: number
  base: string
  ws: string
  /** Every log line so far. */
  logs: string[]
  /** Resolves with the exit code. */
  exited: Promise<number | null>
  kill(signal?: NodeJS.Signals): Promise<number | null>
}

/**
 * Starts `server/src/main.ts` as a real process on an ephemeral port; resolves once it listens.
 * `launcher` runs it: this test's Node by default, or e.g. the runtime switch.
 */
export async function startNodeProcess(
  env: Record<string, string> = {},
  launcher = process.execPath,
): Promise<NodeProcess> {
  const dir = await mkdtemp(join(tmpdir(), 'beckon-proc-'))
  const child = spawn(launcher, ['--import', 'tsx', 'server/src/main.ts'], {
    env: {
      ...process.env,
      BECKON_HOST: '127.0.0.1',
      BECKON_PORT: '0',
      BECKON_DATA_DIR: dir,
      BECKON_ADMIN_TOKEN: ADMIN_TOKEN,
      BECKON_LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const exited = once(child, 'exit').then(async ([code]) => {
    await rm(dir, { recursive: true, force: true })
    return code as number | null
  })
  const logs: string[] = []
  child.stderr?.on('data', (chunk: Buffer) => logs.push(chunk.toString()))
  const port = await new Promise<number>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! })
    lines.on('line', (line) => {
      logs.push(line)
      try {
        const entry = JSON.parse(line) as { msg?: string; port?: number }
        if (entry.msg === 'beckon node listening' && entry.port) resolve(entry.port)
      } catch {
        // not a log line
      }
    })
    void exited.then((code) => reject(new Error(`node exited with ${code} before listening:\n${logs.join('\n')}`)))
  })
  return {
    child,
    port,
    base: `http://127.0.0.1:${port}`,
    ws: `ws://127.0.0.1:${port}`,
    logs,
    exited,
    kill(signal: NodeJS.Signals = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      return exited
    },
  }
}
