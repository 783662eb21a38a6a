import { useMutation, useQueryClient, type UseMutationResult } from '@tanstack/react-query'
import { reindexOptions, type ReindexContext, type ReindexVariables } from '../channels/indexCommands'
import { useLiveStatusClient } from './context'

export type { ReindexContext, ReindexVariables }

/**
 * Starts a reindex: POSTs the reindex endpoint, shows `queued` at once, and rolls back if the POST
 * fails while nothing newer has arrived (`reindexOptions`). A TanStack mutation: `mutate()`,
 * `isPending`, `error`.
 *
 * @example
 * ```tsx
 * const reindex = useReindex({ projectId, branch: 'main' })
 * <button onClick={() => reindex.mutate()} disabled={reindex.isPending}>Reindex</button>
 * ```
 */
export function useReindex(options: { projectId: string | null | undefined; branch?: string }): UseMutationResult<void, Error, ReindexVariables, ReindexContext> {
  const { projectId, branch } = options
  const client = useLiveStatusClient()
  const queryClient = useQueryClient()
  return useMutation(reindexOptions(client, { projectId, branch }, { queryClient }))
}
