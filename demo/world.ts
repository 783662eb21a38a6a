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

export function createWorld(options: { stepMs?: number; scanTickMs?: number; totalFiles?: number; allowedOrigins?: string[] } = {}) {
  const stepMs = options.stepMs ?? 150
  const defaultTotalFiles = options.totalFiles ?? 24
  const scanTickMs = options.scanTickMs ?? 60
  let validTokens = new Set(['demo-token'])
  let tokenCounter = 1
  let trouble: Trouble = 'none'
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
    authenticate: (token) => (validTokens.has(token) ? { id: 'demo-user' } : null),
    maxConnectionsPerUser: 50,
    ...(options.allowedOrigins ? { allowedOrigins: options.allowedOrigins } : {}),
    onReindex: (projectId, branch) => runIndexJob(projectId, branch),
    onConnection: (socket) => {
      openSockets.add(socket)
      maxConcurrentSockets = Math.max(maxConcurrentSockets, openSockets.size)
      socket.on('close', () => openSockets.delete(socket))
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
    if (!token || !validTokens.has(token)) return socket.close(4401, 'invalid token')
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
    get trouble() {
      return trouble
    },
    setTrouble(next: Trouble) {
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
      if (next === 'reject') {
        validTokens = new Set()
        server.disconnectAll(4401, 'token revoked')
      }
    },
    /** A fresh valid token ("sign in again"); clears a 'reject' trouble. */
    login(): string {
      const token = `demo-token-${++tokenCounter}`
      validTokens = new Set([token])
      if (trouble === 'reject') trouble = 'none'
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
