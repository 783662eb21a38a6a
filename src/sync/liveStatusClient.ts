import { focusManager, hashKey, onlineManager, type QueryClient } from '@tanstack/query-core'
import { ChannelRouter } from './channelRouter'
import { defaultEndpoints, joinUrl, toWebSocketBase, withQuery, type Endpoints } from './endpoints'
import { FlushQueue, frameScheduler, type ScheduleFlush } from './flushScheduler'
import { LiveStatusHttpError } from './httpError'
import { LiveQuerySync, type LiveActivity, type SyncHost } from './liveQuerySync'

export type { LiveActivity }
import type { ChannelDefinition } from './defineChannel'
import { isPresentToken, type AccessToken, type SocketHubOptions } from '../transport/options'
import { redact, redactShort } from '../transport/redact'
import { SocketHub, type StatusSource } from '../transport/socketHub'
import { initialStatus } from '../transport/statusStore'
import type { ConnectionSnapshot } from '../transport/types'

type FetchLike = (input: string, init?: RequestInit) => Promise<Response>

/** Options of a `LiveStatusClient`, which is what `<LiveStatusProvider>` creates from its props. */
export interface LiveStatusClientOptions
  extends Omit<SocketHubOptions, 'token' | 'getToken'> {
  /** REST base URL, e.g. `https://api.example.com`. */
  apiUrl: string
  /** WebSocket base URL. @default `apiUrl` with http→ws, https→wss */
  wsUrl?: string
  /** The access token; no socket opens until it is present. @default undefined */
  accessToken?: AccessToken
  /** Asked before every connect and every REST call; wins over `accessToken`. @default undefined */
  getAccessToken?: () => AccessToken | Promise<AccessToken>
  /** URL builders per channel. @default the reference server's, see `defaultEndpoints` */
  endpoints?: Partial<Endpoints>
  /** How often an active job is polled over REST while its socket is not open. @default 5000 */
  pollIntervalMs?: number
  /**
   * `fetch` for REST calls. The default is `globalThis.fetch` with `Authorization: Bearer <token>`;
   * a custom one receives the request without that header and handles auth itself.
   * @default bearer-token fetch
   */
  fetch?: FetchLike
  /** REST statuses that mean "this token is rejected": the sockets stop retrying too. @default [401] */
  authErrorStatuses?: readonly number[]
  /**
   * A REST path fetched (`GET`, with the token) each time a socket fails before it opens. Servers
   * that refuse a bad token before the upgrade (HTTP 401/403) look like a network failure to a
   * browser (close 1006): this check tells them apart, and an answer in `authErrorStatuses` puts
   * every socket in `unauthorized` instead of retrying to the budget. Pick a cheap endpoint that
   * needs the same token (`/api/v1/me`, the job's status).
   * @default null (no check: refusals look like network failures until some REST call says 401)
   */
  authCheckPath?: string | null
  /**
   * An active job whose open socket has said nothing about it for this long is checked over REST:
   * some backends end a job without publishing anything (a worker that fails and only writes its
   * database). `false` turns the check off.
   * @default 30000
   */
  quietCheckMs?: number | false
  /**
   * When waiting events are written into the cache: once per animation frame in a browser (a 100 ms
   * timer stands in while the tab is hidden), every 16 ms elsewhere. Tests may pass
   * `(flush) => { queueMicrotask(flush); return () => {} }`.
   * @default frameScheduler
   */
  scheduleFlush?: ScheduleFlush
}


/** Whether REST polling is keeping a connection's data fresh while its socket is down. */
export interface LiveConnectionStatus extends ConnectionSnapshot {
  /** True while the socket is not open and a poll has succeeded since it went down. */
  readonly polling: boolean
}

interface LiveEntry {
  sync: LiveQuerySync<unknown, unknown, unknown>
  router: ChannelRouter<unknown> | undefined
  /** Off its socket after a definitive REST answer (403, 404): retrying the socket cannot help. */
  detached: boolean
}

/** REST answers after which a query's socket stops: the thing is gone or not ours. */
const definitive = new Set([403, 404])

/** Frames that may have carried an event. Binary frames that are not JSON never do: not here. */
const unreadable = new Set<string>(['too_large', 'invalid_json', 'not_an_object'])

/** Thrown by REST calls made before a token-gated client has a token: nothing was sent. */
export class LiveStatusNoTokenError extends Error {
  constructor() {
    super('[live-status] No access token yet: the request was not sent. It runs once the provider has a token.')
    this.name = 'LiveStatusNoTokenError'
  }
}

/**
 * The framework-free half of `<LiveStatusProvider>`: the socket hub, the endpoints, authenticated
 * REST, and the registry that keeps one cache writer per live query.
 */
export class LiveStatusClient implements SyncHost {
  readonly hub: SocketHub
  readonly endpoints: Endpoints
  readonly apiUrl: string
  readonly wsUrl: string
  readonly pollIntervalMs: number
  readonly quietCheckMs: number | false
  /** Writers with events waiting; flushed together once per frame. */
  readonly flushQueue: FlushQueue
  #fetch: FetchLike | undefined
  #authErrorStatuses: readonly number[]
  #token: AccessToken
  #getToken: (() => AccessToken | Promise<AccessToken>) | undefined
  #live = new WeakMap<QueryClient, Map<string, LiveEntry>>()
  /** One router per socket URL and channel, shared by the live queries of every QueryClient. */
  #routers = new Map<string, Map<ChannelDefinition<any, any, any>, ChannelRouter<unknown>>>()
  #tokenListeners = new Set<() => void>()
  #activityListeners = new Set<(activity: LiveActivity) => void>()
  /** Cache writes and the events in them since the client was made. */
  readonly counters = { cacheWrites: 0, eventsWritten: 0, fetches: 0 }
  #announcedCanRequest: boolean
  /** Per socket URL, the queries whose polling has refreshed them since the socket went down and still poll. */
  #pollingCovers = new Map<string, Set<string>>()
  #pollingListeners = new Set<(url: string) => void>()

  constructor(options: LiveStatusClientOptions) {
    const {
      apiUrl,
      wsUrl,
      accessToken,
      getAccessToken,
      endpoints,
      pollIntervalMs = 5000,
      fetch,
      authErrorStatuses = [401],
      authCheckPath,
      quietCheckMs = 30_000,
      scheduleFlush = frameScheduler,
      ...hubOptions
    } = options
    this.apiUrl = apiUrl
    this.quietCheckMs = quietCheckMs
    this.flushQueue = new FlushQueue(scheduleFlush)
    this.wsUrl = wsUrl ?? toWebSocketBase(apiUrl)
    this.endpoints = { ...defaultEndpoints, ...endpoints }
    this.pollIntervalMs = pollIntervalMs
    this.#fetch = fetch
    this.#authErrorStatuses = authErrorStatuses
    this.#token = accessToken
    this.#getToken = getAccessToken
    const { onEventError, onHandshakeError } = hubOptions
    let checking = false
    this.hub = new SocketHub({
      ...hubOptions,
      // TanStack's managers, so queries and sockets agree on online and focus (and on their mocks).
      onlineManager: hubOptions.onlineManager ?? onlineManager,
      focusManager: hubOptions.focusManager ?? focusManager,
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
        if (unreadable.has(error.reason)) for (const router of this.#routers.get(error.url)?.values() ?? []) router.lost(error)
        onEventError?.(error)
      },
    })
    this.#announcedCanRequest = this.canRequest()
  }

  /** Gives, rotates or removes the token (sockets react as `SocketHub.setToken` says). */
  setAccessToken(token: AccessToken): void {
    this.setRequestToken(token)
    this.hub.setToken(token)
    const can = this.canRequest()
    if (can === this.#announcedCanRequest) return
    this.#announcedCanRequest = can
    for (const listener of [...this.#tokenListeners]) listener()
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
    return this.#getToken !== undefined || isPresentToken(this.#token) || !this.#requiresToken()
  }

  /** Told when `canRequest()` may have changed. */
  subscribeCanRequest(listener: () => void): () => void {
    this.#tokenListeners.add(listener)
    return () => this.#tokenListeners.delete(listener)
  }

  /**
   * Sends `message` (objects as JSON) on the socket of `channel` for `params`: commands, answers to
   * the server. Returns false when that socket is not open.
   */
  send<TParams>(channel: ChannelDefinition<TParams, any, any>, params: TParams, message: unknown): boolean {
    const path = channel.socket(this, params)
    return path !== null && (this.hub.get(this.socketUrl(path))?.send(message) ?? false)
  }

  /** A socket path (or absolute URL) resolved against `wsUrl`. */
  socketUrl(path: string): string {
    return joinUrl(this.wsUrl, path)
  }

  /** A REST path (or absolute URL) resolved against `apiUrl`, with query parameters. */
  restUrl(path: string, query?: Record<string, string | undefined>): string {
    return withQuery(joinUrl(this.apiUrl, path), query)
  }

  /**
   * An authenticated REST call. A status in `authErrorStatuses` for the current token marks every
   * socket `unauthorized` (a browser cannot tell a refused handshake from a network error).
   */
  async request(path: string, init: RequestInit & { query?: Record<string, string | undefined> } = {}): Promise<Response> {
    const { query, ...rest } = init
    const url = this.restUrl(path, query)
    // A token replaced while the request was out: its 401 says nothing; ask again with the new one.
    for (let attempt = 0; ; attempt++) {
      const token = await this.#resolveToken()
      if (token === null && !this.#fetch && this.#requiresToken()) throw new LiveStatusNoTokenError()
      let response: Response
      if (this.#fetch) {
        response = await this.#fetch(url, rest)
      } else {
        const headers = new Headers(rest.headers)
        if (token && !headers.has('Authorization')) headers.set('Authorization', `Bearer ${token}`)
        if (!headers.has('Accept')) headers.set('Accept', 'application/json')
        response = await globalThis.fetch(url, { ...rest, headers })
      }
      if (!this.#authErrorStatuses.includes(response.status)) return response
      const current = await this.#resolveToken()
      if (current !== token && current !== null && attempt < 2) continue
      // Only a rejection of the token still in use says anything about the sockets.
      if (token === current) this.hub.markUnauthorized(`REST answered ${response.status}`)
      throw new LiveStatusHttpError(response.status, redact(url, token), true)
    }
  }

  /** `GET` JSON; `null` for 404 when `allow404`. Other non-2xx answers throw `LiveStatusHttpError`. */
  async getJson(path: string, options: { query?: Record<string, string | undefined>; signal?: AbortSignal; allow404?: boolean } = {}): Promise<unknown> {
    const response = await this.request(path, { method: 'GET', query: options.query, signal: options.signal })
    if (response.status === 404 && options.allow404) return null
    if (!response.ok) throw new LiveStatusHttpError(response.status, this.restUrl(path, options.query), false, await safeText(response, await this.#resolveToken()))
    return response.json()
  }

  /**
   * Starts (or joins) the cache writer of one live query: the socket subscription, the event
   * reducer and the invalidations. Returns the release function. One writer per query key and
   * QueryClient, however many components show that query.
   */
  live<TParams, TEvent, TData>(queryClient: QueryClient, channel: ChannelDefinition<TParams, TEvent, TData>, params: TParams): () => void {
    let byKey = this.#live.get(queryClient)
    if (!byKey) this.#live.set(queryClient, (byKey = new Map()))
    const hash = hashKey(channel.queryKey(params))
    let entry = byKey.get(hash)
    if (!entry) {
      const path = channel.socket(this, params)
      const url = path === null ? null : this.socketUrl(path)
      const dedicated = path !== null && isDedicated(this, channel.socket, params, path)
      const sync = new LiveQuerySync(queryClient, this, channel, params, url, dedicated) as LiveQuerySync<unknown, unknown, unknown>
      const router = url === null ? undefined : this.#router(url, channel as ChannelDefinition<any, any, any>)
      entry = { sync, router, detached: false }
      byKey.set(hash, entry)
      router?.add(sync)
    }
    entry.sync.holders++
    const held = entry
    const map = byKey
    let released = false
    return () => {
      if (released) return
      released = true
      if (--held.sync.holders > 0) return
      held.sync.stop()
      if (!held.detached) held.router?.remove(held.sync)
      if (map.get(hash) === held) map.delete(hash)
    }
  }

  /**
   * The channel's REST fetch for `params`, as a live query's `queryFn` runs it: merged with the
   * cache by the channel's rules, with the events that arrived meanwhile applied on top.
   */
  async fetchLive<TParams, TEvent, TData>(
    queryClient: QueryClient,
    channel: ChannelDefinition<TParams, TEvent, TData>,
    params: TParams,
    signal: AbortSignal,
  ): Promise<TData> {
    const queryKey = channel.queryKey(params)
    const entry = this.#live.get(queryClient)?.get(hashKey(queryKey))
    let data: TData
    try {
      data = entry
        ? await (entry.sync as unknown as LiveQuerySync<TParams, TEvent, TData>).fetch(signal)
        : await channel.fetch({ client: this, params, signal, previous: queryClient.getQueryData<TData>(queryKey) })
    } catch (error) {
      this.reportActivity({ type: 'fetch', queryKey, ok: false })
      // "No such operation" or "not yours": a socket of its own would only be refused, to the retry
      // budget. (A shared socket stays: the operation may appear on it later.)
      if (entry && !entry.detached && entry.sync.dedicated && error instanceof LiveStatusHttpError && !error.isAuthError && definitive.has(error.status)) {
        entry.detached = true
        entry.router?.remove(entry.sync)
      }
      throw error
    }
    this.reportActivity({ type: 'fetch', queryKey, ok: true })
    if (entry?.detached && entry.sync.url !== null) {
      // It exists after all (created late, access granted): back on a socket, a fresh router if
      // the old one closed with its last query.
      entry.detached = false
      entry.router = this.#router(entry.sync.url, channel as ChannelDefinition<any, any, any>)
      entry.router.add(entry.sync)
    }
    const path = channel.socket(this, params)
    // The query goes on polling only while its job is active: say "updating every N s" no longer.
    this.notePoll(path === null ? null : this.socketUrl(path), hashKey(queryKey), channel.isActive(data))
    return data
  }

  /**
   * A local write into a live query (an optimistic state): applied now, and kept on top of the
   * answer of any fetch that is out for that query (that answer was asked before it).
   */
  writeLive<TParams, TEvent, TData>(
    queryClient: QueryClient,
    channel: ChannelDefinition<TParams, TEvent, TData>,
    params: TParams,
    update: (data: TData | undefined) => TData | undefined,
  ): void {
    const queryKey = channel.queryKey(params)
    const entry = this.#live.get(queryClient)?.get(hashKey(queryKey))
    if (entry) (entry.sync as unknown as LiveQuerySync<TParams, TEvent, TData>).write(update)
    else queryClient.setQueryData<TData>(queryKey, update)
  }

  #router(url: string, channel: ChannelDefinition<any, any, any>): ChannelRouter<unknown> {
    let byChannel = this.#routers.get(url)
    if (!byChannel) this.#routers.set(url, (byChannel = new Map()))
    let router = byChannel.get(channel)
    if (!router) {
      const routers = byChannel
      router = new ChannelRouter(this.hub, url, channel, () => {
        routers.delete(channel)
        if (routers.size === 0 && this.#routers.get(url) === routers) this.#routers.delete(url)
      })
      byChannel.set(channel, router)
    }
    return router
  }

  /** The status of the connection for `url`, if there is one. */
  socketStatus(url: string): ConnectionSnapshot | undefined {
    return this.hub.get(url)?.getStatus()
  }

  /** The status of `url`'s connection plus whether polling covers for it. */
  liveStatus(url: string | null): { subscribe(listener: () => void): () => void; getSnapshot(): LiveConnectionStatus } {
    const source: StatusSource | null = url ? this.hub.watchStatus(url) : null
    let last: LiveConnectionStatus | undefined
    let lastStatus: ConnectionSnapshot | undefined
    return {
      subscribe: (listener) => {
        const offStatus = source?.subscribe(listener)
        const onPolling = (changed: string) => changed === url && listener()
        this.#pollingListeners.add(onPolling)
        return () => {
          offStatus?.()
          this.#pollingListeners.delete(onPolling)
        }
      },
      getSnapshot: () => {
        const status = source ? source.getSnapshot() : initialStatus
        const polling = url !== null && status.state !== 'open' && this.#pollingCovers.has(url)
        // Snapshots are new objects only when something in them changed.
        if (!last || last.polling !== polling || lastStatus !== status) last = { ...(lastStatus = status), polling }
        return last
      },
    }
  }

  /**
   * Called after a successful REST fetch of a query (`key`) whose socket is `url`: while that socket
   * is down and some query of it still polls (`polling`: its job is active), the connection's status
   * says polling covers for it.
   */
  notePoll(url: string | null, key = '', polling = true): void {
    if (!url) return
    const covers = this.#pollingCovers.get(url)
    if (!polling) {
      if (covers?.delete(key) && covers.size === 0) {
        this.#pollingCovers.delete(url)
        this.#notifyPolling(url)
      }
      return
    }
    if (covers?.has(key)) return
    // Only a socket that is down (not one still making its first connection) needs covering.
    const state = this.hub.get(url)?.getStatus().state
    if (state !== 'reconnecting' && state !== 'offline' && state !== 'closed' && state !== 'unauthorized') return
    if (covers) {
      covers.add(key)
      return
    }
    this.#pollingCovers.set(url, new Set([key]))
    this.#notifyPolling(url)
    // Covered until the socket is back (possibly as a new connection for the same URL).
    const source = this.hub.watchStatus(url)
    const off = source.subscribe(() => {
      if (source.getSnapshot().state !== 'open') return
      off()
      this.#pollingCovers.delete(url)
      this.#notifyPolling(url)
    })
  }

  /**
   * Told of every cache write and REST fetch of a live query (devtools). Costs nothing while no
   * one listens.
   */
  onActivity(listener: (activity: LiveActivity) => void): () => void {
    this.#activityListeners.add(listener)
    return () => this.#activityListeners.delete(listener)
  }

  /** @internal The writers report here. */
  reportActivity(activity: LiveActivity): void {
    if (activity.type === 'write') {
      this.counters.cacheWrites++
      this.counters.eventsWritten += activity.events
    } else this.counters.fetches++
    if (this.#activityListeners.size === 0) return
    for (const listener of [...this.#activityListeners]) listener(activity)
  }

  /**
   * The sockets live queries hold now, with how many queries share each and how many components
   * (hook instances) use those queries (devtools).
   */
  liveSockets(): { url: string; queries: number; components: number }[] {
    const sockets: { url: string; queries: number; components: number }[] = []
    for (const [url, routers] of this.#routers) {
      let queries = 0
      let components = 0
      for (const router of routers.values()) {
        queries += router.size
        components += router.holders
      }
      sockets.push({ url, queries, components })
    }
    return sockets
  }

  /** Closes every socket now. */
  dispose(): void {
    this.flushQueue.dispose()
    this.hub.dispose()
  }

  #requiresToken(): boolean {
    return (this.hub.options.auth as { type: string }).type !== 'none'
  }

  async #resolveToken(): Promise<string | null> {
    const token = this.#getToken ? await this.#getToken() : this.#token
    return isPresentToken(token) ? token : null
  }

  #notifyPolling(url: string): void {
    for (const listener of [...this.#pollingListeners]) listener(url)
  }
}

/**
 * A socket is dedicated to this query when its URL depends on the query's own id: then events
 * that name no id are ours. Found by asking the endpoint for a different id.
 */
function isDedicated<TParams>(
  client: LiveStatusClient,
  socket: (client: LiveStatusClient, params: TParams) => string | null,
  params: TParams,
  path: string,
): boolean {
  if (typeof params !== 'object' || params === null) return false
  const probe = { ...(params as object) } as Record<string, unknown>
  let changed = false
  for (const key of ['operationId', 'scanId', 'projectId', 'id']) {
    if (typeof probe[key] === 'string') {
      probe[key] = `${probe[key] as string}\u0000other`
      changed = true
      break
    }
  }
  if (!changed) return false
  try {
    return socket(client, probe as TParams) !== path
  } catch {
    return false
  }
}

/** The start of an error body, for the error message: a server may echo the token. */
async function safeText(response: Response, token: string | null): Promise<string | undefined> {
  try {
    return redactShort(await response.text(), token) || undefined
  } catch {
    return undefined
  }
}
