import type { QueryKey } from '@tanstack/query-core'

/**
 * Query keys of every live-status query, for apps that want to invalidate or read them.
 * `liveStatusKeys.index(projectId)` matches every branch of that project.
 */
export const liveStatusKeys = {
  all: ['live-status'] as const,
  index: (projectId: string, branch?: string): QueryKey =>
    branch === undefined ? ['live-status', 'index', projectId] : ['live-status', 'index', projectId, { branch }],
  operation: (operationId: string): QueryKey => ['live-status', 'operation', operationId],
  scan: (scanId: string): QueryKey => ['live-status', 'scan', scanId],
}
