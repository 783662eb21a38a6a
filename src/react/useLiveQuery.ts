import { hashKey } from '@tanstack/query-core'
import { useQuery, useQueryClient, type UseQueryResult } from '@tanstack/react-query'
import { useCallback, useEffect, useRef, useSyncExternalStore } from 'react'
import type { ChannelDefinition } from '../core/defineChannel'
import { isAuthError, isClientError } from '../core/httpError'
import { useLiveStatusClient } from './context'
import { useConnectionStatus, type ConnectionStatusResult } from './useConnectionStatus'

export interface LiveQueryOptions {
  /** Set `false` to neither fetch nor subscribe. @default true */
  enabled?: boolean
  /** Polling interval while the job is active and the socket is not open. @default the provider's `pollIntervalMs` (5000) */
  pollIntervalMs?: number
  /** Passed to `useQuery`. @default 0 */
  staleTime?: number
}

export type LiveQueryResult<TData> = UseQueryResult<TData, Error> & {
  /** The socket's status, for indicators (`<ConnectionStatus>` shows it for you). */
  connection: ConnectionStatusResult
  /**
   * True when the job looks active but nothing keeps it fresh: the socket is down and polling
   * failed too. Show it instead of an endless "Running…".
   */
  isStale: boolean
}

/**
 * The generic live hook every built-in hook is written with: `useQuery` over the channel's REST
 * fetch, the channel's socket writing events into the same cache entry, and polling while the
 * job is active and the socket is not open.
 */
export function useLiveQuery<TParams, TEvent, TData>(
  channel: ChannelDefinition<TParams, TEvent, TData>,
  params: TParams,
  options: LiveQueryOptions = {},
): LiveQueryResult<TData> {
  const client = useLiveStatusClient()
  const queryClient = useQueryClient()
  // No request leaves before a token-gated provider has its token (it would only earn a 401).
  const canRequest = useSyncExternalStore(
    useCallback((listener: () => void) => client.subscribeCanRequest(listener), [client]),
    () => client.canRequest(),
    () => client.canRequest(),
  )
  const enabled = (options.enabled ?? true) && canRequest
  const pollIntervalMs = options.pollIntervalMs ?? client.pollIntervalMs
  const queryKey = channel.queryKey(params)
  const hash = hashKey(queryKey)
  const paramsRef = useRef(params)
  paramsRef.current = params

  const socketPath = enabled ? channel.socket(client, params) : null
  const socketUrl = socketPath === null ? null : client.socketUrl(socketPath)
  const connection = useConnectionStatus(socketUrl)
  const socketOpen = connection.state === 'open'

  // Sockets are opened in effects only: server rendering and StrictMode's double mount stay clean.
  useEffect(() => {
    if (!enabled) return
    return client.live(queryClient, channel, paramsRef.current)
  }, [client, queryClient, channel, hash, socketUrl, enabled])

  const query = useQuery<TData, Error>({
    queryKey,
    queryFn: ({ signal }) => client.fetchLive(queryClient, channel, paramsRef.current, signal),
    enabled,
    staleTime: options.staleTime ?? 0,
    refetchInterval: (q) =>
      channel.isActive(q.state.data) && !socketOpen && !isAuthError(q.state.error) ? pollIntervalMs : false,
    retry: (failureCount, error) => !isClientError(error) && failureCount < 3,
  })

  const isStale = enabled && channel.isActive(query.data) && !socketOpen && (query.isError || query.failureCount > 0)
  // Added to the tracked result rather than spread into a copy: spreading would read every field
  // and subscribe the component to all of them, defeating TanStack's render tracking.
  return Object.assign(query, { connection, isStale }) as LiveQueryResult<TData>
}
