import { BeckonNode } from './beckon_node.js'
import { ConfigError, parseConfig } from './config.js'
import { createLogger } from './logger.js'

/** Process entry: config from the environment, SIGTERM/SIGINT drain the node and exit. */
async function main(): Promise<void> {
  let config
  try {
    config = parseConfig(process.env)
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
  process.once('SIGTERM', () => stop('SIGTERM'))
  process.once('SIGINT', () => stop('SIGINT'))
}

main().catch((error: unknown) => {
  process.stderr.write(`beckon: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
  process.exit(1)
})
