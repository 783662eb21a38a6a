import { redact } from '../transport/redact'

/** One pino-style log method: structured fields first, then the message. */
export type LogMethod = (fields: Record<string, unknown>, message: string) => void

/**
 * What the server logs through: a pino logger (or a child of one) fits as it is. Fields never hold
 * a token, a URL query, or an error message that still contains the token.
 */
export interface ServerLogger {
  /** Socket errors (resets and the like: routine on the internet). @default none: dropped */
  debug?: LogMethod
  info: LogMethod
  warn: LogMethod
  error: LogMethod
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error'

const prefix = '[live-status/server]'

/** The default: warnings and errors on the console, one line each, fields as JSON. */
export const consoleLogger: ServerLogger = {
  info: (fields, message) => console.info(prefix, message, JSON.stringify(fields)),
  warn: (fields, message) => console.warn(prefix, message, JSON.stringify(fields)),
  error: (fields, message) => console.error(prefix, message, JSON.stringify(fields)),
}

/** Adapts the older `log(message, error)` option: warnings and errors only, as before. */
export function loggerFromLogFunction(log: (message: string, error?: unknown) => void): ServerLogger {
  return {
    info: () => {},
    warn: (fields, message) => log(message, fields.err),
    error: (fields, message) => log(message, fields.err),
  }
}

/** An error as log fields: name and message only, with `token` masked wherever it appears (a class's `name` too). */
export function errorFields(error: unknown, token?: string | null): { err: { name: string; message: string } } {
  let name = 'Error'
  let message: string
  try {
    if (error instanceof Error) {
      name = String(error.name)
      message = String(error.message)
    } else message = typeof error === 'string' ? error : `non-error value (${typeof error})`
  } catch {
    message = 'unprintable error'
  }
  return { err: { name: redact(name, token).slice(0, 100), message: redact(message, token).slice(0, 500) } }
}

/**
 * The server's own logging: never throws (a throwing logger must not take a socket, a request or the
 * process down with it), and drops `debug` when the logger has no such level.
 */
export class Log {
  #logger: ServerLogger
  constructor(logger: ServerLogger) {
    this.#logger = logger
  }
  debug(message: string, fields: Record<string, unknown> = {}): void {
    this.#write('debug', message, fields)
  }
  info(message: string, fields: Record<string, unknown> = {}): void {
    this.#write('info', message, fields)
  }
  warn(message: string, fields: Record<string, unknown> = {}): void {
    this.#write('warn', message, fields)
  }
  error(message: string, fields: Record<string, unknown> = {}): void {
    this.#write('error', message, fields)
  }
  #write(level: LogLevel, message: string, fields: Record<string, unknown>): void {
    try {
      const method = this.#logger[level]
      if (typeof method === 'function') method.call(this.#logger, fields, message)
    } catch {
      // A broken logger loses the line, nothing else.
    }
  }
}
