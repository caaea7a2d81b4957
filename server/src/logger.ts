import { pino, type Logger } from 'pino'

export type { Logger }

/** JSON lines on stdout; `level` from BECKON_LOG_LEVEL. */
export function createLogger(level: string, base: Record<string, unknown> = {}): Logger {
  return pino({ level, base })
}
