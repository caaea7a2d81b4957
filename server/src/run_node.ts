import { BeckonNode } from './beckon_node.js'
import { ConfigError, parseConfig, type Config } from './config.js'
import { createLogger } from './logger.js'

/**
 * Runs one node as this process: config from the environment over `defaults` (exit 2 when
 * invalid), `prepare` may adjust it, `started` runs once the node listens; SIGTERM/SIGINT drain
 * the node and exit 0.
 */
export async function runNode(
  hooks: {
    defaults?: Record<string, string>
    prepare?: (config: Config) => Config
    started?: (node: BeckonNode) => Promise<void>
  } = {},
): Promise<void> {
  let config: Config
  try {
    const parsed = parseConfig({ ...hooks.defaults, ...process.env })
    config = hooks.prepare?.(parsed) ?? parsed
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`beckon: bad configuration: ${error.message}\n`)
      process.exit(2)
    }
    throw error
  }
  const log = createLogger(config.logLevel, { node: config.nodeId })
  const node = await BeckonNode.start(config, log)
  const stop = (signal: string): void => {
    log.info({ signal }, 'draining')
    node.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: error }, 'unclean stop')
        process.exit(1)
      },
    )
  }
  // A stray rejection is a bug to log, not a reason to drop every visitor on this node.
  process.on('unhandledRejection', (reason) => log.error({ err: reason }, 'unhandled rejection'))
  process.once('SIGTERM', () => stop('SIGTERM'))
  process.once('SIGINT', () => stop('SIGINT'))
  await hooks.started?.(node)
}

export function exitOnFailure(error: unknown): never {
  process.stderr.write(`beckon: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
  process.exit(1)
}
