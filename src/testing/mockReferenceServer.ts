import { ProjectState, type OperationChannel } from '../server/projectState'
import type { MockLiveBackend } from './mockLiveBackend'
import { runScan } from './operationScript'

/**
 * The reference server's protocol on a `MockLiveBackend`: `publish(projectId, event)` sends the
 * event (with `seq`) on `/ws/projects/{projectId}` and folds it into the state the REST routes
 * answer from, so the hooks' default endpoints work unchanged in tests and stories.
 */
export function mockReferenceServer(
  backend: MockLiveBackend,
  options: {
    /** The token REST calls must carry. @default any */
    token?: string
    /** The vocabulary of the operation events it relays (`documentIndexerOperationChannel` for `operationEvents` scripts). @default the reference protocol */
    operationChannel?: OperationChannel
  } = {},
) {
  const states = new Map<string, ProjectState>()
  const operationProjects = new Map<string, string>()
  let seq = 0
  let started = 0
  const authorized = (authorization: string | null) => !options.token || authorization === `Bearer ${options.token}`
  const state = (projectId: string) => {
    let found = states.get(projectId)
    if (!found) {
      states.set(projectId, (found = new ProjectState(projectId, options.operationChannel)))
      backend.socketAt(`/ws/projects/${projectId}`)
      backend.route('GET', `/api/projects/${projectId}/index`, ({ authorization }) => {
        if (!authorized(authorization)) return { status: 401 }
        const body = found!.indexBody()
        return body ? { status: 200, body } : { status: 404, body: { detail: 'not indexed yet' } }
      })
      backend.route('POST', `/api/projects/${projectId}/index/reindex`, ({ authorization }) =>
        authorized(authorization) ? { status: 202, body: { status: 'accepted' } } : { status: 401 },
      )
      // Starting a job: the server's `onStartOperation` would hand it to a worker; here the test
      // publishes what the worker would. A proposed `operation_id` is taken unless it is known.
      backend.route('POST', `/api/projects/${projectId}/operations`, ({ authorization, body }) => {
        if (!authorized(authorization)) return { status: 401 }
        const { type, operation_id: proposed } = (body ?? {}) as { type?: string; operation_id?: string }
        if (proposed !== undefined && operationProjects.has(proposed)) return { status: 409, body: { detail: 'operation id taken' } }
        const operationId = proposed ?? `op-${++started}`
        publish(projectId, { type: 'operation_started', operation_id: operationId, ...(type ? { operation_type: type } : {}) })
        return { status: 201, body: { operation_id: operationId, status: 'pending' } }
      })
    }
    return found
  }

  /** Publishes one event of `projectId` (operation events must name `operation_id`). */
  function publish(projectId: string, event: Record<string, unknown> & { type: string }) {
    const sequenced = { ...event, seq: ++seq }
    const project = state(projectId)
    project.apply(sequenced)
    const operationId = event.operation_id
    if (typeof operationId === 'string' && !operationProjects.has(operationId)) {
      operationProjects.set(operationId, projectId)
      backend.route('GET', `/api/operations/${operationId}`, ({ authorization }) =>
        authorized(authorization) ? { status: 200, body: project.operationBody(operationId) } : { status: 401 },
      )
      // As the reference server: 409 once the operation has ended; else the worker is told, and
      // the cancellation shows when it publishes `operation_cancelled` (here: at once).
      backend.route('POST', `/api/operations/${operationId}/cancel`, ({ authorization }) => {
        if (!authorized(authorization)) return { status: 401 }
        const status = project.operationBody(operationId)?.status
        if (status === 'completed' || status === 'failed' || status === 'cancelled') return { status: 409, body: { detail: `the operation has ended (${status})` } }
        publish(projectId, { type: 'operation_cancelled', operation_id: operationId })
        return { status: 202, body: { status: 'cancelling' } }
      })
    }
    backend.send(`/ws/projects/${projectId}`, sequenced)
  }

  return {
    publish,
    /** Makes the project known (its socket and REST routes) before any event. */
    project: state,
  }
}

/**
 * Answers the scan socket at `path` like the document indexer: `progress` every `tickMs` over a
 * generated tree, then `completed`; stops on `{ action: 'cancel' }`.
 */
export function mockScanSocket(backend: MockLiveBackend, path: string, options: { tickMs?: number; filesPerTick?: number } = {}) {
  let cancel = () => {}
  backend.onMessage(path, (message, client) => {
    if (message?.action === 'cancel') cancel()
    if (message?.action !== 'scan') return
    cancel()
    cancel = runScan(message, { send: (text) => client.send(text), isOpen: () => client.readyState === 1 }, options)
  })
}
