import { hashKey, type QueryClient } from '@tanstack/query-core'
import { ChannelRouter } from './channelRouter'
import type { ChannelDefinition } from './defineChannel'
import { LiveStatusHttpError } from './httpError'
import { LiveQuerySync, type SyncHost } from './liveQuerySync'
import type { PollingCover } from './pollingCover'
import type { SocketHub } from '../transport/socketHub'

/** REST answers after which a query's socket stops: the thing is gone or not ours. */
const definitive = new Set([403, 404])

/** What the registry needs of the client around it. */
export interface RegistryHost extends SyncHost {
  readonly hub: SocketHub
  readonly polling: PollingCover
  /** The socket URL of a channel for its params, or `null` for none. */
  channelSocketUrl<TParams>(channel: ChannelDefinition<TParams, any, any>, params: TParams): string | null
}

/**
 * One cache writer per live query (query key and QueryClient), however many components show it,
 * and one router per socket URL and channel, shared by the writers of every QueryClient.
 */
export class LiveRegistry {
  #host: RegistryHost
  #live = new WeakMap<QueryClient, Map<string, LiveQuerySync<unknown, unknown, unknown>>>()
  /**
   * Fetches out, per query: a writer made while one is out joins it, so its answer does not erase
   * what that writer writes. The fetch began with no writer (a loader's prefetch), or with one that
   * stopped since (`enabled` turned off and on: TanStack kept the fetch and joins it again).
   */
  #out = new Set<{ queryClient: QueryClient; hash: string; joins: ReturnType<LiveQuerySync<unknown, unknown, unknown>['join']>[]; sentThisTurn: boolean }>()

  /** @internal The routers of each socket URL, by channel (`liveSockets` in `live-status/devtools` reads them). */
  readonly routers = new Map<string, Map<ChannelDefinition<any, any, any>, ChannelRouter<unknown>>>()

  constructor(host: RegistryHost) {
    this.#host = host
  }

  /** Starts (or joins) the writer of one live query. Returns the release function. */
  live<TParams, TEvent, TData>(queryClient: QueryClient, channel: ChannelDefinition<TParams, TEvent, TData>, params: TParams): () => void {
    const host = this.#host
    let byKey = this.#live.get(queryClient)
    if (!byKey) this.#live.set(queryClient, (byKey = new Map()))
    const hash = hashKey(channel.queryKey(params))
    let sync = byKey.get(hash)
    if (!sync) {
      const url = host.channelSocketUrl(channel, params)
      const dedicated = !!url && isDedicated(host, channel, params, url)
      sync = new LiveQuerySync(queryClient, host, channel, params, url, dedicated) as LiveQuerySync<unknown, unknown, unknown>
      sync.router = url === null ? undefined : this.#router(url, channel as ChannelDefinition<any, any, any>)
      byKey.set(hash, sync)
      for (const fetch of this.#out) if (fetch.queryClient === queryClient && fetch.hash === hash) fetch.joins.push(sync.join(fetch.sentThisTurn))
      sync.router?.add(sync)
    }
    sync.holders++
    let released = false
    return () => {
      if (released) return
      released = true
      if (--sync.holders > 0) return
      // Off its router first: the writer notes what it still owes (`left`) before `stop` forgets it.
      sync.router?.remove(sync)
      sync.stop()
      if (byKey.get(hash) === sync) byKey.delete(hash)
    }
  }

  /** The channel's REST fetch as a live query's `queryFn` runs it (see `LiveStatusClient.fetchLive`). */
  async fetchLive<TParams, TEvent, TData>(queryClient: QueryClient, channel: ChannelDefinition<TParams, TEvent, TData>, params: TParams, signal: AbortSignal): Promise<TData> {
    const host = this.#host
    const queryKey = channel.queryKey(params)
    const hash = hashKey(queryKey)
    const sync = this.#live.get(queryClient)?.get(hash)
    // A writer made while this fetch is out joins it (`LiveQuerySync.join`), until it answers or
    // TanStack gives up on it (a fetch that ignores its signal must not hold a writer's journal
    // open for good).
    const out = { queryClient, hash, joins: [] as ReturnType<LiveQuerySync<unknown, unknown, TData>['join']>[], sentThisTurn: true }
    void Promise.resolve().then(() => (out.sentThisTurn = false))
    const end = () => {
      this.#out.delete(out as never)
      for (const join of out.joins) join.close()
    }
    this.#out.add(out as never)
    signal.addEventListener('abort', end, { once: true })
    let data: TData
    try {
      try {
        data = await (sync
          ? (sync as unknown as LiveQuerySync<TParams, TEvent, TData>).fetch(signal)
          : channel.fetch({ client: host, params, signal, previous: queryClient.getQueryData<TData>(queryKey) }))
        for (const join of out.joins) data = join.apply(data)
      } finally {
        signal.removeEventListener('abort', end)
        end()
      }
    } catch (error) {
      host.observe?.({ type: 'fetch', queryKey, ok: false })
      // "No such operation" or "not yours": a socket of its own would only be refused, to the retry
      // budget. (A shared socket stays: the operation may appear on it later.)
      if (sync?.dedicated && error instanceof LiveStatusHttpError && !error.isAuthError && definitive.has(error.status)) {
        sync.router?.remove(sync)
        sync.router = undefined
      }
      throw error
    }
    host.observe?.({ type: 'fetch', queryKey, ok: true })
    if (sync && !sync.router && sync.url !== null) {
      // It exists after all (created late, access granted): back on a socket, a fresh router if
      // the old one closed with its last query.
      sync.router = this.#router(sync.url, channel as ChannelDefinition<any, any, any>)
      sync.router.add(sync)
    }
    // The query goes on polling only while its job is active: say "updating every N s" no longer.
    host.polling.note(host.channelSocketUrl(channel, params), hash, channel.isActive(data))
    return data
  }

  /** A local write into a live query (see `LiveStatusClient.writeLive`). */
  writeLive<TParams, TEvent, TData>(queryClient: QueryClient, channel: ChannelDefinition<TParams, TEvent, TData>, params: TParams, update: (data: TData | undefined) => TData | undefined): void {
    const queryKey = channel.queryKey(params)
    const sync = this.#live.get(queryClient)?.get(hashKey(queryKey))
    if (sync) (sync as unknown as LiveQuerySync<TParams, TEvent, TData>).write(update)
    else queryClient.setQueryData<TData>(queryKey, update)
  }

  #router(url: string, channel: ChannelDefinition<any, any, any>): ChannelRouter<unknown> {
    let byChannel = this.routers.get(url)
    if (!byChannel) this.routers.set(url, (byChannel = new Map()))
    let router = byChannel.get(channel)
    if (!router) {
      // `byChannel` is not assigned again once set above: the closure sees this map.
      router = new ChannelRouter(this.#host.hub, url, channel, () => {
        byChannel!.delete(channel)
        if (byChannel!.size === 0 && this.routers.get(url) === byChannel) this.routers.delete(url)
      })
      byChannel.set(channel, router)
    }
    return router
  }
}

/**
 * A socket is dedicated to this query when its URL depends on the query's own id: then events
 * that name no id are ours. Found by asking the endpoint for a different id.
 */
function isDedicated<TParams>(host: RegistryHost, channel: ChannelDefinition<TParams, any, any>, params: TParams, url: string): boolean {
  // A primitive or `null` spreads to no key of these: not dedicated.
  const probe = { ...(params as object) } as Record<string, unknown>
  const key = ['operationId', 'scanId', 'projectId', 'id'].find((key) => typeof probe[key] === 'string')
  if (!key) return false
  ;(probe[key] as string) += '\u0000other'
  try {
    return host.channelSocketUrl(channel, probe as TParams) !== url
  } catch {
    return false
  }
}
