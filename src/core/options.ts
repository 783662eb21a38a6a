import { focusManager as tanstackFocusManager, onlineManager as tanstackOnlineManager } from '@tanstack/query-core'
import type { AuthTransport } from './authTransport'
import type { EventError, WebSocketConstructor } from './types'

/** An access token, or its absence. `''` counts as absent. */
export type AccessToken = string | null | undefined

/** Whether a token is there: `null`, `undefined` and `''` are all "no token". */
export const isPresentToken = (token: AccessToken): token is string => typeof token === 'string' && token.length > 0

/** Reconnect policy. */
export interface ReconnectOptions {
  /** Un-jittered delay before the first retry. @default 1000 */
  initialDelayMs?: number
  /** Cap on the un-jittered delay. @default 30000 */
  maxDelayMs?: number
  /**
   * Retries after a connection is lost before giving up (state `closed`). A connection that comes
   * back on its own (online, tab visible, token change, `reconnect()`) gets a fresh budget.
   * @default 10
   */
  maxAttempts?: number
  /**
   * The retry budget resets once a socket has stayed open this long or delivered an event, so a
   * server that accepts and closes at once cannot cause a fast endless loop.
   * @default 5000
   */
  stableAfterMs?: number
}

/** Application-level keep-alive: WebSockets can die without a close frame (half-open). */
export interface HeartbeatOptions {
  /** Silence (no inbound frame) after which a ping is sent. @default 25000 */
  intervalMs?: number
  /** Time after the ping within which any frame must arrive, else the socket is dead. @default 10000 */
  timeoutMs?: number
  /** The ping; objects are sent as JSON. @default { type: 'ping' } */
  message?: unknown
}

/** What live-status needs of TanStack Query's `onlineManager`. */
export interface OnlineSource {
  isOnline(): boolean
  subscribe(listener: (online: boolean) => void): () => void
}

/** What live-status needs of TanStack Query's `focusManager`. */
export interface FocusSource {
  isFocused(): boolean
  subscribe(listener: (focused: boolean) => void): () => void
}

/** Passed to `onAuthError`. */
export interface AuthErrorInfo {
  /** The connection URL without the token; `null` when the rejection came from REST. */
  url: string | null
  /** The close code, or `null` when the rejection came from REST. */
  code: number | null
  reason: string
}

/** Options of a `SocketHub`, shared by all its connections. */
export interface SocketHubOptions {
  /**
   * The access token. No socket is opened while it is absent (`null`, `undefined`, `''`). Change
   * it later with `hub.setToken()`.
   * @default undefined
   */
  token?: AccessToken
  /**
   * Called before every connect attempt, so a refreshed token reaches the next reconnect. While its
   * promise is pending no socket is constructed. Takes precedence over `token`.
   * @default undefined
   */
  getToken?: () => AccessToken | Promise<AccessToken>
  /** How the token reaches the server. @default { type: 'query', param: 'token' } */
  auth?: AuthTransport
  /** The WebSocket constructor, e.g. `ws`'s on Node. @default globalThis.WebSocket */
  WebSocket?: WebSocketConstructor
  /** Reconnect policy. @default { initialDelayMs: 1000, maxDelayMs: 30000, maxAttempts: 10, stableAfterMs: 5000 } */
  reconnect?: ReconnectOptions
  /** Keep-alive, or `false` to turn it off. @default { intervalMs: 25000, timeoutMs: 10000, message: { type: 'ping' } } */
  heartbeat?: HeartbeatOptions | false
  /** A socket that has not opened within this time counts as a failed attempt. @default 10000 */
  connectTimeoutMs?: number
  /** After the last subscriber leaves, the socket stays this long for one that comes back. @default 1000 */
  idleCloseMs?: number
  /** Close codes that mean "the server refused the token". @default [1008, 4401, 4403] */
  authCloseCodes?: readonly number[]
  /** Close codes after which retrying cannot help. @default [1002, 1003, 1007, 1009, 1010] */
  fatalCloseCodes?: readonly number[]
  /** Frames larger than this are dropped unparsed. @default 1048576 (1 MiB) */
  maxPayloadBytes?: number
  /** Field that names an event's type: `type` for most backends, `event` for the transcriber. @default 'type' */
  discriminator?: string
  /**
   * Message types that only prove the connection alive (answers to our ping, server heartbeats);
   * they are consumed without validation or reporting.
   * @default ['pong', 'heartbeat']
   */
  controlTypes?: readonly string[]
  /**
   * Query parameter through which a reconnect asks the server for what it missed: the highest
   * `seq` seen so far (the reference server's `?since=`). Off unless set.
   * @default undefined
   */
  resumeParam?: string
  /** Called once per token when the server rejects it (close code or `markUnauthorized`). @default undefined */
  onAuthError?: (info: AuthErrorInfo) => void
  /** Called for each dropped frame or message. Exceptions thrown in it are swallowed. @default undefined */
  onEventError?: (error: EventError) => void
  /**
   * Where failures of app callbacks (a subscriber that throws) are reported.
   * @default console.error
   */
  onCallbackError?: (error: unknown) => void
  /** Online state source. @default TanStack Query's `onlineManager` */
  onlineManager?: OnlineSource
  /** Visibility source. @default TanStack Query's `focusManager` */
  focusManager?: FocusSource
  /** Random source for backoff jitter, in [0, 1). @default Math.random */
  random?: () => number
}

/** Every option with its default applied. */
export interface ResolvedHubOptions {
  getToken: (() => AccessToken | Promise<AccessToken>) | undefined
  auth: AuthTransport
  WebSocket: WebSocketConstructor | undefined
  reconnect: Required<ReconnectOptions>
  heartbeat: Required<HeartbeatOptions> | false
  connectTimeoutMs: number
  idleCloseMs: number
  authCloseCodes: readonly number[]
  fatalCloseCodes: readonly number[]
  maxPayloadBytes: number
  discriminator: string
  controlTypes: readonly string[]
  resumeParam: string | undefined
  onAuthError: ((info: AuthErrorInfo) => void) | undefined
  onEventError: ((error: EventError) => void) | undefined
  onCallbackError: (error: unknown) => void
  onlineManager: OnlineSource
  focusManager: FocusSource
  random: () => number
}

export const defaultReconnect: Required<ReconnectOptions> = {
  initialDelayMs: 1000,
  maxDelayMs: 30_000,
  maxAttempts: 10,
  stableAfterMs: 5000,
}

export const defaultHeartbeat: Required<HeartbeatOptions> = {
  intervalMs: 25_000,
  timeoutMs: 10_000,
  message: { type: 'ping' },
}

export function resolveHubOptions(options: SocketHubOptions): ResolvedHubOptions {
  const {
    getToken,
    auth = { type: 'query', param: 'token' },
    WebSocket,
    reconnect,
    heartbeat,
    connectTimeoutMs = 10_000,
    idleCloseMs = 1000,
    authCloseCodes = [1008, 4401, 4403],
    fatalCloseCodes = [1002, 1003, 1007, 1009, 1010],
    maxPayloadBytes = 1024 * 1024,
    discriminator = 'type',
    controlTypes = ['pong', 'heartbeat'],
    resumeParam,
    onAuthError,
    onEventError,
    onCallbackError = (error: unknown) => console.error('[live-status] a callback threw:', error),
    onlineManager = tanstackOnlineManager,
    focusManager = tanstackFocusManager,
    random = Math.random,
  } = options
  return {
    getToken,
    auth,
    WebSocket,
    reconnect: { ...defaultReconnect, ...reconnect },
    heartbeat: heartbeat === false ? false : { ...defaultHeartbeat, ...heartbeat },
    connectTimeoutMs,
    idleCloseMs,
    authCloseCodes,
    fatalCloseCodes,
    maxPayloadBytes,
    discriminator,
    controlTypes,
    resumeParam,
    onAuthError,
    onEventError,
    onCallbackError,
    onlineManager,
    focusManager,
    random,
  }
}
