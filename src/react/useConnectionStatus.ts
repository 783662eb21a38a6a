import { useCallback, useMemo, useSyncExternalStore } from 'react'
import type { LiveStatusClient } from '../sync/liveStatusClient'
import type { ConnectionSnapshot } from '../transport/types'
import { useLiveStatusClient } from './context'

/**
 * Which connection to watch: a socket path or URL, a project (its index socket), or an operation
 * (its socket). `null` watches nothing and reports `idle`.
 */
export type ConnectionTarget =
  | string
  | { projectId: string; operationId?: undefined }
  | { operationId: string; projectId?: string }
  | null
  | undefined

/** What `useConnectionStatus` returns: the socket's status and a way to retry now. */
export interface ConnectionStatusResult extends ConnectionSnapshot {
  /** Connect now with a fresh retry budget (the Retry button). */
  reconnect: () => void
}

/** The socket URL a target names, or `null`. */
export function resolveTarget(client: LiveStatusClient, target: ConnectionTarget): string | null {
  if (!target) return null
  const { endpoints } = client
  const path =
    typeof target === 'string'
      ? target
      : target.operationId !== undefined
        ? endpoints.operationSocket(target.operationId, { projectId: target.projectId })
        : endpoints.indexSocket(target.projectId)
  // `''` or `undefined` from an endpoint written in plain JavaScript: no socket, as `null` says.
  return path ? client.socketUrl(path) : null
}

/**
 * The live status of a connection, from the core's store through `useSyncExternalStore`: no render
 * when nothing changed. Watching does not open a socket; the data hooks do.
 */
export function useConnectionStatus(target: ConnectionTarget): ConnectionStatusResult {
  const client = useLiveStatusClient()
  const url = resolveTarget(client, target)
  const store = useMemo(() => client.liveStatus(url), [client, url])
  const status = useSyncExternalStore(store.subscribe, store.getSnapshot, store.getSnapshot)
  const reconnect = useCallback(() => {
    // No socket (`null`): no connection.
    client.hub.get(url!)?.reconnect()
  }, [client, url])
  return useMemo(() => ({ ...status, reconnect }), [status, reconnect])
}
