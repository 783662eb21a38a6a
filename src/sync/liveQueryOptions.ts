import type { DataTag, QueryClient, QueryFunctionContext, QueryKey } from '@tanstack/query-core'
import type { ChannelDefinition } from './defineChannel'
import { isAuthError } from './httpError'
import type { LiveStatusClient } from './liveStatusClient'

/** What `liveQueryOptions` returns: spread it into `useQuery`, `useSuspenseQuery`, `useQueries`, `prefetchQuery`. */
export interface LiveQueryOptionsResult<TData> {
  queryKey: DataTag<QueryKey, TData, Error>
  queryFn: (context: QueryFunctionContext) => Promise<TData>
  /** Polls while the job is active and its socket is not open (TanStack re-reads it on every update). */
  refetchInterval: (query: { state: { data: TData | undefined; error: unknown } }) => number | false
}

/** A provider's client and the one that replaced it (another backend): see `replaceClient`. */
const successors = new WeakMap<LiveStatusClient, LiveStatusClient>()

/**
 * @internal The `queryFn`s `liveQueryOptions` made: TanStack keeps a query's own in
 * `query.options.queryFn`, so a provider moved to another backend finds every live query by it,
 * an app's channels too, whatever their keys, and leaves the app's other queries alone.
 */
export const liveQueryFns = new WeakSet<object>()

/**
 * @internal Sends the fetches of queries made with `previous` to `next` from now on, wherever
 * `previous` is used (a provider's own client, or one given to it). TanStack 5.0 refetches a query
 * with the options of its last fetch, whose `queryFn` holds the client of then: without this, a
 * provider moved to another backend refetched from the old one.
 */
export function replaceClient(previous: LiveStatusClient, next: LiveStatusClient): void {
  if (previous === next) return
  // The current client has no successor: a `client` prop swapped back and forth makes no cycle.
  successors.delete(next)
  successors.set(previous, next)
}

/**
 * The TanStack query options of a live channel, usable outside React: on a server to prefetch
 * before `HydrationBoundary`, in loaders, in `useQueries`. The REST fetch goes through the client:
 * merged with the cache by the channel's rules, with live events applied on top when a live
 * subscription (`useLiveSubscription`, the hooks, `client.live`) runs for the same key.
 *
 * @example
 * ```ts
 * await queryClient.prefetchQuery(liveQueryOptions(client, operationProgressChannel, { operationId }))
 * ```
 */
export function liveQueryOptions<TParams, TEvent, TData>(
  client: LiveStatusClient,
  channel: ChannelDefinition<TParams, TEvent, TData>,
  params: TParams,
  options: {
    /** Polling interval while the job is active and the socket is down. @default the client's `pollIntervalMs` */
    pollIntervalMs?: number
    /** The QueryClient, for TanStack versions whose `queryFn` context has none (before 5.66). @default the context's */
    queryClient?: QueryClient
  } = {},
): LiveQueryOptionsResult<TData> {
  // A client that replaces this one resolves the channel itself: its dialect may have another.
  const given = channel
  channel = client.channel(channel)
  const queryKey = channel.queryKey(params) as DataTag<QueryKey, TData, Error>
  const url = client.channelSocketUrl(channel, params)
  const pollIntervalMs = options.pollIntervalMs ?? client.pollIntervalMs
  const queryFn: LiveQueryOptionsResult<TData>['queryFn'] = (context) => {
    let live = client
    for (let next; (next = successors.get(live)); ) live = next
    const queryClient = (context as { client?: QueryClient }).client ?? options.queryClient
    if (queryClient) return live.fetchLive(queryClient, given, params, context.signal)
    return live.channel(given).fetch({ client: live, params, signal: context.signal, previous: undefined })
  }
  liveQueryFns.add(queryFn)
  return {
    queryKey,
    queryFn,
    refetchInterval: (query) => {
      // A rejected token is not polled again: a new token refetches (the provider sees to it).
      if (!channel.isActive(query.state.data) || isAuthError(query.state.error)) return false
      // No socket (`null`): no connection, so polling.
      return client.socketStatus(url!)?.state === 'open' ? false : pollIntervalMs
    },
  }
}
