import type { OperationChannel } from './projectState'
import type { IncomingMessage } from 'node:http'
import type { WebSocket } from 'ws'
import { InMemoryEventBus, type EventBus } from './eventBus'
import { MAX_TIMER_MS } from '../transport/backoff'
import { hostnameOf, type AllowedHosts } from './http/hostPolicy'
import type { AllowedOrigins } from './http/originPolicy'
import { consoleLogger, loggerFromLogFunction, type ServerLogger } from './logger'

/** Options of `createLiveStatusServer`: authentication, authorization, limits, timers, the event bus and logging. Every one has a default but `authenticate`. */
export interface LiveStatusServerOptions<User> {
  /**
   * Who owns `token`; `null`/`undefined` rejects it (4401 on sockets, 401 on REST and SSE). A throw is answered 1011 / 500.
   * On a `recheckAccessMs` check it gets the connection's upgrade (or SSE) request unless it is
   * written with one plain parameter (`(token) => …`, `function (token)`): that one is called with
   * the token alone, so an idle connection does not keep its request for it (about 1.2 KiB). Any
   * other form (`(token, request)`, `(token, request = …)`, `(...args)`, a bound function) gets it.
   */
  authenticate: (token: string, request: IncomingMessage) => User | null | undefined | Promise<User | null | undefined>
  /**
   * Who may see which project. A function answers whether `user` may see `projectId` (`false` →
   * 4403 on sockets, 403 on REST and SSE; a throw → 1011 / 500). `'any-authenticated-user'` lets every
   * user `authenticate` accepts see every project: pass it only when that really is the policy
   * (a single-tenant app, a demo). The start-up log names the mode in effect.
   * @default undefined: every join is refused (4403 / 403, sockets and SSE streams alike), with a warning at start-up naming the
   * fix. Fails closed: a token for one project never reads another because an option was left out.
   */
  authorize?: ((user: User, projectId: string) => boolean | Promise<boolean>) | typeof ANY_AUTHENTICATED_USER
  /**
   * A stable id of `user`, the key of per-user limits.
   * @default the user's `id`, `sub` or `userId` (string or number), or the user itself when it is a
   * string or number; any other user is refused with 1011 and a log line asking for this option.
   */
  userId?: (user: User) => string
  /**
   * When set, upgrades whose `Origin` is not allowed are refused with 403 (cross-site WebSocket
   * hijacking), REST and SSE requests from a refused `Origin` too (counted as `origin`), and REST
   * and SSE answer allowed origins with CORS headers (pages served elsewhere). A REST or SSE request
   * without `Origin` is let through (to its token check): browsers send none on a same-origin `GET`,
   * and always one across origins. Either
   * the exact origins (`['https://app.example.com']`: what production should use), or a predicate
   * over the `Origin` header, such as `isLocalDevOrigin` (any port on `http://localhost`,
   * `127.0.0.1`, `[::1]`) for a development server. The first refusal of each origin is logged
   * once (`warn`), naming it and this option.
   * @default undefined (any origin on sockets and SSE; REST and SSE send no CORS headers)
   */
  allowedOrigins?: AllowedOrigins
  /**
   * When set, every request and upgrade whose `Host` header names another host is answered 403,
   * whatever its path (a server embedded with `handleRequest` refuses for its app's routes too).
   * This is what stops DNS rebinding: a page on a name the attacker controls, re-pointed at the
   * machine's loopback, is same-origin with this server, so the `Origin` check never sees it. Host
   * names without ports (`['api.example.com']`), or a predicate over the name, such as the exported
   * `isLoopbackHost` (`localhost`, `127.0.0.1`, `[::1]`) for a development server.
   * Behind a proxy, list the names the proxy forwards. The first refusal of each name is logged
   * once (`warn`), naming it and this option.
   * @default undefined (any Host)
   */
  allowedHosts?: AllowedHosts
  /**
   * Connections one user may hold at once on this instance, sockets and SSE streams counted
   * together; the next socket gets 4429, the next SSE request 429. Counted per instance: N
   * instances behind one load balancer let a user hold up to N times this many.
   *
   * A function gives each user their own cap, asked at each admission (it may answer a promise):
   * the service user of a relay (`referenceServerSource`, one upstream stream per browser stream)
   * gets the streams the app serves at once, or `Infinity`, while every other user keeps the
   * default. An answer that is not a number ≥ 1 (or `Infinity`), and a throw, refuse that
   * connection with 1011 and a log line.
   * @default 10
   */
  maxConnectionsPerUser?: number | ((user: NonNullable<User>, userId: string) => number | Promise<number>)
  /** Largest client frame; bigger ones close the socket with 1009. @default 65536 (64 KiB) */
  maxPayloadBytes?: number
  /**
   * Largest frame the server sends: snapshots, replays and batches are split into frames under this
   * size (UTF-8 bytes). Keep it under the client's `maxPayloadBytes` (1 MiB in the reference client).
   * A single event bigger than this is dropped and counted (`event_too_large`).
   * @default 262144 (256 KiB)
   */
  maxFrameBytes?: number
  /** Frames a socket may send before it is authenticated; one more closes it with 1002. @default 8 */
  maxPreAuthFrames?: number
  /** Bytes a socket may send before it is authenticated; more closes it with 1002. @default 65536 (64 KiB) */
  maxPreAuthBytes?: number
  /**
   * Unsupported or unreadable client messages a socket may send within `invalidFramesWindowMs`.
   * Each is answered with `{"type":"client_error","messageType":…,"reason":…}` and the socket stays
   * open (it is shared by every component of a tab: one component's mistake must not cut the
   * others off); one more within the window is a flood and closes the socket with 1002.
   * @default 100
   */
  maxInvalidFrames?: number
  /**
   * The window `maxInvalidFrames` is counted in; the count starts again after it. `Infinity` counts
   * over the socket's whole life.
   * @default 10000
   */
  invalidFramesWindowMs?: number
  /**
   * Project ids accepted in socket paths, SSE paths, REST paths and `publish`: anything else is
   * refused (400; 404 on SSE paths) or thrown on (`publish`). Decoded ids are tested, so `..%2F` or `%00` never pass.
   * @default /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/
   */
  projectIdPattern?: RegExp
  /**
   * A socket that sends nothing (not even a pong) for this long is dropped. Not SSE streams, whose
   * clients cannot answer: they watch the heartbeat (`sseHeartbeatMs`) and reconnect.
   * @default 60000
   */
  idleTimeoutMs?: number
  /** Events of a burst are sent together after this long… @default 50 */
  batchIntervalMs?: number
  /** …or as soon as this many are waiting. @default 100 */
  batchMaxEvents?: number
  /**
   * A client whose unsent data exceeds this is too slow and is dropped (a socket terminated, an SSE
   * stream cut), counted as `slow_consumer`.
   * @default 4194304 (4 MiB)
   */
  maxBufferedBytes?: number
  /**
   * Finished operations (completed, failed, cancelled) are forgotten this long after their last
   * event, so a long-running server does not grow without bound. `Infinity` keeps them.
   * @default 3600000 (1 hour)
   */
  retainFinishedMs?: number
  /**
   * The channel whose vocabulary the published operation events speak, folded into the state the
   * snapshots and REST answers come from: a dialect's (`documentIndexerOperationChannel` for a
   * server that relays the document indexer's worker events) or the reference protocol's.
   * @default operationProgressChannel (the reference protocol)
   */
  operationChannel?: OperationChannel
  /**
   * With message auth, the time allowed for the `{ type: 'auth', token }` frame (then 4401). A socket
   * not admitted within twice this long (a hung `authenticate`, `authorize` or
   * `maxConnectionsPerUser`) is closed with 1011, and so is one whose `recheckAccessMs` check has not
   * answered within twice this long. At most 1,073,741,823 ms.
   * @default 5000
   */
  authTimeoutMs?: number
  /**
   * How often an admitted socket or SSE stream asks `authenticate` and `authorize` again with the
   * token it was admitted with: once they refuse (a signed-out user, a revoked or expired token, a
   * project taken away) it is closed as admission would have refused it (4401, 4403; 1011 when
   * they throw, or do not answer within twice `authTimeoutMs`), and the client stops or reconnects
   * as those codes say. A check still out is not asked again. 1 to 2,147,483,647 ms (what a timer
   * can wait); `false`: checked once.
   * @default 300000 (5 minutes)
   */
  recheckAccessMs?: number | false
  /** `close()` terminates the sockets (and SSE streams) that have not closed this long after their 1001 (the stream's end). @default 5000 */
  closeTimeoutMs?: number
  /** `/readyz` answers 503 when the bus has not answered within this long. @default 2000 */
  readinessTimeoutMs?: number
  /**
   * With a shared bus that keeps checkpoints (`RedisStreamsBus`): how often each followed project's
   * state is written as its checkpoint, so an instance new to the project rebuilds what the stream
   * has already trimmed. Keep it well under the bus's `minAgeMs` (entries younger are never trimmed).
   * @default 10000
   */
  checkpointIntervalMs?: number
  /**
   * With a shared bus: how long an instance new to a project may take to read its state from the
   * bus. Past it (Redis down or stalled) the project's sockets are closed with 1013 (try again) and
   * its SSE and REST routes answer 503, rather than serve a state missing what the bus holds.
   * @default 5000
   */
  rebuildTimeoutMs?: number
  /**
   * Whether `handleRequest` serves `/healthz`, `/readyz` and `/metrics` (Prometheus text, or JSON
   * with `Accept: application/json` or `?format=json`). They carry counts only: no ids, no tokens.
   * @default true
   */
  serviceRoutes?: boolean
  /**
   * Whether a socket or an SSE request may carry its token in the URL (`?token=…`, see
   * `tokenQueryParam`). URLs end up in proxy and access logs and in browser history, so by default
   * such a socket is closed with 4401 and a reason naming the fix: send `{ "type": "auth", "token": … }`
   * as the first message, or offer the subprotocols `bearer, <token>`; such an SSE request is
   * answered 401, naming `Authorization: Bearer`. Turn it on only for clients that can do neither
   * (the browser's `EventSource` cannot send headers).
   * @default false
   */
  allowTokenInQuery?: boolean
  /** Query parameter carrying the token: read with `allowTokenInQuery`, refused without it. @default 'token' */
  tokenQueryParam?: string
  /**
   * Interval of the `: ping` comment lines on `/sse/projects/{projectId}` streams: they let a
   * client tell a quiet stream from a dead one, and keep proxies' idle timeouts from cutting it.
   * Keep it well under the client's idle limit and the proxies' read timeouts (nginx: 60 s).
   * @default 15000
   */
  sseHeartbeatMs?: number
  /**
   * The `retry:` field sent once at the start of each SSE stream: how long a client waits before
   * reconnecting after the stream ends (a client with its own backoff may treat it as a floor).
   * @default 2000
   */
  sseRetryMs?: number
  /** Fan-out and history. @default new InMemoryEventBus({ historySize: 1000 }) */
  bus?: EventBus
  /**
   * Called by `POST …/reindex` after `index_queued` is published; start the job here. When it throws
   * or rejects, `index_failed` is published and the request answered 500.
   * @default undefined (501)
   */
  onReindex?: (projectId: string, branch: string | undefined, user: User) => void | Promise<void>
  /**
   * Called by `POST /api/projects/{projectId}/operations` after `operation_started` (status
   * `pending`) is published for the new operation, so `GET /api/operations/{id}` and the project's
   * sockets know it before the request is answered (201). Start the job here; the worker publishes
   * its progress and its end with `publish(projectId, { operation_id, … })`. When it throws or
   * rejects, `operation_failed` is published for the operation and the request answered 500.
   * @default undefined (501)
   */
  onStartOperation?: (request: StartOperationRequest<User>) => void | Promise<void>
  /**
   * Called by `POST /api/operations/{operationId}/cancel` for an operation that has not ended,
   * after `authorize` allowed its project; the request is then answered 202 `cancelling`. Ask the
   * worker to stop: it **must** then publish `operation_cancelled` for the operation (through
   * `publish`, like every event), since nothing else ends it. A second cancel of the same operation
   * before that event arrives calls this again: make it idempotent. A throw answers 500 and
   * publishes nothing.
   * @default undefined (501)
   */
  onCancelOperation?: (request: CancelOperationRequest<User>) => void | Promise<void>
  /**
   * Called for each accepted, authenticated socket (metrics, fault injection); a throw closes it
   * with 1011. Not called for SSE streams (there is no socket to hand over).
   * @default undefined
   */
  onConnection?: (socket: WebSocket, info: { projectId: string; userId: string }) => void
  /**
   * A pino-style logger (`info`/`warn`/`error(fields, message)`, `debug` optional). Tokens never
   * reach it. A logger that throws loses the line, nothing else.
   * @default info, warnings and errors on the console
   */
  logger?: ServerLogger
  /**
   * The older, unstructured form of `logger`: warnings and errors as `(message, error)`. Ignored when
   * `logger` is given.
   * @default undefined
   */
  log?: (message: string, error?: unknown) => void
}

/** What `onStartOperation` is given. */
export interface StartOperationRequest<User> {
  projectId: string
  /** The client's `operation_id` when it proposed one (validated, new), else a random UUID. */
  operationId: string
  /** The body's `type`, when it is a string. */
  type: string | undefined
  /** The whole JSON body (`type` and `operation_id` included): the job's parameters. */
  body: Record<string, unknown>
  user: User
}

/** What `onCancelOperation` is given. */
export interface CancelOperationRequest<User> {
  projectId: string
  operationId: string
  user: User
}

/** `authorize: 'any-authenticated-user'`: every authenticated user may see every project (open access, said out loud). */
export const ANY_AUTHENTICATED_USER = 'any-authenticated-user'

/** How joins are authorized, as the start-up log names it. */
export type AuthorizationMode = 'authorize' | typeof ANY_AUTHENTICATED_USER | 'none'

/** The defaults, written once: the resolved options' type is derived from them. */
export const serverDefaults = {
  maxConnectionsPerUser: 10,
  maxPayloadBytes: 64 * 1024,
  maxFrameBytes: 256 * 1024,
  maxPreAuthFrames: 8,
  maxPreAuthBytes: 64 * 1024,
  maxInvalidFrames: 100,
  invalidFramesWindowMs: 10_000,
  projectIdPattern: /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/ as RegExp,
  idleTimeoutMs: 60_000,
  batchIntervalMs: 50,
  batchMaxEvents: 100,
  maxBufferedBytes: 4 * 1024 * 1024,
  retainFinishedMs: 3_600_000,
  authTimeoutMs: 5000,
  recheckAccessMs: 300_000 as number | false,
  closeTimeoutMs: 5000,
  readinessTimeoutMs: 2000,
  checkpointIntervalMs: 10_000,
  rebuildTimeoutMs: 5000,
  serviceRoutes: true,
  sseHeartbeatMs: 15_000,
  sseRetryMs: 2000,
  allowTokenInQuery: false,
  tokenQueryParam: 'token',
}

export type ResolvedOptions<User> = Omit<typeof serverDefaults, 'maxConnectionsPerUser'> & {
  maxConnectionsPerUser: number | ((user: NonNullable<User>, userId: string) => number | Promise<number>)
  authenticate: LiveStatusServerOptions<User>['authenticate']
  authorize: (user: User, projectId: string) => boolean | Promise<boolean>
  /** Which `authorize` was given: a function, open access, or none (every join refused). */
  authorization: AuthorizationMode
  userId: (user: User) => string
  allowedOrigins: AllowedOrigins | undefined
  allowedHosts: AllowedHosts | undefined
  bus: EventBus
  onReindex: LiveStatusServerOptions<User>['onReindex']
  onStartOperation: LiveStatusServerOptions<User>['onStartOperation']
  onCancelOperation: LiveStatusServerOptions<User>['onCancelOperation']
  onConnection: LiveStatusServerOptions<User>['onConnection']
  logger: ServerLogger
  operationChannel: OperationChannel | undefined
}

/** Thrown by the default `userId` for a user it cannot key: the message names the fix. */
export class UserIdError extends Error {
  constructor() {
    super(
      '[live-status/server] Could not derive a stable user id: `authenticate` returned a user without `id`, `sub` or `userId`. Pass a `userId` option.',
    )
    this.name = 'UserIdError'
  }
}

const keyOf = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : typeof value === 'number' && Number.isFinite(value) ? String(value) : undefined

/** `id`, `sub` or `userId` of common user shapes (a JWT payload, a database row), or the user itself. */
export function defaultUserId(user: unknown): string {
  const direct = keyOf(user)
  if (direct !== undefined) return direct
  if (typeof user === 'object' && user !== null) {
    const record = user as Record<string, unknown>
    const key = keyOf(record.id) ?? keyOf(record.sub) ?? keyOf(record.userId)
    if (key !== undefined) return key
  }
  throw new UserIdError()
}

const positive = (name: string, value: number, allowInfinity = false) => {
  if (!(typeof value === 'number' && value > 0 && (Number.isFinite(value) || allowInfinity)))
    throw new TypeError(`[live-status/server] ${name} must be a positive number (got ${String(value)})`)
}

/** The options a timer is set with, and the most each may be: admission's deadline is twice `authTimeoutMs`. */
export const timerOptionMaxMs = {
  idleTimeoutMs: MAX_TIMER_MS,
  batchIntervalMs: MAX_TIMER_MS,
  closeTimeoutMs: MAX_TIMER_MS,
  readinessTimeoutMs: MAX_TIMER_MS,
  checkpointIntervalMs: MAX_TIMER_MS,
  rebuildTimeoutMs: MAX_TIMER_MS,
  sseHeartbeatMs: MAX_TIMER_MS,
  sseRetryMs: MAX_TIMER_MS,
  authTimeoutMs: Math.floor(MAX_TIMER_MS / 2),
  recheckAccessMs: MAX_TIMER_MS,
} as const

/** A delay a timer is set with: 1 ms or more (a fraction of a ms repeats at once, forever), and no more than a timer can wait. */
const timerMs = (name: keyof typeof timerOptionMaxMs, value: number) => {
  positive(name, value)
  const max = timerOptionMaxMs[name]
  if (value < 1 || value > max) throw new TypeError(`[live-status/server] ${name} must be between 1 and ${max} ms (got ${String(value)})`)
}

/** A per-user cap: a whole number ≥ 1, or `Infinity` for none. Also what a `maxConnectionsPerUser` function must answer. */
export const isConnectionCap = (value: unknown): value is number => typeof value === 'number' && (Number.isInteger(value) ? value >= 1 : value === Infinity)

const refuseAll = () => false
const allowAll = () => true

function authorizationOf<User>(authorize: LiveStatusServerOptions<User>['authorize']): Pick<ResolvedOptions<User>, 'authorize' | 'authorization'> {
  if (typeof authorize === 'function') return { authorize, authorization: 'authorize' }
  if (authorize === ANY_AUTHENTICATED_USER) return { authorize: allowAll, authorization: ANY_AUTHENTICATED_USER }
  if (authorize === undefined) return { authorize: refuseAll, authorization: 'none' }
  throw new TypeError(
    `[live-status/server] \`authorize\` must be a function (user, projectId) => boolean, or '${ANY_AUTHENTICATED_USER}' (got ${typeof authorize === 'string' ? JSON.stringify(authorize) : typeof authorize})`,
  )
}

function allowedOriginsOf(allowed: unknown): AllowedOrigins | undefined {
  if (allowed === undefined || typeof allowed === 'function') return allowed as AllowedOrigins | undefined
  if (Array.isArray(allowed) && allowed.every((origin) => typeof origin === 'string')) return allowed
  // A lone string would be searched character by character; anything else would allow nothing, silently.
  throw new TypeError(
    `[live-status/server] \`allowedOrigins\` must be a list of origins (['https://app.example.com']) or a function (origin) => boolean (got ${typeof allowed === 'string' ? JSON.stringify(allowed) : typeof allowed})`,
  )
}

function allowedHostsOf(allowed: unknown): AllowedHosts | undefined {
  if (allowed === undefined || typeof allowed === 'function') return allowed as AllowedHosts | undefined
  // A port or a scheme in an entry would never match a host name: refused now rather than allowing nothing.
  if (Array.isArray(allowed) && allowed.every((host) => typeof host === 'string' && hostnameOf(host) === host.toLowerCase())) return allowed.map((host: string) => host.toLowerCase())
  throw new TypeError(
    `[live-status/server] \`allowedHosts\` must be a list of host names without ports (['api.example.com']) or a function (hostname) => boolean (got ${Array.isArray(allowed) ? JSON.stringify(allowed).slice(0, 200) : typeof allowed})`,
  )
}

export function resolveOptions<User>(options: LiveStatusServerOptions<User>): ResolvedOptions<User> {
  if (typeof options?.authenticate !== 'function') throw new TypeError('[live-status/server] `authenticate(token, request)` is required')
  const defined = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as LiveStatusServerOptions<User>
  const resolved: ResolvedOptions<User> = {
    ...serverDefaults,
    ...(defined as Partial<typeof serverDefaults>),
    authenticate: options.authenticate,
    operationChannel: options.operationChannel,
    ...authorizationOf(options.authorize),
    userId: options.userId ?? defaultUserId,
    allowedOrigins: allowedOriginsOf(options.allowedOrigins),
    allowedHosts: allowedHostsOf(options.allowedHosts),
    bus: options.bus ?? new InMemoryEventBus({ historySize: 1000 }),
    onReindex: options.onReindex,
    onStartOperation: options.onStartOperation,
    onCancelOperation: options.onCancelOperation,
    onConnection: options.onConnection,
    logger: options.logger ?? (options.log ? loggerFromLogFunction(options.log) : consoleLogger),
  }
  const cap = resolved.maxConnectionsPerUser
  if (typeof cap !== 'function' && !isConnectionCap(cap)) throw new TypeError(`[live-status/server] maxConnectionsPerUser must be a whole number, 1 or more, Infinity, or a function (got ${String(cap)})`)
  for (const name of ['maxPayloadBytes', 'maxFrameBytes', 'maxPreAuthFrames', 'maxPreAuthBytes', 'maxInvalidFrames', 'batchMaxEvents', 'maxBufferedBytes'] as const)
    positive(name, resolved[name])
  for (const name of Object.keys(timerOptionMaxMs) as (keyof typeof timerOptionMaxMs)[]) {
    const value = resolved[name]
    if (value !== false) timerMs(name, value)
  }
  positive('retainFinishedMs', resolved.retainFinishedMs, true)
  positive('invalidFramesWindowMs', resolved.invalidFramesWindowMs, true)
  return resolved
}
