import { hashKey, type QueryClient } from '@tanstack/query-core'
import { defaultEndpoints, joinUrl, toWebSocketBase, withQuery, type Endpoints } from './endpoints'
import { LiveStatusHttpError } from './httpError'
import { LiveQuerySync } from './liveQuerySync'
import type { ChannelDefinition } from './defineChannel'
import { isPresentToken, type AccessToken, type SocketHubOptions } from './options'
import { redact } from './redact'
import { SocketHub, type StatusSource } from './socketHub'
import { initialStatus } from './statusStore'
import type { ConnectionSnapshot } from './types'

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
}

/** Whether REST polling is keeping a connection's data fresh while its socket is down. */
export interface LiveConnectionStatus extends ConnectionSnapshot {
  /** True while the socket is not open and a poll has succeeded since it went down. */
  readonly polling: boolean
}

interface LiveEntry {
  sync: LiveQuerySync<unknown, unknown, unknown>
  refs: number
}

/**
 * The framework-free half of `<LiveStatusProvider>`: the socket hub, the endpoints, authenticated
 * REST, and the registry that keeps one cache writer per live query.
 */
export class LiveStatusClient {
  readonly hub: SocketHub
  readonly endpoints: Endpoints
  readonly apiUrl: string
  readonly wsUrl: string
  readonly pollIntervalMs: number
  #fetch: FetchLike | undefined
  #authErrorStatuses: readonly number[]
  #token: AccessToken
  #getToken: (() => AccessToken | Promise<AccessToken>) | undefined
  #live = new WeakMap<QueryClient, Map<string, LiveEntry>>()
  /** URLs whose data polling has refreshed since their socket went down. */
  #pollingCovers = new Set<string>()
  #pollingListeners = new Set<(url: string) => void>()

  constructor(options: LiveStatusClientOptions) {
    const { apiUrl, wsUrl, accessToken, getAccessToken, endpoints, pollIntervalMs = 5000, fetch, authErrorStatuses = [401], ...hubOptions } = options
    this.apiUrl = apiUrl
    this.wsUrl = wsUrl ?? toWebSocketBase(apiUrl)
    this.endpoints = { ...defaultEndpoints, ...endpoints }
    this.pollIntervalMs = pollIntervalMs
    this.#fetch = fetch
    this.#authErrorStatuses = authErrorStatuses
    this.#token = accessToken
    this.#getToken = getAccessToken
    this.hub = new SocketHub({ ...hubOptions, token: accessToken, getToken: getAccessToken })
  }

  /** Gives, rotates or removes the token (sockets react as `SocketHub.setToken` says). */
  setAccessToken(token: AccessToken): void {
    this.#token = token
    this.hub.setToken(token)
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
    const token = await this.#resolveToken()
    let response: Response
    if (this.#fetch) {
      response = await this.#fetch(url, rest)
    } else {
      const headers = new Headers(rest.headers)
      if (token && !headers.has('Authorization')) headers.set('Authorization', `Bearer ${token}`)
      if (!headers.has('Accept')) headers.set('Accept', 'application/json')
      response = await globalThis.fetch(url, { ...rest, headers })
    }
    if (this.#authErrorStatuses.includes(response.status)) {
      // Only a rejection of the token still in use says anything about the sockets.
      if (token === (await this.#resolveToken())) this.hub.markUnauthorized(`REST answered ${response.status}`)
      throw new LiveStatusHttpError(response.status, redact(url, token), true)
    }
    return response
  }

  /** `GET` JSON; `null` for 404 when `allow404`. Other non-2xx answers throw `LiveStatusHttpError`. */
  async getJson(path: string, options: { query?: Record<string, string | undefined>; signal?: AbortSignal; allow404?: boolean } = {}): Promise<unknown> {
    const response = await this.request(path, { method: 'GET', query: options.query, signal: options.signal })
    if (response.status === 404 && options.allow404) return null
    if (!response.ok) throw new LiveStatusHttpError(response.status, this.restUrl(path, options.query), false, await safeText(response))
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
      const sync = new LiveQuerySync(queryClient, this, channel, params)
      entry = { sync: sync as LiveQuerySync<unknown, unknown, unknown>, refs: 0 }
      byKey.set(hash, entry)
      sync.start()
    }
    entry.refs++
    const held = entry
    const map = byKey
    let released = false
    return () => {
      if (released) return
      released = true
      if (--held.refs > 0) return
      held.sync.stop()
      if (map.get(hash) === held) map.delete(hash)
    }
  }

  /** The status of `url`'s connection plus whether polling covers for it. */
  liveStatus(url: string | null): { subscribe(listener: () => void): () => void; getSnapshot(): LiveConnectionStatus } {
    const source: StatusSource | null = url ? this.hub.watchStatus(url) : null
    let last: LiveConnectionStatus | undefined
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
        if (!last || last.polling !== polling || !sameStatus(last, status)) last = { ...status, polling }
        return last
      },
    }
  }

  /** Called after a successful REST poll for data whose socket is `url`. */
  notePoll(url: string | null): void {
    if (!url || this.#pollingCovers.has(url)) return
    // Only a socket that is down (not one still making its first connection) needs covering.
    const state = this.hub.get(url)?.getStatus().state
    if (state !== 'reconnecting' && state !== 'offline' && state !== 'closed' && state !== 'unauthorized') return
    this.#pollingCovers.add(url)
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

  /** Closes every socket now. */
  dispose(): void {
    this.hub.dispose()
  }

  async #resolveToken(): Promise<string | null> {
    const token = this.#getToken ? await this.#getToken() : this.#token
    return isPresentToken(token) ? token : null
  }

  #notifyPolling(url: string): void {
    for (const listener of [...this.#pollingListeners]) listener(url)
  }
}

function sameStatus(a: ConnectionSnapshot, b: ConnectionSnapshot): boolean {
  return (
    a.state === b.state &&
    a.attempt === b.attempt &&
    a.nextRetryAt === b.nextRetryAt &&
    a.lastCloseCode === b.lastCloseCode &&
    a.lastCloseReason === b.lastCloseReason
  )
}

async function safeText(response: Response): Promise<string | undefined> {
  try {
    return (await response.text()).slice(0, 200) || undefined
  } catch {
    return undefined
  }
}
