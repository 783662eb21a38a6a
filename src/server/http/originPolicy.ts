import type { Log } from '../logger'

/** What a page of a refused origin is told, on sockets' probe, REST and SSE alike. */
export const ORIGIN_REFUSED_DETAIL = 'this page origin is not allowed: add it to the server allowedOrigins (LIVE_STATUS_ALLOWED_ORIGINS)'

/** Which page origins may use the server: an explicit list, or a predicate over the `Origin` header. */
export type AllowedOrigins = readonly string[] | ((origin: string) => boolean)

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]'])

/**
 * Whether `origin` is a page on this machine served over `http`, on any port: `http://localhost:5173`,
 * `http://127.0.0.1:3000`, `http://[::1]:8080`. Parsed with `new URL` and compared with its
 * serialised origin, so `http://localhost.evil.com`, `http://localhost@evil.com`,
 * `http://127.0.0.1.nip.io` or an origin with a path never pass. For development servers only:
 * `allowedOrigins: isLocalDevOrigin` in production would let any local process's page in.
 */
export function isLocalDevOrigin(origin: string): boolean {
  // The longest accepted origin is `http://127.0.0.1:65535`; anything much longer is not one.
  if (typeof origin !== 'string' || origin.length > 40) return false
  let url: URL
  try {
    url = new URL(origin)
  } catch {
    return false
  }
  // Port 0 parses but no page is served from it.
  return url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname) && url.port !== '0' && url.origin === origin
}

/** Whether `allowed` lets a page at `origin` in. No `Origin` header, or a predicate that throws: no. */
export function isOriginAllowed(allowed: AllowedOrigins, origin: string | undefined): boolean {
  if (typeof origin !== 'string') return false
  if (typeof allowed !== 'function') return allowed.includes(origin)
  try {
    return allowed(origin) === true
  } catch {
    return false
  }
}

/** List entries that can never match an `Origin` header (a path, a trailing slash, not a URL). */
export function malformedOrigins(allowed: AllowedOrigins | undefined): string[] {
  if (allowed === undefined || typeof allowed === 'function') return []
  return allowed.filter((entry) => {
    try {
      return new URL(entry).origin !== entry
    } catch {
      return true
    }
  })
}

/** An attacker picks the `Origin` header: this many distinct ones are named in the log, then one line says more came. */
const MAX_NAMED_ORIGINS = 100
/** A header longer than this is cut in the log line. */
const MAX_LOGGED_ORIGIN_CHARS = 200

/** What a refused origin was answered, per kind of request. */
const ANSWERED = {
  socket: 'socket upgrade answered 403',
  REST: 'REST request answered 403',
  SSE: 'SSE stream answered 403',
  request: 'request answered 403',
} as const

/**
 * One warning per refused origin (not per request): the first refusal names the origin and how to
 * allow it; the same origin retrying every few seconds adds nothing to the log.
 */
export class RefusedOrigins {
  #named = new Set<string>()
  #overflowed = false
  #log: Log

  constructor(log: Log) {
    this.#log = log
  }

  note(origin: string | undefined, where: keyof typeof ANSWERED): void {
    const key = origin === undefined ? '' : origin.slice(0, MAX_LOGGED_ORIGIN_CHARS)
    if (!this.#first(key)) return
    if (origin === undefined)
      this.#log.warn(
        'a socket without an Origin header was refused: with `allowedOrigins` set, only browsers on a listed origin are admitted. Non-browser clients must send an allowed Origin.',
        { where },
      )
    else
      this.#log.warn(
        `origin ${JSON.stringify(key)} refused (${ANSWERED[where]}): if pages there should use this server, add it to the \`allowedOrigins\` option, or to LIVE_STATUS_ALLOWED_ORIGINS (comma-separated) where the settings come from the environment (live-status-server, npm start)`,
        { origin: key, where },
      )
  }

  /** A request whose `Host` header `allowedHosts` refused (answered 403): named once per header. */
  host(header: string | undefined): void {
    const host = String(header ?? '').slice(0, MAX_LOGGED_ORIGIN_CHARS)
    // Keyed apart from origins, should one instance hear both.
    if (!this.#first(`host ${host}`)) return
    this.#log.warn(
      `a request for host ${JSON.stringify(host)} was refused (403): a page on another name that reaches this server came by DNS rebinding, or through a proxy. If the name is yours, add it to the \`allowedHosts\` option, or to LIVE_STATUS_ALLOWED_HOSTS (comma-separated)`,
      { host },
    )
  }

  /** Whether `key` is refused for the first time and may be named; counts the overflow once. */
  #first(key: string): boolean {
    if (this.#named.has(key)) return false
    if (this.#named.size >= MAX_NAMED_ORIGINS) {
      if (!this.#overflowed) this.#log.warn(`more than ${MAX_NAMED_ORIGINS} origins or hosts refused: the others are not logged one by one`, { refused: this.#named.size })
      this.#overflowed = true
      return false
    }
    this.#named.add(key)
    return true
  }
}
