import { allowedHostsFromList } from '../http/hostPolicy'
import { ANY_AUTHENTICATED_USER, timerOptionMaxMs, type LiveStatusServerOptions } from '../options'

/** What the environment configures for a standalone start. */
export interface EnvConfig {
  port: number
  host: string
  historySize: number | undefined
  options: Partial<Pick<LiveStatusServerOptions<unknown>,
    'allowedOrigins' | 'allowedHosts' | 'maxConnectionsPerUser' | 'maxPayloadBytes' | 'maxFrameBytes' | 'maxPreAuthFrames' | 'maxPreAuthBytes' | 'maxInvalidFrames' | 'invalidFramesWindowMs' | 'idleTimeoutMs' | 'batchIntervalMs' | 'batchMaxEvents' | 'maxBufferedBytes' | 'retainFinishedMs' | 'authTimeoutMs' | 'recheckAccessMs' | 'closeTimeoutMs' | 'sseHeartbeatMs' | 'sseRetryMs' | 'serviceRoutes' | 'allowTokenInQuery' | 'tokenQueryParam'
  >> & {
    /** Only the open-access opt-in can come from the environment; a per-project check is code. */
    authorize?: typeof ANY_AUTHENTICATED_USER
  }
}

/** Numeric settings: environment variable → option. */
export const numericEnvVariables = {
  LIVE_STATUS_MAX_CONNECTIONS_PER_USER: 'maxConnectionsPerUser',
  LIVE_STATUS_MAX_PAYLOAD_BYTES: 'maxPayloadBytes',
  LIVE_STATUS_MAX_FRAME_BYTES: 'maxFrameBytes',
  LIVE_STATUS_MAX_PRE_AUTH_FRAMES: 'maxPreAuthFrames',
  LIVE_STATUS_MAX_PRE_AUTH_BYTES: 'maxPreAuthBytes',
  LIVE_STATUS_MAX_INVALID_FRAMES: 'maxInvalidFrames',
  LIVE_STATUS_INVALID_FRAMES_WINDOW_MS: 'invalidFramesWindowMs',
  LIVE_STATUS_IDLE_TIMEOUT_MS: 'idleTimeoutMs',
  LIVE_STATUS_BATCH_INTERVAL_MS: 'batchIntervalMs',
  LIVE_STATUS_BATCH_MAX_EVENTS: 'batchMaxEvents',
  LIVE_STATUS_MAX_BUFFERED_BYTES: 'maxBufferedBytes',
  LIVE_STATUS_RETAIN_FINISHED_MS: 'retainFinishedMs',
  LIVE_STATUS_AUTH_TIMEOUT_MS: 'authTimeoutMs',
  LIVE_STATUS_RECHECK_ACCESS_MS: 'recheckAccessMs',
  LIVE_STATUS_CLOSE_TIMEOUT_MS: 'closeTimeoutMs',
  LIVE_STATUS_SSE_HEARTBEAT_MS: 'sseHeartbeatMs',
  LIVE_STATUS_SSE_RETRY_MS: 'sseRetryMs',
} as const

/** Every variable read, for documentation and for warning about misspelt ones. */
export const envVariables = ['PORT', 'LIVE_STATUS_PORT', 'LIVE_STATUS_HOST', 'LIVE_STATUS_ALLOWED_ORIGINS', 'LIVE_STATUS_ALLOWED_HOSTS', 'LIVE_STATUS_HISTORY_SIZE', 'LIVE_STATUS_SERVICE_ROUTES', 'LIVE_STATUS_ALLOW_TOKEN_IN_QUERY', 'LIVE_STATUS_TOKEN_QUERY_PARAM', 'LIVE_STATUS_AUTHORIZE', ...Object.keys(numericEnvVariables)]

function positiveInteger(name: string, text: string): number {
  const value = Number(text)
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value <= 0) throw new Error(`[live-status/server] ${name}=${JSON.stringify(text)} must be a positive integer`)
  return value
}

function boolean(name: string, text: string | undefined): boolean | undefined {
  if (text === undefined) return undefined
  if (!['true', 'false'].includes(text)) throw new Error(`[live-status/server] ${name} must be true or false`)
  return text === 'true'
}

/**
 * The standalone configuration from environment variables; unset ones keep the server's defaults.
 * Throws with the variable's name on a value that is not valid, so a typo stops the start.
 */
export function configFromEnv(env: Record<string, string | undefined> = process.env): EnvConfig {
  const set = (name: string) => (env[name] !== undefined && env[name]!.trim() !== '' ? env[name]!.trim() : undefined)
  const portText = set('LIVE_STATUS_PORT') ?? set('PORT')
  const port = portText === undefined ? 8080 : portText === '0' ? 0 : positiveInteger('LIVE_STATUS_PORT', portText)
  if (port > 65535) throw new Error(`[live-status/server] LIVE_STATUS_PORT=${port} is not a port`)
  const options: EnvConfig['options'] = {}
  for (const [name, option] of Object.entries(numericEnvVariables)) {
    const text = set(name)
    if (text === undefined) continue
    const value = positiveInteger(name, text)
    // Timers wait no longer than this (past it Node runs them after 1 ms): said with the variable's name.
    const max = (timerOptionMaxMs as Partial<Record<string, number>>)[option]
    if (max !== undefined && value > max) throw new Error(`[live-status/server] ${name}=${JSON.stringify(text)} is more than a timer can wait (${max} ms)`)
    options[option] = value
  }
  const origins = set('LIVE_STATUS_ALLOWED_ORIGINS')
  if (origins !== undefined) {
    const list = origins.split(',').map((o) => o.trim()).filter(Boolean)
    for (const origin of list) {
      let parsed: URL | undefined
      try {
        parsed = new URL(origin)
      } catch {
        parsed = undefined
      }
      if (!parsed || parsed.origin !== origin) throw new Error(`[live-status/server] LIVE_STATUS_ALLOWED_ORIGINS: ${JSON.stringify(origin)} is not an origin (scheme://host[:port], no path)`)
    }
    options.allowedOrigins = list
  }
  const host = set('LIVE_STATUS_HOST') ?? '127.0.0.1'
  const hostList = set('LIVE_STATUS_ALLOWED_HOSTS')
  if (hostList !== undefined) options.allowedHosts = allowedHostsFromList(hostList)
  const serviceRoutes = boolean('LIVE_STATUS_SERVICE_ROUTES', set('LIVE_STATUS_SERVICE_ROUTES'))
  if (serviceRoutes !== undefined) options.serviceRoutes = serviceRoutes
  const tokenInQuery = boolean('LIVE_STATUS_ALLOW_TOKEN_IN_QUERY', set('LIVE_STATUS_ALLOW_TOKEN_IN_QUERY'))
  if (tokenInQuery !== undefined) options.allowTokenInQuery = tokenInQuery
  const tokenParam = set('LIVE_STATUS_TOKEN_QUERY_PARAM')
  if (tokenParam !== undefined) options.tokenQueryParam = tokenParam
  const authorize = set('LIVE_STATUS_AUTHORIZE')
  if (authorize !== undefined) {
    // The one value there is: open access has to be asked for by name, never implied by a typo.
    if (authorize !== ANY_AUTHENTICATED_USER) throw new Error(`[live-status/server] LIVE_STATUS_AUTHORIZE must be ${ANY_AUTHENTICATED_USER} (or unset)`)
    options.authorize = ANY_AUTHENTICATED_USER
  }
  const history = set('LIVE_STATUS_HISTORY_SIZE')
  return {
    port,
    host,
    historySize: history === undefined ? undefined : positiveInteger('LIVE_STATUS_HISTORY_SIZE', history),
    options,
  }
}
