import { ProjectState } from '../server/projectState'
import type { MockLiveBackend } from './mockLiveBackend'
import { generateTree } from './operationScript'

/**
 * The reference server's protocol on a `MockLiveBackend`: `publish(projectId, event)` sends the
 * event (with `seq`) on `/ws/projects/{projectId}` and folds it into the state the REST routes
 * answer from, so the hooks' default endpoints work unchanged in tests and stories.
 */
export function mockReferenceServer(backend: MockLiveBackend, options: { token?: string } = {}) {
  const states = new Map<string, ProjectState>()
  const operationProjects = new Map<string, string>()
  let seq = 0
  const authorized = (authorization: string | null) => !options.token || authorization === `Bearer ${options.token}`
  const state = (projectId: string) => {
    let found = states.get(projectId)
    if (!found) {
      states.set(projectId, (found = new ProjectState(projectId)))
      backend.socketAt(`/ws/projects/${projectId}`)
      backend.route('GET', `/api/projects/${projectId}/index`, ({ authorization }) => {
        if (!authorized(authorization)) return { status: 401 }
        const body = found!.indexBody()
        return body ? { status: 200, body } : { status: 404, body: { detail: 'not indexed yet' } }
      })
      backend.route('POST', `/api/projects/${projectId}/index/reindex`, ({ authorization }) =>
        authorized(authorization) ? { status: 202, body: { status: 'accepted' } } : { status: 401 },
      )
    }
    return found
  }

  return {
    /** Publishes one event of `projectId` (operation events must name `operation_id`). */
    publish(projectId: string, event: Record<string, unknown> & { type: string }) {
      const sequenced = { ...event, seq: ++seq }
      const project = state(projectId)
      project.apply(sequenced)
      const operationId = event.operation_id
      if (typeof operationId === 'string' && !operationProjects.has(operationId)) {
        operationProjects.set(operationId, projectId)
        backend.route('GET', `/api/operations/${operationId}`, ({ authorization }) =>
          authorized(authorization) ? { status: 200, body: project.operationBody(operationId) } : { status: 401 },
        )
      }
      backend.send(`/ws/projects/${projectId}`, sequenced)
    },
    /** Makes the project known (its socket and REST routes) before any event. */
    project: state,
  }
}

/**
 * Answers the scan socket at `path` like the document indexer: `progress` every `tickMs` over a
 * generated tree, then `completed`; stops on `{ action: 'cancel' }`.
 */
export function mockScanSocket(backend: MockLiveBackend, path: string, options: { tickMs?: number; filesPerTick?: number } = {}) {
  const { tickMs = 60, filesPerTick = 6 } = options
  let cancelled = false
  backend.onMessage(path, (message, client) => {
    if (message?.action === 'cancel') {
      cancelled = true
      return
    }
    if (message?.action !== 'scan') return
    cancelled = false
    const root = String(message.path || '/documents').replace(/\/+$/, '')
    const files = message.recursive === false ? [] : generateTree(root)
    let scanned = 0
    const tick = () => {
      if (cancelled || client.readyState !== 1) return
      scanned = Math.min(files.length, scanned + filesPerTick)
      client.send(JSON.stringify({ type: 'progress', scanned, total: files.length, current_path: files[scanned - 1]?.path.replace(/\/[^/]+$/, '') ?? root }))
      if (scanned < files.length) return void setTimeout(tick, tickMs)
      client.send(
        JSON.stringify({
          type: 'completed',
          files,
          count: files.length,
          total_size: files.reduce((sum, f) => sum + f.size, 0),
          warnings: [`${root}/restricted: permission denied`],
        }),
      )
    }
    setTimeout(tick, tickMs)
  })
}
