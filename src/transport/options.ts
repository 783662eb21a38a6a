import type { CrossTab } from './crossTab/crossTab'
import type { AuthTransport } from './authTransport'
import { authCloseCodes, fatalCloseCodes } from './closeCodes'
import { steady, type FocusSource, type OnlineSource } from './environment'
import { compact } from './compact'

export type { FocusSource, OnlineSource }
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
   * The retry budget resets once a socket has stayed open this long. Events do not reset it: a
   * server that accepts, sends one event and closes, in a loop, gets backoff and, at the budget,
   * `closed`.
   * @default 5000
   */
  stableAfterMs?: number
}

/**
 * Application-level keep-alive, as `keepAlive()` and `LiveStatusClient`'s `heartbeat` take it:
 * WebSockets can die without a close frame (half-open).
 */
export interface HeartbeatOptions {
  /** Silence (no inbound frame) after which a ping is sent; with `schedule: 'fixed'`, the time between pings. @default 25000 */
  intervalMs?: number
  /** Time after the ping within which any frame must arrive, else the socket is dead. @default 10000 */
  timeoutMs?: number
  /** The ping; objects are sent as JSON. @default `{ type: 'ping' }`, in the `discriminator`'s field (`{ op: 'ping' }` with `discriminator: 'op'`) */
  message?: unknown
  /**
   * `idle`: ping only after `intervalMs` of silence (enough to find a dead socket). `fixed`: ping
   * every `intervalMs` whatever the traffic, for servers that drop a client whose own last message
   * is too old however busy the stream (the app builder drops it after 60 s).
   * @default 'idle'
   */
  schedule?: 'idle' | 'fixed'
}

/** A keep-alive running on one socket (what `KeepAlive.start` returns). */
export interface Heartbeat {
  /** Any inbound frame: the peer is alive. Cheap: called per frame, it touches no timer. */
  activity(): void
  stop(): void
}

/** What a keep-alive is started on: a connection, which sends on its socket, and its options. */
export interface HeartbeatTarget {
  /** Sends on the socket (objects as JSON). */
  send(message: unknown): boolean
  /** The connection's options: without a `message`, the ping goes in the `discriminator`'s field. */
  readonly options: { readonly discriminator: string }
}

/**
 * A keep-alive as a `SocketHub` takes it: `heartbeat: keepAlive({ … })` (from
 * `live-status/transport`), every field with its default, and the code that runs them. The code
 * travels with the option so that a hub without a heartbeat bundles none.
 */
export interface KeepAlive extends HeartbeatOptions {
  /**
   * Starts pinging the connection's socket, which has just opened. A method: it reads the fields
   * of the object it is called on (those not set, or set to `undefined`, from `defaultHeartbeat`),
   * so a copy with other fields (`{ ...keepAlive(), intervalMs: 10_000 }`, as a dialect's options
   * merged with an app's are) runs with the copy's.
   */
  start(this: KeepAlive, connection: HeartbeatTarget, onTimeout: () => void): Heartbeat
}

/**
 * How a reconnect asks the server for what it missed, as a `SocketHub` takes it:
 * `resumeParam: resumeBySeq('since')` (from `live-status/transport`). Like `KeepAlive`, it carries
 * its code, so that a hub that does not resume bundles none.
 */
export interface ResumeParam {
  /** The query parameter the position is sent in (`since`: `?since=<position>`). */
  param: string
  /**
   * The position after a message some subscriber took, from the position before it (0 at first).
   * Anything above 0 is sent on the next connect.
   */
  next: (position: number, message: Record<string, unknown>) => number
}

/**
 * Answers a server's control message (see `controlTypes`); what it returns, unless `undefined`, is
 * sent back (objects as JSON). `discriminator` is the field the hub reads types from.
 */
export type ControlReply = (message: Record<string, unknown>, discriminator: string) => unknown

/**
 * Connection options that may differ between the endpoints of one hub: one backend may take a
 * subprotocol on one socket and nothing on another, or mean "too many sockets" by 1008.
 */
export type EndpointOptions = Pick<
  SocketHubOptions,
  'auth' | 'protocols' | 'authCloseCodes' | 'fatalCloseCodes' | 'heartbeat' | 'reply' | 'controlTypes' | 'discriminator' | 'batches' | 'binaryFrames' | 'WebSocket' | 'resumeParam'
>

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
  /**
   * How the token reaches the server. The default keeps it out of URLs (which proxies log and
   * browsers print): a first message `{ type: 'auth', token }`, as the reference server and
   * graphql-ws take it. `{ type: 'query' }` for backends that read `?token=`; `{ type: 'none' }`
   * for cookie auth (no token at all).
   * @default { type: 'message', message: (token) => ({ type: 'auth', token }) }
   */
  auth?: AuthTransport
  /**
   * Subprotocols offered on every connect, before those of the auth transport. A server that does
   * not pick one of them makes `ws` (Node) fail the handshake: offer them only where they are taken.
   * @default undefined (none)
   */
  protocols?: readonly string[]
  /**
   * Options for some endpoints only, by socket URL (without the token): e.g.
   * `url => url.includes('/ws/directory-scan/') ? { auth: { type: 'query' } } : undefined`. What it
   * returns overrides the hub's options for that URL; asked once per connection.
   * @default undefined
   */
  endpointOptions?: (url: string) => EndpointOptions | undefined
  /** The WebSocket constructor, e.g. `ws`'s on Node. @default globalThis.WebSocket */
  WebSocket?: WebSocketConstructor
  /** Reconnect policy. @default { initialDelayMs: 1000, maxDelayMs: 30000, maxAttempts: 10, stableAfterMs: 5000 } */
  reconnect?: ReconnectOptions
  /**
   * Keep-alive: `keepAlive({ intervalMs, timeoutMs, message, schedule })` from
   * `live-status/transport` (a ping after 25 s of silence, 10 s for anything to arrive, unless
   * told otherwise). Without it a socket that dies without a close frame (half-open) stays `open`
   * until the OS notices, which can take hours. Off unless given: its code is bundled only then
   * (`LiveStatusClient` and the provider give one unless told `heartbeat: false`). `false` turns
   * off a hub's keep-alive for an endpoint (`endpointOptions`).
   * @default undefined (none)
   */
  heartbeat?: KeepAlive | false
  /** A socket that has not opened within this time counts as a failed attempt. @default 10000 */
  connectTimeoutMs?: number
  /** After the last subscriber leaves, the socket stays this long for one that comes back. @default 1000 */
  idleCloseMs?: number
  /**
   * Close codes that mean "the server refused the token": no retry until the token changes (a
   * token replaced while its socket was refused is retried with the current one at once). Backends
   * that also close 1008 for "too many sockets" should leave 1008 out (see `endpointOptions`).
   * @default [1008, 4401, 4403]
   */
  authCloseCodes?: readonly number[]
  /**
   * Close codes after which retrying cannot help. 1002 is not among them: it is retried unless it
   * repeats on every attempt (see `closeAction`); list it here to give up at the first one.
   * @default [1003, 1007, 1009, 1010]
   */
  fatalCloseCodes?: readonly number[]
  /** Frames larger than this are dropped unparsed; while more than this waits unsent, nothing more is queued (`send` answers `false`). @default 1048576 (1 MiB) */
  maxPayloadBytes?: number
  /** Frames whose JSON nests deeper than this are dropped unparsed (parse time grows with depth). @default 64 */
  maxNestingDepth?: number
  /** Field that names an event's type: `type` for most backends, `event` for the transcriber. @default 'type' */
  discriminator?: string
  /**
   * Envelope types that carry many messages, with the field that holds them: an envelope is named
   * by its `discriminator` field, or by `type` (`{ many: 'items' }` takes `{"kind":"many","items":[…]}`
   * with `discriminator: 'kind'`). Each message keeps the envelope's other fields (not its name or
   * `seq`) unless it sets them itself.
   * @default { batch: 'events' } (the reference server's)
   */
  batches?: Readonly<Record<string, string>>
  /**
   * Reads a binary frame as JSON text, for backends that send their JSON in binary frames:
   * `binaryFrames: jsonInBinaryFrames` (from `live-status/transport`), which takes a frame whose
   * bytes start with `{` or `[` (after a byte-order mark and white space). The text then meets the limits a text frame does (over
   * `maxPayloadBytes` it is `too_large`, and its queries refetch). A frame it answers `undefined`
   * for stays binary, whatever its size: handed to a channel's `decodeBinary`, else dropped and
   * counted as `binary` (no refetch). `false` turns a dialect's reader off. A reader that parses
   * to decide (as `jsonInBinaryFrames` does for a frame that is not UTF-8) gets the socket's
   * `maxPayloadBytes` and `maxNestingDepth`, so that it never parses what the decoder would drop unparsed.
   * @default undefined (every binary frame is binary)
   */
  binaryFrames?: ((data: ArrayBuffer | ArrayBufferView, maxPayloadBytes: number, maxNestingDepth: number) => string | undefined) | false | undefined
  /**
   * Message types that only prove the connection alive (our ping's answer, the server's pings and
   * heartbeats): consumed without validation or reporting, and handed to `reply`.
   * @default ['ping', 'pong', 'heartbeat']
   */
  controlTypes?: readonly string[]
  /**
   * Answers the server's control messages, for servers that check the client is alive: the
   * document indexer pings with `{"type":"ping"}` and wants `{"type":"pong"}`; the app builder
   * wants each `heartbeat` answered (`m => m.type === 'heartbeat' ? { type: 'heartbeat' } : undefined`).
   * `false` answers nothing.
   * @default answers a ping with a pong in the field the ping used: `{ type: 'ping' }` with `{ type: 'pong' }`, and with `discriminator: 'op'`, `{ op: 'ping' }` with `{ op: 'pong' }`
   */
  reply?: ControlReply | false
  /**
   * How a reconnect asks the server for what it missed: `resumeBySeq('since')` (from
   * `live-status/transport`) sends the highest `seq` of a message a subscriber took, as the
   * reference server's `?since=`. Off unless given: its code is bundled only then.
   * @default undefined (no resume: a reconnect starts from what the server sends)
   */
  resumeParam?: ResumeParam
  /** Called once per token when the server rejects it (close code or `markUnauthorized`), never for a token already replaced. @default undefined */
  onAuthError?: (info: AuthErrorInfo) => void
  /**
   * Called when a socket fails before it opens (1006). A server that refuses a bad token before
   * the upgrade (HTTP 401/403) looks exactly like a network failure to a browser: check the token
   * over REST here and call `markUnauthorized()` if it is refused. `LiveStatusClient`'s
   * `authCheckPath` does this for you.
   * @default undefined
   */
  onHandshakeError?: (info: { url: string }) => void
  /** Called for each dropped frame or message. Exceptions thrown in it are swallowed. @default undefined */
  onEventError?: (error: EventError) => void
  /**
   * Where failures of app callbacks (a subscriber that throws) are reported.
   * @default console.error
   */
  onCallbackError?: (error: unknown) => void
  /** Online state source: no attempts while offline, one at once when online again. @default always online on a bare hub (`browserOnline` from `live-status/transport` reads the browser's; `LiveStatusClient` passes TanStack Query's `onlineManager`) */
  onlineManager?: OnlineSource
  /** Visibility source: a tab made visible revives a connection that gave up. @default none on a bare hub (`LiveStatusClient` passes TanStack Query's `focusManager`) */
  focusManager?: FocusSource
  /** Random source for backoff jitter, in [0, 1). @default Math.random */
  random?: () => number
  /**
   * Share each socket with the other tabs of this browser profile: `createCrossTab({ key })` (from
   * `live-status/cross-tab`; `null` where tabs cannot share, e.g. on the server). One tab holds the
   * socket, the others follow it; each keeps its own status, backoff and heartbeat. A resume
   * position (`resumeParam`) is not sent on shared sockets: a tab that missed frames refetches.
   * @default undefined (a socket per tab)
   */
  crossTab?: CrossTab | null
}

/** Every option with its default applied. */
export interface ResolvedHubOptions {
  getToken: (() => AccessToken | Promise<AccessToken>) | undefined
  auth: AuthTransport
  protocols: readonly string[] | undefined
  endpointOptions: ((url: string) => EndpointOptions | undefined) | undefined
  WebSocket: WebSocketConstructor | undefined
  reconnect: Required<ReconnectOptions>
  heartbeat: KeepAlive | false | undefined
  connectTimeoutMs: number
  idleCloseMs: number
  authCloseCodes: readonly number[]
  fatalCloseCodes: readonly number[]
  maxPayloadBytes: number
  maxNestingDepth: number
  discriminator: string
  batches: Readonly<Record<string, string>> | undefined
  binaryFrames: SocketHubOptions['binaryFrames']
  controlTypes: readonly string[]
  reply: ControlReply | false
  resumeParam: ResumeParam | undefined
  onAuthError: ((info: AuthErrorInfo) => void) | undefined
  onHandshakeError: ((info: { url: string }) => void) | undefined
  onEventError: ((error: EventError) => void) | undefined
  onCallbackError: (error: unknown) => void
  onlineManager: OnlineSource
  focusManager: FocusSource
  random: () => number
  crossTab: CrossTab | null | undefined
}

/** What `reconnect` fills in: the first retry after 1 s, doubling (with jitter) to 30 s, ten attempts, 5 s open to count as stable. */
export const defaultReconnect: Required<ReconnectOptions> = {
  initialDelayMs: 1000,
  maxDelayMs: 30_000,
  maxAttempts: 10,
  stableAfterMs: 5000,
}

/** What a keep-alive runs with where a field is not set; `message` unset: a ping in the field of the endpoint's `discriminator`. */
export const defaultHeartbeat: Required<Omit<HeartbeatOptions, 'message'>> = {
  intervalMs: 25_000,
  timeoutMs: 10_000,
  schedule: 'idle',
}

// A backend naming types by another field pings in that field, and wants its pong there too.
const answerPing: ControlReply = (message, discriminator) => {
  const field = message[discriminator] === 'ping' ? discriminator : message.type === 'ping' ? 'type' : undefined
  return field && { [field]: 'pong' }
}

/** The reference server's auth: the token in a first message, as graphql-ws does; never in a URL (proxies log URLs, browsers print them). */
const referenceAuth: AuthTransport = { type: 'message', message: (token) => ({ type: 'auth', token }) }

/** The transport's defaults, in one place (`reconnect` and `keepAlive()` have theirs above). */
export const transportDefaults: Partial<ResolvedHubOptions> = {
  auth: referenceAuth,
  connectTimeoutMs: 10_000,
  idleCloseMs: 1000,
  authCloseCodes,
  fatalCloseCodes,
  maxPayloadBytes: 1024 * 1024,
  maxNestingDepth: 64,
  discriminator: 'type',
  controlTypes: ['ping', 'pong', 'heartbeat'],
  reply: answerPing,
  onCallbackError: (error: unknown) => console.error('[live-status] a callback threw:', error),
  onlineManager: steady,
  focusManager: steady,
  random: Math.random,
}

export function resolveHubOptions(options: SocketHubOptions): ResolvedHubOptions {
  // The token lives in the hub (it changes); a copy here would go stale, and leak wherever options are shown.
  const { token, ...rest } = options
  // Every option that is set: one passed through as `undefined` hides no default.
  // `reconnect` last, as an assignment after the spread put it (a key the spread made keeps its place).
  return { ...transportDefaults, ...compact(rest), reconnect: { ...defaultReconnect, ...compact({ ...options.reconnect }) } } as ResolvedHubOptions
}

/** The hub's options with one endpoint's overrides (see `SocketHubOptions.endpointOptions`) applied. */
export function resolveEndpointOptions(options: ResolvedHubOptions, url: string): ResolvedHubOptions {
  const overrides = options.endpointOptions?.(url)
  if (!overrides) return options
  return { ...options, ...compact(overrides) } as ResolvedHubOptions
}
