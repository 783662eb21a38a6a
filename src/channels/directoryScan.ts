import { scanEventSchema, type ScanEvent } from './schemas'
import { builtInChannel, defineChannel } from '../sync/defineChannel'
import { liveStatusKeys } from '../sync/queryKeys'
import { compact, maxDefined, toDate } from '../sync/values'

/** Where a directory scan is, as `useDirectoryScan` shows it. */
export type ScanState = 'idle' | 'scanning' | 'completed' | 'cancelled' | 'failed'

/** One file a directory scan reported. */
export interface ScannedFile {
  path: string
  size: number
  modified?: Date
  extension?: string
}

/** A directory scan, as `useDirectoryScan` returns it. */
export interface DirectoryScan {
  state: ScanState
  scanned: number
  total: number
  currentPath?: string
  files: ScannedFile[]
  count: number
  totalSize: number
  warnings: string[]
  error?: string
}

/** Which scan the directory-scan channel follows, and what it scans. */
export interface DirectoryScanParams {
  scanId: string
  path: string
  recursive: boolean
}

export const idleScan: DirectoryScan = Object.freeze({
  state: 'idle',
  scanned: 0,
  total: 0,
  files: [],
  count: 0,
  totalSize: 0,
  warnings: [],
}) as DirectoryScan

export { scanEventSchema, type ScanEvent }

// No `String()` of a server value: `{"toString":1}` makes it throw.
const warningText = (warning: unknown): string => {
  const message = (warning as { message?: unknown } | null)?.message
  return typeof warning === 'string' ? warning : typeof message === 'string' ? message : JSON.stringify(message ?? warning)
}

/** Folds a scan event; a finished scan stays finished. */
export function reduceScan(data: DirectoryScan | undefined, event: ScanEvent, now: number): DirectoryScan {
  const base = data ?? idleScan
  if (isFinished(base)) return base
  const body: Partial<NonNullable<ScanEvent['data']>> = event.data ?? {}
  const scanned = maxDefined(base.scanned, event.scanned ?? body.files_scanned ?? undefined) ?? 0
  const total = maxDefined(base.total, event.total ?? body.total_files ?? undefined) ?? 0
  const currentPath = event.current_path ?? body.current_path ?? base.currentPath
  switch (event.type) {
    case 'started':
    case 'counting':
    case 'progress':
      return compact({ ...base, state: 'scanning', scanned, total, currentPath })
    case 'warning': {
      const warning = event.message ?? body.message
      return compact({ ...base, state: 'scanning', scanned, total, currentPath, warnings: warning ? [...base.warnings, warning] : base.warnings })
    }
    case 'completed': {
      const files = (event.files ?? body.files ?? []).map((file) =>
        compact({ path: file.path, size: file.size, modified: file.modified == null ? undefined : toDate(file.modified, new Date(now)), extension: file.extension ?? undefined }),
      )
      // The server's count when it gives one: a preview may list fewer files than it found.
      const countFiles = event.count ?? body.count ?? body.total_files ?? files.length
      return compact({
        ...base,
        state: 'completed',
        scanned: Math.max(scanned, countFiles),
        total: Math.max(total, countFiles),
        currentPath: undefined,
        files,
        count: countFiles,
        totalSize: event.total_size ?? body.total_size ?? files.reduce((sum, file) => sum + file.size, 0),
        warnings: [...base.warnings, ...(event.warnings ?? body.warnings ?? []).map(warningText)],
      })
    }
    case 'cancelled':
      return compact({ ...base, state: 'cancelled', scanned, total })
    case 'error':
      return compact({ ...base, state: 'failed', scanned, total, error: event.message ?? body.message ?? 'Scan failed' })
  }
}

const isFinished = (data: DirectoryScan | undefined) => data?.state === 'completed' || data?.state === 'cancelled' || data?.state === 'failed'

/** The scan channel behind `useDirectoryScan`: one socket per scan, started by a `scan` action. */
export const directoryScanChannel = builtInChannel(
  defineChannel<DirectoryScanParams, ScanEvent, DirectoryScan>({
  name: 'scan',
  queryKey: ({ scanId }) => liveStatusKeys.scan(scanId),
  socket: (client, { scanId }) => client.endpoints.scanSocket(scanId),
  schema: scanEventSchema,
  route: { params: (params) => params.scanId, event: (event) => event.scan_id },
  matches: (event, params, { dedicatedSocket }) => (event.scan_id !== undefined ? event.scan_id === params.scanId : dedicatedSocket),
  reduce: (data, event, { now }) => reduceScan(data, event, now),
  // No REST side: the cache is the only copy.
  fetch: async ({ previous }) => previous ?? idleScan,
  isActive: () => false,
  isTerminal: isFinished,
  // A scan starts over REST once its socket is open (so no event is missed), or with a message on
  // the socket, where a new socket is a new server-side session: (re)start it there.
  onOpen: ({ params, send, reconnected, client, write }) => {
    const start = client.endpoints.scanStart
    if (!start) {
      send({ action: 'scan', path: params.path, recursive: params.recursive })
      return
    }
    if (reconnected) return
    const body = JSON.stringify({ path: params.path, recursive: params.recursive, scan_id: params.scanId })
    const failed = (reason: string) => write((data) => reduceScan(data, { type: 'error', message: `Could not start the scan: ${reason}` }, Date.now()))
    client
      .request(start(params.scanId), { method: 'POST', body, headers: { 'Content-Type': 'application/json' } })
      .then((response) => {
        if (!response.ok) failed(`the server answered ${response.status}`)
      })
      .catch((error: unknown) => failed(error instanceof Error ? error.message : String(error)))
  },
  }),
)

