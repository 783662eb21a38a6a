/**
 * The demo's simulated backend: a project with an index job, file operations of each type of the
 * document indexer, and directory scans over a generated tree. It outlives HTTP restarts, like a
 * job queue and a database outlive an API process.
 */
import type { WebSocket } from 'ws'
import { documentIndexerOperationChannel } from '../src/dialects/documentIndexer'
import { createLiveStatusServer, type AllowedOrigins, type EventBus, type LiveStatusServer, type ServerLogger } from '../src/server'
import { operationEvents, referenceOperationEvents, runScan, type OperationType } from '../src/testing/operationScript'
import { memoryTokens, type TokenBook } from './tokens'

export const PROJECT = 'demo'
export const operationTypes: readonly OperationType[] = ['index', 'append', 'reindex', 'remove_source']
const isOperationType = (type: string): type is OperationType => (operationTypes as readonly string[]).includes(type)
/** `total_files` (or the page's `totalFiles`) of a start request, when it is a sensible count. */
const totalFilesOf = (body: Record<string, unknown>): number | undefined => {
  const value = body.total_files ?? body.totalFiles
  return typeof value === 'number' && Number.isInteger(value) && value > 0 && value <= 10_000 ? value : undefined
}
/** A scan socket without a token in its subprotocols has this long to send its auth message. */
const SCAN_AUTH_TIMEOUT_MS = 5000
export type Trouble = 'none' | 'drop' | 'silent' | 'reject'
export type { OperationType }

interface DemoUser {
  id: string
}

export { SCRIPT_TOKEN } from './tokens'

export interface WorldOptions {
  /** Time between two events of an operation. @default 150 */
  stepMs?: number
  /** Time between two scan progress messages. @default 60 */
  scanTickMs?: number
  /** Files of an operation started without a count. @default 24 */
  totalFiles?: number
  /** Page origins the live-status server answers (CORS, the sockets' `Origin`): a list or a predicate. @default the server's default */
  allowedOrigins?: AllowedOrigins
  /** The live-status server's bus: a `RedisStreamsBus` when several instances serve the page. @default its in-memory bus */
  bus?: EventBus
  /** Who the sign-in tokens stand for. @default memoryTokens() (this process only) */
  tokens?: TokenBook
  /** Operation ids are this followed by a counter: unique per instance in a cluster. @default 'op-' */
  operationIdPrefix?: string
  /** Where the live-status server logs (refused origins, failed hooks). @default nothing (tests stay quiet) */
  logger?: ServerLogger
}

export function createWorld(options: WorldOptions = {}) {
  const stepMs = options.stepMs ?? 150
  const defaultTotalFiles = options.totalFiles ?? 24
  const scanTickMs = options.scanTickMs ?? 60
  const operationIdPrefix = options.operationIdPrefix ?? 'op-'
  // Sign-in is per tab: each tab holds its own token (sessionStorage), so revoking one ("reject the
  // token") or signing in again never touches another tab. Token → the tab's user id (never the token).
  const tokens = options.tokens ?? memoryTokens()
  const socketsByUser = new Map<string, Set<WebSocket>>()
  /** Network trouble is server-wide: drop and silent hit every tab. */
  let trouble: Exclude<Trouble, 'reject'> = 'none'
  const timers = new Set<ReturnType<typeof setTimeout>>()
  const openSockets = new Set<WebSocket>()
  let maxConcurrentSockets = 0
  let scanSockets = 0
  let operationCounter = 0
  /** Who hears of operations started over REST (the page's operation list). */
  const restStarts = new Set<(operationId: string) => void>()
  /** Publishes not yet answered by the bus (a Redis round trip in a cluster). */
  const publishing = new Set<Promise<unknown>>()

  const later = (ms: number, fn: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer)
      fn()
    }, ms)
    timers.add(timer)
  }

  const silence = (socket: WebSocket) => {
    // Half-open, as a dead network path looks: nothing read, nothing written.
    const raw = (socket as unknown as { _socket?: { pause(): void; cork(): void } })._socket
    raw?.pause()
    raw?.cork()
  }

  const server: LiveStatusServer<DemoUser> = createLiveStatusServer<DemoUser>({
    // The simulated workers speak the document indexer's vocabulary (its dialect's channel).
    operationChannel: documentIndexerOperationChannel,
    authenticate: (token) => {
      const id = tokens.userOf(token)
      return id ? { id } : null
    },
    // Open access, said out loud: the demo has one project, and every signed-in tab may see it.
    // Without this the server refuses every join (issue #21: authorization fails closed).
    authorize: 'any-authenticated-user',
    maxConnectionsPerUser: 50,
    ...(options.allowedOrigins ? { allowedOrigins: options.allowedOrigins } : {}),
    ...(options.bus ? { bus: options.bus } : {}),
    onReindex: (projectId, branch) => runIndexJob(projectId, branch),
    // `POST /api/projects/demo/operations` and `POST /api/operations/{id}/cancel`: what a second
    // app (or curl) uses. The server has published the operation as pending already. Its worker
    // speaks the reference protocol, which a client without a dialect reads (the Quick start); the
    // page's own buttons run workers in the document indexer's dialects.
    onStartOperation: ({ operationId, type = 'index', body }) => {
      if (!isOperationType(type)) throw new Error(`unknown operation type ${JSON.stringify(type)}: the demo runs ${operationTypes.join(', ')}`)
      runWorker(operationId, referenceOperationEvents(type, totalFilesOf(body) ?? defaultTotalFiles), true)
      for (const listener of restStarts) listener(operationId)
    },
    onCancelOperation: ({ operationId }) => cancelOperation(operationId),
    onConnection: (socket, { userId }) => {
      openSockets.add(socket)
      maxConcurrentSockets = Math.max(maxConcurrentSockets, openSockets.size)
      const mine = socketsByUser.get(userId) ?? new Set()
      socketsByUser.set(userId, mine.add(socket))
      socket.on('close', () => {
        openSockets.delete(socket)
        mine.delete(socket)
      })
      if (trouble === 'silent') silence(socket)
    },
    ...(options.logger ? { logger: options.logger } : { log: () => {} }),
  })
  const publish = (event: Record<string, unknown> & { type: string }) => {
    const sent = server.publish(PROJECT, event).catch(() => {})
    publishing.add(sent)
    void sent.then(() => publishing.delete(sent))
  }
  // The project starts indexed, as a real one would be.
  publish({ type: 'index_complete', project_id: PROJECT, entity_count: 1234 })

  function runIndexJob(projectId: string, branch: string | undefined) {
    later(400, () => publish({ type: 'index_started', project_id: projectId, ...(branch ? { branch } : {}) }))
    later(400 + 20 * stepMs, () =>
      publish({ type: 'index_complete', project_id: projectId, entity_count: 1000 + Math.floor(Math.random() * 5000), ...(branch ? { branch } : {}) }),
    )
  }

  /** The operations whose worker is still running here, with what stops it. */
  const running = new Map<string, () => void>()

  /**
   * A simulated worker: the operation's events one `stepMs` apart. A `queued` operation (the REST
   * start: the server has published it as pending) is picked up one step later, as a worker takes
   * a job off a queue. Each step checks whether it was stopped, as a real worker does between files.
   */
  function runWorker(operationId: string, events: readonly (Record<string, unknown> & { type: string })[], queued = false) {
    let stopped = false
    running.set(operationId, () => (stopped = true))
    const step = (i: number) => {
      if (stopped) return
      publish({ ...events[i]!, operation_id: operationId })
      if (i + 1 < events.length) later(stepMs, () => step(i + 1))
      else running.delete(operationId)
    }
    // The first event goes out now: once `published()` resolves, any instance knows the operation.
    if (queued) later(stepMs, () => step(0))
    else step(0)
  }

  function startOperation(type: OperationType, totalFiles = defaultTotalFiles): string {
    const operationId = `${operationIdPrefix}${++operationCounter}`
    runWorker(operationId, operationEvents(type, totalFiles))
    return operationId
  }

  /**
   * Stops the worker and publishes `operation_cancelled`, as a real worker does once it notices.
   * An operation with no worker here (the process restarted, or in the cluster another instance
   * runs it) is cancelled at once: nothing here would ever end it otherwise.
   */
  function cancelOperation(operationId: string) {
    running.get(operationId)?.()
    running.delete(operationId)
    publish({ type: 'operation_cancelled', operation_id: operationId, status: 'cancelled', message: 'cancelled on request' })
  }

  /**
   * The scan socket of the document indexer's dialect, over the generated tree. `token` is the
   * one its subprotocols carried; without one, the first message must be `{ type: 'auth', token }`
   * (within `SCAN_AUTH_TIMEOUT_MS`), as on the reference server's sockets.
   */
  function handleScanSocket(socket: WebSocket, token: string | null) {
    scanSockets++
    socket.on('close', () => scanSockets--)
    let userId: string | null = null
    const admit = (given: string | null) => {
      userId = given ? tokens.userOf(given) : null
      if (!userId) return void socket.close(4401, given ? 'invalid token' : 'authentication required')
      const mine = socketsByUser.get(userId) ?? new Set()
      socketsByUser.set(userId, mine.add(socket))
      socket.on('close', () => mine.delete(socket))
    }
    if (token !== null) admit(token)
    else later(SCAN_AUTH_TIMEOUT_MS, () => userId === null && socket.close(4401, 'authentication required'))
    let cancel = () => {}
    socket.on('message', (data) => {
      let message: { type?: string; token?: unknown; action?: string; path?: string; recursive?: boolean }
      try {
        message = JSON.parse(String(data))
      } catch {
        return
      }
      if (typeof message !== 'object' || message === null) return
      if (userId === null) return admit(message.type === 'auth' && typeof message.token === 'string' ? message.token : null)
      if (message.action === 'cancel') cancel()
      if (message.action !== 'scan') return
      cancel()
      cancel = runScan(message, { send: (text) => socket.send(text), isOpen: () => socket.readyState === socket.OPEN, schedule: (run, ms) => later(ms, run) }, { tickMs: scanTickMs })
    })
  }

  return {
    server,
    /** The page origins its server admits (`WorldOptions.allowedOrigins`); the demo's routes take the same. */
    allowedOrigins: options.allowedOrigins,
    /** Where its server logs (none: silent); the demo's own refusals are logged there too. */
    logger: options.logger,
    publish,
    startOperation,
    cancelOperation,
    /** Hears of each operation started over REST (`POST /api/projects/demo/operations`). Returns the unsubscribe. */
    onRestStart(listener: (operationId: string) => void): () => void {
      restStarts.add(listener)
      return () => void restStarts.delete(listener)
    },
    handleScanSocket,
    /** The server-wide trouble (drop, silent); a revoked token is per tab, see `troubleFor`. */
    get trouble(): Trouble {
      return trouble
    },
    /** What the trouble switch of the tab holding `token` shows: 'reject' once its token is revoked. */
    troubleFor(token: string | null): Trouble {
      return token && tokens.isRevoked(token) ? 'reject' : trouble
    },
    /**
     * 'reject' revokes `token` only (that tab's sockets close with 4401, its next ones are refused);
     * the others set the server-wide trouble.
     */
    setTrouble(next: Trouble, token: string | null = null) {
      if (next === 'reject') {
        const userId = token ? tokens.revoke(token) : null
        if (!userId) return
        for (const socket of socketsByUser.get(userId) ?? []) socket.close(4401, 'token revoked')
        return
      }
      // Back to none with a revoked token takes the revocation back: a script's `demo-token` is not lost until a restart.
      if (next === 'none' && token) tokens.restore(token)
      if (next === trouble) return
      const before = trouble
      trouble = next
      if (before === 'silent') {
        for (const socket of openSockets) {
          const raw = (socket as unknown as { _socket?: { resume(): void; uncork(): void } })._socket
          raw?.uncork()
          raw?.resume()
        }
      }
      if (next === 'drop') server.terminateAll()
      if (next === 'silent') openSockets.forEach(silence)
    },
    /** A fresh token for one tab (first visit, "Sign in again"); every other token stays valid. */
    login: (): string => tokens.issue(),
    /** Resolves once every event published so far has been answered by the bus. */
    async published(): Promise<void> {
      await Promise.all([...publishing])
    },
    stats: () => ({ ...server.stats, maxConcurrentSockets, openSockets: openSockets.size, openScanSockets: scanSockets, runningOperations: running.size }),
    resetMaxConcurrent() {
      maxConcurrentSockets = openSockets.size
    },
    async close() {
      for (const timer of timers) clearTimeout(timer)
      timers.clear()
      running.clear()
      await server.close()
    },
  }
}

export type World = ReturnType<typeof createWorld>
