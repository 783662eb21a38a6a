/**
 * The ontology editor (OntoKit): a project-scoped index socket that reads `?token=`, its REST
 * status route (404 until the first index exists: "not indexed yet") and its reindex trigger.
 * Its index events are the reference protocol's (`index_started`, `index_complete`, `index_failed`).
 *
 * @example
 * ```tsx
 * import { ontologyEditor } from 'live-status/dialects/ontology-editor'
 * <LiveStatusProvider apiUrl="https://ontokit.example.com" dialect={ontologyEditor} accessToken={token}>
 * ```
 */
import { indexStatusChannel } from '../channels/indexStatus'
import type { Dialect } from '../sync/clientOptions'

const project = (projectId: string) => `/api/v1/projects/${encodeURIComponent(projectId)}`

/** The ontology editor's dialect. */
export const ontologyEditor: Dialect = {
  name: 'ontology-editor',
  options: {
    endpoints: {
      indexSocket: (projectId) => `${project(projectId)}/ontology/index-ws`,
      indexStatus: (projectId) => `${project(projectId)}/ontology/index-status`,
      reindex: (projectId) => `${project(projectId)}/ontology/reindex`,
    },
    // The socket reads `?token=`; REST takes `Authorization: Bearer`. 1008 means "authentication
    // failed" here, which the default `authCloseCodes` already say.
    auth: { type: 'query', param: 'token' },
  },
  channels: {
    // Its socket sends no state when it opens: an index that ended between the REST answer and the
    // open would show as running until the quiet check. REST is read once more when it opens.
    index: { ...indexStatusChannel, onOpen: ({ reconnected, refetch }) => reconnected || refetch() },
  },
}
