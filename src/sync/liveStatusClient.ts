import { focusManager, onlineManager, type QueryClient } from '@tanstack/query-core'
import { syncDefaults, type ClientEndpointOptions, type Dialect, type FetchLike, type LiveStatusClientOptions } from './clientOptions'
import { isBuiltInChannel, type ChannelDefinition } from './defineChannel'
import { defaultEndpoints, joinUrl, toWebSocketBase, type Endpoints } from './endpoints'
import { FlushQueue, frameScheduler } from './flushScheduler'
import type { LiveActivity, SyncHost } from './liveQuerySync'
import { LiveRegistry, type RegistryHost } from './liveRegistry'
import { PollingCover, type LiveConnectionStatus } from './pollingCover'
import { getJson, request, restUrl, type Query, type RestHost } from './rest'
import { compact } from './values'
import { keepAlive } from '../transport/heartbeat'
import { isPresentToken, type AccessToken, type EndpointOptions, type ResumeParam, type SocketHubOptions } from '../transport/options'
import { resumeBySeq } from '../transport/resume'
import { SocketHub } from '../transport/socketHub'
import { Listeners } from '../transport/subscribable'
import type { ConnectionSnapshot } from '../transport/types'

export type { ClientEndpointOptions, Dialect, LiveActivity, LiveConnectionStatus, LiveStatusClientOptions }
export { LiveStatusNoTokenError } from './rest'

/** Frames that may have carried an event. Binary frames that are not JSON never do: not here. */
const unreadable: readonly string[] = ['too_large', 'invalid_json', 'not_an_object']

/**
 * The framework-free half of `<LiveStatusProvider>`: the socket hub, the endpoints, authenticated
 * REST (`rest.ts`), the live queries' writers (`liveRegistry.ts`) and whether polling covers for
 * a socket that is down (`pollingCover.ts`).
 */
export class LiveStatusClient implements SyncHost, RegistryHost {
  declare readonly hub: SocketHub
  declare readonly endpoints: Endpoints
  declare readonly apiUrl: string
  declare readonly wsUrl: string
  declare readonly pollIntervalMs: number
  declare readonly quietCheckMs: number | false
  /** The backend dialect in use, if any. */
  declare readonly dialect: Dialect | undefined
  /** Writers with events waiting; flushed together once per frame. */
  declare readonly flushQueue: FlushQueue
  /** @internal */
  declare readonly polling: PollingCover
  /** @internal The REST half, for commands (`sendJson`). */
  declare readonly rest: RestHost
  /** @internal One writer per live query; what `liveSockets` (`live-status/devtools`) reads. */
  declare readonly registry: LiveRegistry
  /** @internal Set by `watchActivity` (`live-status/devtools`); unset, writers build no report. */
  declare observe?: (activity: LiveActivity) => void
  #token: AccessToken
  #getToken: (() => AccessToken | Promise<AccessToken>) | undefined
  #tokenListeners = new Listeners()
  #announcedCanRequest: boolean

  constructor(options: LiveStatusClientOptions) {
    const dialect = options.dialect
    const {
      apiUrl,
      wsUrl,
      accessToken,
      getAccessToken,
      endpoints,
      pollIntervalMs,
      fetch,
      authErrorStatuses,
      authCheckPath,
      quietCheckMs,
      scheduleFlush = frameScheduler,
      dialect: _dialect,
      ...hubOptions
    } = resolveOptions(dialect, options)
    this.dialect = dialect
    this.apiUrl = apiUrl
    this.quietCheckMs = quietCheckMs
    this.flushQueue = new FlushQueue(scheduleFlush, (error) => this.hub.options.onCallbackError(error))
    this.wsUrl = wsUrl ?? toWebSocketBase(apiUrl)
    this.endpoints = { ...defaultEndpoints, ...endpoints }
    this.pollIntervalMs = pollIntervalMs
    this.#token = accessToken
    this.#getToken = getAccessToken
    this.rest = {
      apiUrl,
      fetch: fetch as FetchLike | undefined,
      authErrorStatuses,
      resolveToken: () => this.#resolveToken(),
      requiresToken: () => (this.hub.options.auth as { type: string }).type !== 'none',
      rejected: (status) => this.hub.markUnauthorized(`REST answered ${status}`),
    }
    const { onEventError, onHandshakeError } = hubOptions
    let checking = false
    this.hub = new SocketHub({
      ...withCode(hubOptions),
      token: accessToken,
      getToken: getAccessToken,
      onHandshakeError: (info) => {
        onHandshakeError?.(info)
        if (!authCheckPath || checking) return
        // `request` puts the sockets in `unauthorized` when the current token is refused.
        checking = true
        this.request(authCheckPath)
          .catch(() => {})
          .then(() => (checking = false))
      },
      onEventError: (error) => {
        // A frame lost before it could be read (over the size limit, not JSON) may have carried
        // anything: the live queries of that socket refetch rather than miss it in silence.
        if (unreadable.includes(error.reason)) for (const router of this.registry.routers.get(error.url)?.values() ?? []) router.lost(error)
        onEventError?.(error)
      },
    })
    this.polling = new PollingCover(this.hub, this)
    this.registry = new LiveRegistry(this)
    this.#announcedCanRequest = this.canRequest()
  }

  /**
   * The channel this client uses for `channel`: for one of the package's built-in channels, the
   * dialect's variant of the same name if it has one; any other channel as it is.
   */
  channel<T extends ChannelDefinition<any, any, any>>(channel: T): T {
    const variant = this.dialect?.channels?.[channel.name] as T | undefined
    return variant && isBuiltInChannel(channel) ? variant : channel
  }

  /** Gives, rotates or removes the token (sockets react as `SocketHub.setToken` says). */
  setAccessToken(token: AccessToken): void {
    this.setRequestToken(token)
    this.hub.setToken(token)
    const can = this.canRequest()
    if (can === this.#announcedCanRequest) return
    this.#announcedCanRequest = can
    this.#tokenListeners.emit(undefined)
  }

  /**
   * The token REST calls carry from now on; sockets and listeners are left alone.
   * `<LiveStatusProvider>` calls it while rendering, so the first fetches of its children already
   * carry the token it was given; the rest follows in an effect (`setAccessToken`).
   */
  setRequestToken(token: AccessToken): void {
    this.#token = token
  }

  /**
   * Whether REST calls may go out: a token is there, or `getAccessToken` decides per call, or the
   * sockets need none (`auth: { type: 'none' }`). Queries wait while it is false.
   */
  canRequest(): boolean {
    // `rest` is set in the constructor before the first call here, and never replaced.
    return this.#getToken !== undefined || isPresentToken(this.#token) || !this.rest.requiresToken()
  }

  /**
   * Whether a socket for `url` may open now: requests may go out, or the endpoint needs no token
   * (`endpointOptions` giving it `auth: { type: 'none' }`).
   */
  canConnect(url: string): boolean {
    return this.canRequest() || this.hub.options.endpointOptions?.(url)?.auth?.type === 'none'
  }

  /** Told when `canRequest()` may have changed. */
  subscribeCanRequest(listener: () => void): () => void {
    return this.#tokenListeners.subscribe(listener)
  }

  /**
   * Sends `message` (objects as JSON) on the socket of `channel` for `params`: commands, answers to
   * the server. Returns false when that socket is not open.
   */
  send<TParams>(channel: ChannelDefinition<TParams, any, any>, params: TParams, message: unknown): boolean {
    const url = this.channelSocketUrl(this.channel(channel), params)
    // No socket (`null`): no connection.
    return this.hub.get(url!)?.send(message) ?? false
  }

  /** A socket path (or absolute URL) resolved against `wsUrl`. */
  socketUrl(path: string): string {
    return joinUrl(this.wsUrl, path)
  }

  /**
   * The socket URL of `channel` for `params`, or `null` when it has none: `''` and `undefined`
   * (a socket fn in plain JavaScript) mean none too, never a socket at the server's root.
   */
  channelSocketUrl<TParams>(channel: ChannelDefinition<TParams, any, any>, params: TParams): string | null {
    const path = channel.socket(this, params)
    return path ? this.socketUrl(path) : null
  }

  /** A REST path (or absolute URL) resolved against `apiUrl`, with query parameters. */
  restUrl(path: string, query?: Query): string {
    return restUrl(this.apiUrl, path, query)
  }

  /**
   * An authenticated REST call. A status in `authErrorStatuses` for the current token marks every
   * socket `unauthorized` (a browser cannot tell a refused handshake from a network error).
   */
  request(path: string, init?: RequestInit & { query?: Query }): Promise<Response> {
    return request(this.rest, path, init)
  }

  /** `GET` JSON; `null` for 404 when `allow404`. Other non-2xx answers throw `LiveStatusHttpError`. */
  getJson(path: string, options?: { query?: Query; signal?: AbortSignal; allow404?: boolean }): Promise<unknown> {
    return getJson(this.rest, path, options)
  }

  /**
   * Starts (or joins) the cache writer of one live query: the socket subscription, the event
   * reducer and the invalidations. Returns the release function. One writer per query key and
   * QueryClient, however many components show that query.
   */
  live<TParams, TEvent, TData>(queryClient: QueryClient, channel: ChannelDefinition<TParams, TEvent, TData>, params: TParams): () => void {
    return this.registry.live(queryClient, this.channel(channel), params)
  }

  /**
   * The channel's REST fetch for `params`, as a live query's `queryFn` runs it: merged with the
   * cache by the channel's rules, with the events that arrived meanwhile applied on top.
   */
  fetchLive<TParams, TEvent, TData>(queryClient: QueryClient, channel: ChannelDefinition<TParams, TEvent, TData>, params: TParams, signal: AbortSignal): Promise<TData> {
    return this.registry.fetchLive(queryClient, this.channel(channel), params, signal)
  }

  /**
   * A local write into a live query (an optimistic state): applied now, and kept on top of the
   * answer of any fetch that is out for that query (that answer was asked before it).
   */
  writeLive<TParams, TEvent, TData>(queryClient: QueryClient, channel: ChannelDefinition<TParams, TEvent, TData>, params: TParams, update: (data: TData | undefined) => TData | undefined): void {
    this.registry.writeLive(queryClient, this.channel(channel), params, update)
  }

  /** The status of the connection for `url`, if there is one. */
  socketStatus(url: string): ConnectionSnapshot | undefined {
    return this.hub.get(url)?.getStatus()
  }

  /** The status of `url`'s connection plus whether polling covers for it. */
  liveStatus(url: string | null): { subscribe(listener: () => void): () => void; getSnapshot(): LiveConnectionStatus } {
    return this.polling.status(url)
  }

  /** Closes every socket now. */
  dispose(): void {
    this.flushQueue.dispose()
    this.hub.dispose()
  }

  async #resolveToken(): Promise<string | null> {
    const token = this.#getToken ? await this.#getToken() : this.#token
    return isPresentToken(token) ? token : null
  }
}

/**
 * `heartbeat` and `resumeParam` as a hub takes them, with the code that runs them. The client takes
 * them plain (so that a dialect's and an app's merge field by field), since its default keep-alive
 * bundles that code anyway; what already carries its code (`keepAlive()`, `sse()`'s resume) keeps it.
 */
function withCode<T extends ClientEndpointOptions>(options: T): Omit<T, 'heartbeat' | 'resumeParam'> & Pick<EndpointOptions, 'heartbeat' | 'resumeParam'> {
  const { heartbeat, resumeParam } = options
  // An empty name stays as it is: falsy, it resumes nothing, as before.
  return { ...options, heartbeat: heartbeat && keepAlive(heartbeat), resumeParam: (resumeParam && ((resumeParam as ResumeParam).next ? resumeParam : resumeBySeq(resumeParam as string))) as ResumeParam | undefined }
}

/** The client's options with every default applied, and `endpointOptions` as the hub takes it. */
type ResolvedClientOptions = Omit<LiveStatusClientOptions, 'endpointOptions' | keyof typeof syncDefaults> & typeof syncDefaults & Pick<SocketHubOptions, 'endpointOptions'>

/**
 * The app's options over its dialect's over the defaults. An explicit `undefined` (a prop passed
 * through) hides neither the dialect's nor a default; `heartbeat`, `reconnect`, `batches` and
 * `endpoints` merge field by field, and `endpointOptions` URL by URL, so overriding one field keeps
 * the dialect's others (its heartbeat schedule and message, its envelope types, its per-socket auth).
 */
function resolveOptions(dialect: Dialect | undefined, options: LiveStatusClientOptions): ResolvedClientOptions {
  const own = compact(options)
  const base = compact(dialect?.options ?? {})
  // TanStack's managers, so that queries and sockets agree on online and focus (and on their mocks).
  const merged = { ...syncDefaults, onlineManager, focusManager, ...base, ...own } as ResolvedClientOptions
  // A field the app passes through as `undefined` hides none of the dialect's.
  for (const key of ['heartbeat', 'reconnect', 'batches', 'endpoints'] as const) if (base[key] && own[key]) merged[key] = { ...base[key], ...compact(own[key] as object) } as never
  const fromDialect = base.endpointOptions
  const fromApp = own.endpointOptions
  // Per URL, the app's overrides over the dialect's: one URL's close codes do not undo another's auth.
  if (fromDialect || fromApp) merged.endpointOptions = (url) => withCode({ ...fromDialect?.(url), ...fromApp?.(url) })
  return merged
}
