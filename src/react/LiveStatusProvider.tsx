import { useQueryClient, type Query } from '@tanstack/react-query'
import { useEffect, useLayoutEffect, useRef, useState, type ReactNode } from 'react'
import { isAuthError } from '../sync/httpError'
import { LiveStatusClient, type LiveStatusClientOptions } from '../sync/liveStatusClient'
import { liveQueryFns, replaceClient } from '../sync/liveQueryOptions'
import { liveStatusKeys } from '../sync/queryKeys'
import { LiveStatusContext } from './context'

/** Props of `<LiveStatusProvider>`: the client's options (`apiUrl`, `accessToken`, `dialect`, …) and the tree under it. */
export interface LiveStatusProviderProps extends LiveStatusClientOptions {
  /** The app. @default undefined */
  children?: ReactNode
  /**
   * A client made outside React (tests, apps that share it with non-React code). When given, the
   * other props are ignored except `accessToken`.
   * @default undefined
   */
  client?: LiveStatusClient
}

/**
 * Provides live-status to the hooks below it; place it inside `<QueryClientProvider>`. The `on…`
 * callbacks and `getAccessToken` may change freely; `apiUrl`, `wsUrl`, `endpoints`, `auth`,
 * `endpointOptions`, `reply` and the other socket options are read when the client is made, and
 * changing `apiUrl`, `wsUrl` or `dialect` makes a new one. A new client (those, or another `client`)
 * resets every live query, the built-in ones (`liveStatusKeys.all`) and your channels' alike
 * (`useLiveQuery`, `liveQueryOptions`): their data came from the old backend. They are then read
 * from the new one; your other queries are left alone. With `auth: { type: 'none' }` (cookie auth) no
 * `accessToken` is needed and none is sent; unmount the provider to close the sockets on sign-out.
 *
 * @example
 * ```tsx
 * <LiveStatusProvider apiUrl="https://api.example.com" accessToken={session?.accessToken}>
 *   <App />
 * </LiveStatusProvider>
 * ```
 */
export function LiveStatusProvider(props: LiveStatusProviderProps) {
  const { children, client: given, accessToken, apiUrl, wsUrl, dialect } = props
  const latest = useRef(props)
  latest.current = props
  const queryClient = useQueryClient()

  const latestOf = <K extends 'onAuthError' | 'onEventError' | 'onHandshakeError'>(name: K) => latest.current[name] ?? latest.current.dialect?.options?.[name]
  const make = () =>
    given ??
    new LiveStatusClient({
      ...props,
      // Callbacks go through the latest props, so a new function never rebuilds anything.
      getAccessToken: props.getAccessToken ? () => latest.current.getAccessToken?.() : undefined,
      // …falling back to the dialect's own, which a callback of the provider's would otherwise hide.
      onAuthError: (info) => latestOf('onAuthError')?.(info),
      onEventError: (error) => latestOf('onEventError')?.(error),
      onHandshakeError: (info) => latestOf('onHandshakeError')?.(info),
      onCallbackError: props.onCallbackError ? (error) => latest.current.onCallbackError?.(error) : undefined,
    })
  const [state, setState] = useState(() => ({ client: make(), apiUrl, wsUrl, dialect, given }))
  let client = state.client
  if (state.given !== given || (!given && (state.apiUrl !== apiUrl || state.wsUrl !== wsUrl || state.dialect !== dialect))) {
    client = make()
    setState({ client, apiUrl, wsUrl, dialect, given })
  }

  // Another backend (apiUrl, wsUrl, dialect or client changed): what the cache holds came from the
  // old one, however fresh it looks. A passive effect, so it runs after the children's own, which
  // subscribe to the new client (its writer then merges the socket's events into the answer);
  // fetches of queries made with the old client go to the new one, whatever options TanStack
  // refetches them with. Live queries are found by their `queryFn`, as an app's channels have keys
  // of their own; the key still catches the scan's (its `queryFn` is its own) and, on TanStack 5.0,
  // a hydrated query not fetched yet (its options have no `queryFn` until then).
  const previousClient = useRef(client)
  useEffect(() => {
    if (previousClient.current === client) return
    replaceClient(previousClient.current, client)
    previousClient.current = client
    void queryClient.resetQueries({ predicate: isLive })
  }, [client, queryClient])

  // REST carries the token of this render from the children's very first fetch; the sockets
  // follow in a layout effect, which runs before any child's passive effect opens one.
  client.setRequestToken(accessToken)
  const previousToken = useRef(accessToken)
  useIsomorphicLayoutEffect(() => {
    client.setAccessToken(accessToken)
    const before = previousToken.current
    previousToken.current = accessToken
    // A new token can fix what the old one broke: retry the live queries (your channels' too) that failed on auth.
    if (accessToken && before !== accessToken) {
      void queryClient.invalidateQueries({ predicate: (query) => isLive(query) && isAuthError(query.state.error) })
    }
  }, [client, accessToken, queryClient])

  return <LiveStatusContext.Provider value={client}>{children}</LiveStatusContext.Provider>
}

/** A live query, built-in or an app's channel: what a backend switch resets and a new token retries. */
const isLive = (query: Query): boolean => query.queryKey[0] === liveStatusKeys.all[0] || liveQueryFns.has(query.options.queryFn as object)

const useIsomorphicLayoutEffect = typeof window === 'undefined' ? useEffect : useLayoutEffect
