import { useMutation, useQuery, useQueryClient, type UseMutationResult } from '@tanstack/react-query'
import { useCallback, useEffect, useRef, useState } from 'react'
import {
  directoryScanChannel,
  idleScan,
  type DirectoryScan,
  type DirectoryScanParams,
} from '../channels/directoryScan'
import { randomId } from '../transport/ids'
import { useLiveStatusClient } from './context'
import { useConnectionStatus, type ConnectionStatusResult } from './useConnectionStatus'
import { useQueryClientSwapWarning } from './devWarnings'

/** What `useDirectoryScan` returns: the scan's state, its socket's status and the commands. */
export interface UseDirectoryScanResult {
  /** Starts a new scan on a fresh socket (any scan under way is dropped). */
  start: (request: { path: string; recursive?: boolean }) => void
  /** Asks the server to cancel and closes the socket. */
  cancel: () => void
  /**
   * `start` as a TanStack mutation: resolves to the new scan's id once it is requested (its socket
   * opening; the scan action follows on open). How the scan goes is `data`, not the mutation.
   */
  startScan: UseMutationResult<{ scanId: string }, Error, { path: string; recursive?: boolean }>
  /**
   * `cancel` as a TanStack mutation. It fails when the cancel could not be sent (the socket was not
   * open); the scan shows `cancelled` and its socket closes either way, so no more of it arrives here.
   */
  cancelScan: UseMutationResult<void, Error, void>
  data: DirectoryScan
  /** The scan socket's status (called `status` before 0.2). */
  connection: ConnectionStatusResult
  /** The id of the current scan, `null` before the first `start`. */
  scanId: string | null
}

const idleKey = ['live-status', 'scan', null] as const

/**
 * A directory scan over its own socket: `start()` opens the scan socket with a fresh id and sends
 * the `scan` action once open; the socket closes when the scan ends, on `cancel()`, or on unmount.
 */
export function useDirectoryScan(): UseDirectoryScanResult {
  const client = useLiveStatusClient()
  const queryClient = useQueryClient()
  if (process.env.NODE_ENV !== 'production') useQueryClientSwapWarning(queryClient)
  // The dialect's scan channel, when it has one: its key, socket and reducer.
  const channel = client.channel(directoryScanChannel)
  const [scan, setScan] = useState<DirectoryScanParams | null>(null)
  // The scan as of the last call, not of the last render: a cancel in the same tick as its start
  // must see the scan it cancels.
  const latest = useRef<DirectoryScanParams | null>(null)
  const [connected, setConnected] = useState(false)
  const queryKey = scan ? channel.queryKey(scan) : idleKey
  const { data = idleScan } = useQuery<DirectoryScan>({
    queryKey,
    queryFn: () => queryClient.getQueryData<DirectoryScan>(queryKey) ?? idleScan,
    enabled: false,
    initialData: idleScan,
    staleTime: Infinity,
  })
  // Connected only once a scan has begun.
  const connection = useConnectionStatus(connected ? client.channelSocketUrl(channel, scan!) : null)

  useEffect(() => {
    if (!connected) return
    return client.live(queryClient, directoryScanChannel, scan!)
  }, [client, queryClient, scan, connected])

  const finished = data.state !== 'scanning' && data.state !== 'idle'
  useEffect(() => {
    if (finished) setConnected(false)
  }, [finished])

  const begin = useCallback(
    ({ path, recursive = true }: { path: string; recursive?: boolean }) => {
      const next = { scanId: randomId(), path, recursive }
      queryClient.setQueryData<DirectoryScan>(channel.queryKey(next), { ...idleScan, state: 'scanning' })
      latest.current = next
      setScan(next)
      setConnected(true)
      return { scanId: next.scanId }
    },
    [queryClient, channel],
  )

  const stop = useCallback(() => {
    const current = latest.current
    if (!current) return true
    const sent = client.send(directoryScanChannel, current, { action: 'cancel' })
    queryClient.setQueryData<DirectoryScan>(channel.queryKey(current), (data) => channel.reduce(data, { type: 'cancelled' }, { params: current, now: Date.now(), scratch: {} }))
    setConnected(false)
    return sent
  }, [client, queryClient, channel])

  const startScan = useMutation({ mutationKey: ['live-status', 'startScan'], mutationFn: async (request: { path: string; recursive?: boolean }) => begin(request) })
  const cancelScan = useMutation({
    mutationKey: ['live-status', 'cancelScan'],
    mutationFn: async () => {
      if (!stop()) throw new Error('[live-status] The scan socket was not open: the cancel was not sent (the scan is closed here all the same).')
    },
  })
  const start = useCallback((request: { path: string; recursive?: boolean }) => void begin(request), [begin])
  const cancel = useCallback(() => void stop(), [stop])

  return { start, cancel, startScan, cancelScan, data, connection, scanId: scan?.scanId ?? null }
}
