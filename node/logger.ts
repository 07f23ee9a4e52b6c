// Structured logging for the node: one pino logger per process, a child per component
// (`{ component: 'delivery' }`), so every line says where it came from.
//
// Never log secret material — not keys, not plaintext bodies, not PINs — at any level. The
// `redact` list below is a safety net for field names that would carry one; it does not make
// logging a secret acceptable.
import { pino, type Logger, type LoggerOptions } from 'pino'

export type { Logger }

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'

export interface LoggerInit {
  readonly level?: LogLevel
  /** File descriptor or path to write JSON lines to; default stdout (fd 1). */
  readonly destination?: number | string
  /** Extra fields on every line (e.g. the node name). */
  readonly base?: Readonly<Record<string, string>>
}

const REDACT = [
  'secret', 'secretKey', 'privateKey', 'seed', 'pin', 'passphrase', 'password', 'plaintext',
  '*.secret', '*.secretKey', '*.privateKey', '*.seed', '*.pin', '*.passphrase', '*.password', '*.plaintext'
]

export function createLogger (init: LoggerInit = {}): Logger {
  const options: LoggerOptions = {
    level: init.level ?? 'info',
    base: { pid: process.pid, ...init.base },
    redact: { paths: REDACT, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime
  }
  return pino(options, pino.destination({ dest: init.destination ?? 1, sync: false }))
}

/** A logger that drops everything (tests, benchmarks). */
export function silentLogger (): Logger {
  return pino({ level: 'silent' })
}

/** The child logger of one component. */
export function componentLogger (parent: Logger, component: string): Logger {
  return parent.child({ component })
}
