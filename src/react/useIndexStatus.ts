import { useMutation, useQueryClient } from '@tanstack/react-query'
import { useMemo } from 'react'
import { indexStatusChannel, type IndexStatus, type IndexStatusParams } from '../core/channels/indexStatus'
import { LiveStatusHttpError } from '../core/httpError'
import { compact } from '../core/values'
import { useLiveStatusClient } from './context'
import { useLiveQuery, type LiveQueryOptions, type LiveQueryResult } from './useLiveQuery'

export interface UseIndexStatusOptions extends LiveQueryOptions {
  /** Sent as `?branch=` to REST; events for other branches are ignored. @default undefined */
  branch?: string
  /** Turns this backend's REST status body into an `IndexStatus`. @default parseIndexStatus */
  parse?: IndexStatusParams['parse']
}

export type UseIndexStatusResult = LiveQueryResult<IndexStatus> & {
  /** POSTs the reindex endpoint and shows `queued` at once (rolled back if the POST fails). */
  reindex: () => void
  /** A reindex was asked for and has not finished: the POST is in flight, or the job is queued or indexing. */
  isReindexing: boolean
  /** Why the last reindex POST failed, if it did. */
  reindexError: Error | null
}

/**
 * A project's index status, live. A 404 from the status endpoint reads as `not_indexed` and the
 * socket stays subscribed, so the first `index_started` / `index_complete` still arrive.
 *
 * @example
 * ```tsx
 * const { data, reindex, isReindexing } = useIndexStatus(projectId, { branch: 'main' })
 * ```
 */
export function useIndexStatus(projectId: string | null | undefined, options: UseIndexStatusOptions = {}): UseIndexStatusResult {
  const { branch, parse, enabled = true, ...rest } = options
  const client = useLiveStatusClient()
  const queryClient = useQueryClient()
  const params = useMemo<IndexStatusParams>(() => ({ projectId: projectId ?? '', branch, parse }), [projectId, branch, parse])
  const result = useLiveQuery(indexStatusChannel, params, { ...rest, enabled: enabled && !!projectId })
  const queryKey = indexStatusChannel.queryKey(params)

  const mutation = useMutation({
    mutationFn: async (_previous: IndexStatus | undefined) => {
      const path = client.endpoints.reindex(params.projectId)
      const response = await client.request(path, { method: 'POST', query: { branch } })
      if (!response.ok) throw new LiveStatusHttpError(response.status, client.restUrl(path, { branch }), false)
    },
    onError: (_error, previous: IndexStatus | undefined) => {
      // Roll back the optimistic "queued", unless events have moved on since.
      if (queryClient.getQueryData<IndexStatus>(queryKey)?.state !== 'queued') return
      if (previous) queryClient.setQueryData(queryKey, previous)
      else void queryClient.invalidateQueries({ queryKey, exact: true })
    },
  })

  const state = result.data?.state
  return Object.assign(result, {
    reindex: () => {
      if (!projectId) return
      // "queued" shows in this very render pass, before the POST even leaves.
      const previous = queryClient.getQueryData<IndexStatus>(queryKey)
      void queryClient.cancelQueries({ queryKey, exact: true })
      queryClient.setQueryData<IndexStatus>(
        queryKey,
        compact<IndexStatus>({
          ...(previous ?? { projectId: params.projectId }),
          ...(branch ? { branch } : {}),
          state: 'queued',
          error: undefined,
          updatedAt: new Date(),
        }),
      )
      mutation.mutate(previous)
    },
    isReindexing: mutation.isPending || state === 'queued' || state === 'indexing',
    reindexError: mutation.error,
  })
}
