import { useQuery, useQueryClient, type QueryKey, type UseQueryOptions, type UseQueryResult } from '@tanstack/react-query'
import { useCallback, useEffect, useMemo, useRef, useSyncExternalStore } from 'react'
import type { ChannelDefinition } from '../sync/defineChannel'
import { isClientError } from '../sync/httpError'
import { liveQueryOptions } from '../sync/liveQueryOptions'
import { useLiveStatusClient } from './context'
import { useConnectionStatus, type ConnectionStatusResult } from './useConnectionStatus'
import { useQueryClientSwapWarning } from './devWarnings'

/**
 * Options of the live hooks: TanStack's own query options (`select`, `placeholderData`, `gcTime`,
 * `staleTime`, `retry`, `throwOnError`, `refetchOnWindowFocus`, `meta`, `notifyOnChangeProps`, …),
 * which default to the QueryClient's `defaultOptions` as in `useQuery`, plus the live ones.
 * `refetchInterval` is live-status's: it polls while the job is active and the socket is down.
 */
export type LiveQueryOptions<TData, TSelected = TData> = Omit<
  UseQueryOptions<TData, Error, TSelected, QueryKey>,
  'queryKey' | 'queryFn' | 'refetchInterval' | 'enabled'
> & {
  /** Set `false` to neither fetch nor subscribe. @default true */
  enabled?: boolean
  /** Polling interval while the job is active and the socket is not open. @default the provider's `pollIntervalMs` (5000) */
  pollIntervalMs?: number
}

/** What the live hooks add to TanStack's result (which they never write onto). */
export interface LiveExtras {
  /** The socket's status, for indicators (`<ConnectionStatus>` shows it for you). */
  connection: ConnectionStatusResult
  /**
   * True when the job looks active but nothing keeps it fresh: the socket is down and polling
   * failed too. Show it instead of an endless "Running…". (Not TanStack's `isStale`.)
   */
  isOutOfSync: boolean
  /** Sends a message on this query's socket (objects as JSON); false when it is not open. */
  send: (message: unknown) => boolean
}

/** What the data hooks return: TanStack's `useQuery` result, untouched, and the live extras beside it. */
export type LiveQueryResult<TSelected> = UseQueryResult<TSelected, Error> & LiveExtras

/**
 * TanStack's result with the live extras beside it, without touching TanStack's object: its fields
 * are read through getters, so its render tracking (only the fields a component reads) still holds.
 */
export function withExtras<TResult extends object, TExtras extends object>(result: TResult, extras: TExtras): TResult & TExtras {
  const composed = {} as TResult & TExtras
  for (const key of Object.keys(result)) {
    Object.defineProperty(composed, key, { enumerable: true, get: () => result[key as keyof TResult] })
  }
  // Descriptors, not values: an extra may be a getter that reads (and so tracks) what it needs.
  return Object.defineProperties(composed, Object.getOwnPropertyDescriptors(extras))
}

/** Whether this QueryClient leaves `retry` to us: 4xx answers are not retried by default. */
const liveRetry = (failureCount: number, error: Error) => !isClientError(error) && failureCount < 3

/**
 * The live subscription alone, for a query you run yourself (`useQuery(liveQueryOptions(…))`):
 * opens (or shares) the channel's socket while mounted, once a token-gated provider has its token,
 * and writes its events into that query.
 */
export function useLiveSubscription<TParams, TEvent, TData>(
  channel: ChannelDefinition<TParams, TEvent, TData>,
  params: TParams,
  options: { enabled?: boolean } = {},
): Omit<LiveExtras, 'isOutOfSync'> {
  const client = useLiveStatusClient()
  const queryClient = useQueryClient()
  // The same branch in every render of a build: NODE_ENV does not change while the app runs.
  if (process.env.NODE_ENV !== 'production') useQueryClientSwapWarning(queryClient)
  channel = client.channel(channel)
  const wanted = options.enabled ?? true
  const paramsRef = useRef(params)
  paramsRef.current = params
  const hash = JSON.stringify(channel.queryKey(params))
  const socketUrl = wanted ? client.channelSocketUrl(channel, params) : null
  // No socket before a token-gated provider has its token (unless its endpoint needs none); its
  // status says it waits for sign-in. Re-renders when a token-gated client becomes able to make
  // requests (`useLiveQuery` reads it then too).
  const canRequest = useSyncExternalStore(
    useCallback((listener: () => void) => client.subscribeCanRequest(listener), [client]),
    () => client.canRequest(),
    () => client.canRequest(),
  )
  const enabled = wanted && (canRequest || (socketUrl !== null && client.canConnect(socketUrl)))
  const connection = useConnectionStatus(socketUrl)
  // Sockets are opened in effects only: server rendering and StrictMode's double mount stay clean.
  useEffect(() => {
    if (!enabled) return
    return client.live(queryClient, channel, paramsRef.current)
  }, [client, queryClient, channel, hash, socketUrl, enabled])
  // No socket (`null`): no connection.
  const send = useCallback((message: unknown) => client.hub.get(socketUrl!)?.send(message) ?? false, [client, socketUrl])
  return useMemo(() => ({ connection, send }), [connection, send])
}

/**
 * The generic live hook every built-in hook is written with: `useQuery` over the channel's REST
 * fetch, the channel's socket writing events into the same cache entry, and polling while the
 * job is active and the socket is not open.
 */
export function useLiveQuery<TParams, TEvent, TData, TSelected = TData>(
  channel: ChannelDefinition<TParams, TEvent, TData>,
  params: TParams,
  options: LiveQueryOptions<TData, TSelected> = {},
): LiveQueryResult<TSelected> {
  const { enabled: wanted = true, pollIntervalMs, ...queryOptions } = options
  const client = useLiveStatusClient()
  const queryClient = useQueryClient()
  // Passed down as given: a client that replaces this one (another dialect) resolves it again in
  // the queryFn, and would keep this dialect's variant as it is.
  const { connection, send } = useLiveSubscription(channel, params, { enabled: wanted })
  // No request leaves before a token-gated provider has its token (it would only earn a 401). Read
  // as it is: the subscription above re-renders this component when it changes.
  const enabled = wanted && client.canRequest()
  const base = liveQueryOptions(client, channel, params, { pollIntervalMs, queryClient })
  // A key set to undefined would hide the QueryClient's default: only add `retry` when there is none.
  const retry = queryOptions.retry === undefined && queryClient.getDefaultOptions().queries?.retry === undefined ? { retry: liveRetry } : {}
  const query = useQuery<TData, Error, TSelected, QueryKey>({
    ...queryOptions,
    ...retry,
    // Its key, fetch and `refetchInterval` (read on every query update and every render: connection changes re-render this hook).
    ...base,
    enabled,
  })
  return withExtras(query, {
    connection,
    send,
    // Computed when read, through TanStack's tracked fields, so a component that shows only this
    // still re-renders when it changes.
    get isOutOfSync() {
      const failing = query.isError || query.failureCount > 0
      void query.dataUpdatedAt
      return enabled && failing && connection.state !== 'open' && client.channel(channel).isActive(queryClient.getQueryData<TData>(base.queryKey))
    },
  })
}
