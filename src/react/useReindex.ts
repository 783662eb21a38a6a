import { useMutation, useQueryClient, type QueryClient, type UseMutationResult } from '@tanstack/react-query'
import { indexStatusChannel, type IndexStatus } from '../channels/indexStatus'
import { LiveStatusHttpError } from '../sync/httpError'
import type { LiveStatusClient } from '../sync/liveStatusClient'
import { compact } from '../sync/values'
import { useLiveStatusClient } from './context'

/** What `useReindex`'s mutation remembers for a rollback. */
export interface ReindexContext {
  previous: IndexStatus | undefined
}

/** `mutate()` takes nothing; a caller that already showed `queued` passes what was there before. */
export type ReindexVariables = { previous?: IndexStatus } | void

/**
 * Starts a reindex: POSTs the reindex endpoint, shows `queued` at once (keeping the last result's
 * server timestamp, so that result coming back over REST does not undo it), and rolls back if the
 * POST fails while nothing newer has arrived. A TanStack mutation: `mutate()`, `isPending`, `error`.
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
  const queryKey = client.channel(indexStatusChannel).queryKey({ projectId: projectId ?? '', branch })
  return useMutation<void, Error, ReindexVariables, ReindexContext>({
    mutationKey: ['live-status', 'reindex', projectId, branch],
    onMutate: async (variables) => {
      const previous = variables?.previous ?? queryClient.getQueryData<IndexStatus>(queryKey)
      // Through the live writer: a status request already out was asked before this run, and its
      // answer is merged under the optimistic state instead of landing over it.
      showQueued(client, queryClient, { projectId, branch })
      return { previous }
    },
    mutationFn: async () => {
      if (!projectId) throw new Error('[live-status] useReindex: no projectId')
      const path = client.endpoints.reindex(projectId)
      const response = await client.request(path, { method: 'POST', query: { branch } })
      if (!response.ok) throw new LiveStatusHttpError(response.status, client.restUrl(path, { branch }), false)
    },
    onError: (_error, _variables, context) => {
      // Roll back the optimistic "queued", unless events have moved on since.
      if (queryClient.getQueryData<IndexStatus>(queryKey)?.state !== 'queued') return
      if (context?.previous) queryClient.setQueryData(queryKey, context.previous)
      else void queryClient.invalidateQueries({ queryKey, exact: true })
    },
  })
}

/**
 * Writes the optimistic `queued` through the live writer: a status request already out was asked
 * before this run, and its answer is merged under it instead of landing over it.
 */
export function showQueued(client: LiveStatusClient, queryClient: QueryClient, { projectId, branch }: { projectId: string | null | undefined; branch?: string }): void {
  client.writeLive(queryClient, indexStatusChannel, { projectId: projectId ?? '', branch }, (current) =>
    current?.state === 'queued'
      ? current
      : compact<IndexStatus>({
          ...(current ?? { projectId: projectId ?? '' }),
          ...(branch ? { branch } : {}),
          state: 'queued',
          error: undefined,
          updatedAt: new Date(),
        }),
  )
}
