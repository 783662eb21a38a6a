import { useQueryClient } from '@tanstack/react-query'
import { useMemo } from 'react'
import { indexStatusChannel, type IndexStatus, type IndexStatusParams } from '../channels/indexStatus'
import { useLiveQuery, withExtras, type LiveQueryOptions, type LiveQueryResult } from './useLiveQuery'
import { useLiveStatusClient } from './context'
import { showQueued } from '../channels/indexCommands'
import { useReindex } from './useReindex'

/** Options of `useIndexStatus`: which project, and TanStack's query options. */
export interface UseIndexStatusOptions<TSelected = IndexStatus> extends LiveQueryOptions<IndexStatus, TSelected> {
  /** Sent as `?branch=` to REST; events for other branches are ignored. @default undefined */
  branch?: string
  /** Turns this backend's REST status body into an `IndexStatus`. @default parseIndexStatus */
  parse?: IndexStatusParams['parse']
}

/** What `useIndexStatus` returns: the live query result and the reindex command. */
export type UseIndexStatusResult<TSelected = IndexStatus> = LiveQueryResult<TSelected> & {
  /** Starts a reindex (`useReindex().mutate()`): shows `queued` at once, rolled back if the POST fails. */
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
 * const { data, reindex, isReindexing } = useIndexStatus({ projectId, branch: 'main' })
 * // or, short: useIndexStatus(projectId, { branch: 'main' })
 * ```
 */
export function useIndexStatus<TSelected = IndexStatus>(projectId: string | null | undefined, options?: UseIndexStatusOptions<TSelected>): UseIndexStatusResult<TSelected>
// The options form last: a compiler that reports one failed overload reports this one, naming an unknown option.
export function useIndexStatus<TSelected = IndexStatus>(
  options: UseIndexStatusOptions<TSelected> & { projectId: string | null | undefined },
): UseIndexStatusResult<TSelected>
export function useIndexStatus<TSelected = IndexStatus>(
  first: string | null | undefined | (UseIndexStatusOptions<TSelected> & { projectId: string | null | undefined }),
  second: UseIndexStatusOptions<TSelected> = {},
): UseIndexStatusResult<TSelected> {
  const { projectId, branch, parse, enabled = true, ...rest } = typeof first === 'object' && first !== null ? first : { ...second, projectId: first }
  const params = useMemo<IndexStatusParams>(() => ({ projectId: projectId ?? '', branch, parse }), [projectId, branch, parse])
  const result = useLiveQuery(indexStatusChannel, params, { ...rest, enabled: enabled && !!projectId })
  const queryClient = useQueryClient()
  const client = useLiveStatusClient()
  const { mutate, isPending, error } = useReindex({ projectId, branch })
  const channel = client.channel(indexStatusChannel)
  return withExtras(result, {
    reindex: () => {
      if (!projectId) return
      // "queued" shows in this very render pass, whatever TanStack version runs onMutate when.
      const previous = queryClient.getQueryData<IndexStatus>(channel.queryKey(params))
      mutate({ previous, undo: showQueued(client, queryClient, { projectId, branch }) })
    },
    get isReindexing() {
      // Through a tracked field, so a component that reads only this re-renders when it changes.
      void result.dataUpdatedAt
      return isPending || channel.isActive(queryClient.getQueryData<IndexStatus>(channel.queryKey(params)))
    },
    reindexError: error,
  })
}
