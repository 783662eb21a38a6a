import { withQuery } from '../transport/url'

export { withQuery }

/**
 * URL builders, one per channel, relative to `wsUrl` (sockets) or `apiUrl` (REST). Absolute URLs
 * are used as they are. The defaults point at live-status's reference server, where every channel
 * of a project shares one socket.
 *
 * @example The ontology editor
 * ```ts
 * { indexSocket: (id) => `/api/v1/projects/${id}/ontology/index-ws`,
 *   indexStatus: (id) => `/api/v1/projects/${id}/ontology/index-status`,
 *   reindex: (id) => `/api/v1/projects/${id}/ontology/reindex` }
 * ```
 * @example The document indexer
 * ```ts
 * { operationSocket: (opId) => `/ws/operations/${opId}`,
 *   operationStatus: (opId) => `/api/v2/operations/${opId}`,
 *   scanSocket: (scanId) => `/ws/directory-scan/${scanId}`,
 *   scanStart: () => '/api/v2/directory-scan/preview' }
 * ```
 */
export interface Endpoints {
  /** Socket carrying a project's index events. @default (projectId) => `/ws/projects/${projectId}` */
  indexSocket: (projectId: string) => string
  /** `GET` a project's index status (404 = not indexed yet). @default (projectId) => `/api/projects/${projectId}/index` */
  indexStatus: (projectId: string) => string
  /** `POST` to start a reindex. @default (projectId) => `/api/projects/${projectId}/index/reindex` */
  reindex: (projectId: string) => string
  /**
   * Socket carrying an operation's progress. Gets the hook's `projectId` when one was given.
   * `null`: no socket for it (a backend whose streams are per project, asked without one); the
   * operation is then polled while it is active.
   * @default (operationId, { projectId }) => projectId ? `/ws/projects/${projectId}` : `/ws/operations/${operationId}`
   */
  operationSocket: (operationId: string, context: { projectId?: string | undefined }) => string | null
  /** `GET` an operation's status. @default (operationId) => `/api/operations/${operationId}` */
  operationStatus: (operationId: string) => string
  /** Socket for one directory scan, named by a fresh client-side id. @default (scanId) => `/ws/scan/${scanId}` */
  scanSocket: (scanId: string) => string
  /**
   * `POST` that starts a scan over REST with `{ path, recursive, scan_id }`, sent once its socket is
   * open (the document indexer's current server: `/api/v2/directory-scan/preview`). `null`: the scan
   * starts with a `{ action: 'scan', path, recursive }` message on the socket instead.
   * @default null
   */
  scanStart: ((scanId: string) => string) | null
  /**
   * `POST` that starts an operation in a project, with `{ type, operation_id?, …input }`; answers
   * `{ operation_id }`. Read only by `useStartOperation` / `startOperationOptions`, which hold the default.
   * @default (projectId) => `/api/projects/${projectId}/operations`
   */
  operationStart?: (projectId: string) => string
  /**
   * `POST` that asks for an operation to be cancelled. Read only by `useCancelOperation` /
   * `cancelOperationOptions`, which hold the default.
   * @default (operationId) => `/api/operations/${operationId}/cancel`
   */
  operationCancel?: (operationId: string) => string
}

export const segment = encodeURIComponent

/** The reference server's paths (`/ws/projects/{id}`, `/api/operations/{id}`, …): what `endpoints` overrides field by field. */
export const defaultEndpoints: Endpoints = {
  indexSocket: (projectId) => `/ws/projects/${segment(projectId)}`,
  indexStatus: (projectId) => `/api/projects/${segment(projectId)}/index`,
  reindex: (projectId) => `/api/projects/${segment(projectId)}/index/reindex`,
  operationSocket: (operationId, { projectId }) =>
    projectId ? `/ws/projects/${segment(projectId)}` : `/ws/operations/${segment(operationId)}`,
  operationStatus: (operationId) => `/api/operations/${segment(operationId)}`,
  scanSocket: (scanId) => `/ws/scan/${segment(scanId)}`,
  scanStart: null,
}

/** `http://…` → `ws://…`, `https://…` → `wss://…`. */
export function toWebSocketBase(apiUrl: string): string {
  return apiUrl.replace(/^http(s?):\/\//i, 'ws$1://')
}

/** Joins `path` to `base` unless it is already absolute (`ws:`, `wss:`, `http:`, `https:`). */
export function joinUrl(base: string, path: string): string {
  if (/^(wss?|https?):\/\//i.test(path)) return path
  return `${base.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`
}
