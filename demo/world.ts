/**
 * The demo's simulated backend: a project with an index job, file operations of each type of the
 * document indexer, and directory scans over a generated tree. It outlives HTTP restarts, like a
 * job queue and a database outlive an API process.
 */
import type { WebSocket } from 'ws'
import { createLiveStatusServer, type LiveStatusServer } from '../src/server'
import { operationEvents, runScan, type OperationType } from '../src/testing/operationScript'

export const PROJECT = 'demo'
export type Trouble = 'none' | 'drop' | 'silent' | 'reject'
export type { OperationType }

interface DemoUser {
  id: string
}

/** The fixed token for scripts and curl (`Authorization: Bearer demo-token`); pages get their own. */
export const SCRIPT_TOKEN = 'demo-token'

export function createWorld(options: { stepMs?: number; scanTickMs?: number; totalFiles?: number; allowedOrigins?: string[] } = {}) {
  const stepMs = options.stepMs ?? 150
  const defaultTotalFiles = options.totalFiles ?? 24
  const scanTickMs = options.scanTickMs ?? 60
  // Sign-in is per tab: each tab holds its own token (sessionStorage), so revoking one ("reject the
  // token") or signing in again never touches another tab. Token → the tab's user id (never the token).
  const tokens = new Map<string, string>([[SCRIPT_TOKEN, 'script']])
  const revoked = new Set<string>()
  const socketsByUser = new Map<string, Set<WebSocket>>()
  let tokenCounter = 1
  /** Network trouble is server-wide: drop and silent hit every tab. */
  let trouble: Exclude<Trouble, 'reject'> = 'none'
  const timers = new Set<ReturnType<typeof setTimeout>>()
  const openSockets = new Set<WebSocket>()
  let maxConcurrentSockets = 0
  let scanSockets = 0
  let operationCounter = 0

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
    authenticate: (token) => {
      const id = tokens.get(token)
      return id ? { id } : null
    },
    maxConnectionsPerUser: 50,
    ...(options.allowedOrigins ? { allowedOrigins: options.allowedOrigins } : {}),
    onReindex: (projectId, branch) => runIndexJob(projectId, branch),
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
    log: () => {},
  })
  const publish = (event: Record<string, unknown> & { type: string }) => void server.publish(PROJECT, event)
  // The project starts indexed, as a real one would be.
  publish({ type: 'index_complete', project_id: PROJECT, entity_count: 1234 })

  function runIndexJob(projectId: string, branch: string | undefined) {
    later(400, () => publish({ type: 'index_started', project_id: projectId, ...(branch ? { branch } : {}) }))
    later(400 + 20 * stepMs, () =>
      publish({ type: 'index_complete', project_id: projectId, entity_count: 1000 + Math.floor(Math.random() * 5000), ...(branch ? { branch } : {}) }),
    )
  }

  function startOperation(type: OperationType, totalFiles = defaultTotalFiles): string {
    const operationId = `op-${++operationCounter}`
    operationEvents(type, totalFiles).forEach((event, i) => later(i * stepMs, () => publish({ ...event, operation_id: operationId })))
    return operationId
  }

  /** The scan socket of the document indexer's dialect, over the generated tree. */
  function handleScanSocket(socket: WebSocket, token: string | null) {
    scanSockets++
    socket.on('close', () => scanSockets--)
    const userId = token ? tokens.get(token) : undefined
    if (!userId) return socket.close(4401, 'invalid token')
    const mine = socketsByUser.get(userId) ?? new Set()
    socketsByUser.set(userId, mine.add(socket))
    socket.on('close', () => mine.delete(socket))
    let cancel = () => {}
    socket.on('message', (data) => {
      let message: { action?: string; path?: string; recursive?: boolean }
      try {
        message = JSON.parse(String(data))
      } catch {
        return
      }
      if (message.action === 'cancel') cancel()
      if (message.action !== 'scan') return
      cancel()
      cancel = runScan(message, { send: (text) => socket.send(text), isOpen: () => socket.readyState === socket.OPEN, schedule: (run, ms) => later(ms, run) }, { tickMs: scanTickMs })
    })
  }

  return {
    server,
    publish,
    startOperation,
    handleScanSocket,
    /** The server-wide trouble (drop, silent); a revoked token is per tab, see `troubleFor`. */
    get trouble(): Trouble {
      return trouble
    },
    /** What the trouble switch of the tab holding `token` shows: 'reject' once its token is revoked. */
    troubleFor(token: string | null): Trouble {
      return token && revoked.has(token) ? 'reject' : trouble
    },
    /**
     * 'reject' revokes `token` only (that tab's sockets close with 4401, its next ones are refused);
     * the others set the server-wide trouble.
     */
    setTrouble(next: Trouble, token: string | null = null) {
      if (next === 'reject') {
        if (!token || !tokens.has(token)) return
        const userId = tokens.get(token)!
        tokens.delete(token)
        revoked.add(token)
        for (const socket of socketsByUser.get(userId) ?? []) socket.close(4401, 'token revoked')
        return
      }
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
    login(): string {
      const n = ++tokenCounter
      const token = `demo-token-${n}-${Math.random().toString(36).slice(2, 10)}`
      tokens.set(token, `tab-${n}`)
      return token
    },
    stats: () => ({ ...server.stats, maxConcurrentSockets, openSockets: openSockets.size, openScanSockets: scanSockets }),
    resetMaxConcurrent() {
      maxConcurrentSockets = openSockets.size
    },
    async close() {
      for (const timer of timers) clearTimeout(timer)
      timers.clear()
      await server.close()
    },
  }
}

export type World = ReturnType<typeof createWorld>
