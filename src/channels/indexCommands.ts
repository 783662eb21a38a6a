import type { QueryClient } from '@tanstack/query-core'
import type { LiveStatusClient } from '../sync/liveStatusClient'
import { sendJson } from '../sync/rest'
import { compact } from '../sync/values'
import { indexStatusChannel, type IndexStatus } from './indexStatus'
import { clientOf, writeUndoable, type CommandOptions, type LiveMutationOptions, type MutationContext } from './commands'

/** What the reindex mutation remembers for a rollback. */
export interface ReindexContext {
  previous: IndexStatus | undefined
  /** Takes this reindex's `queued` back. @default undefined (no QueryClient to show it in) */
  undo?: () => void
}

/**
 * `mutate()` takes nothing; a caller that already showed `queued` passes what was there before,
 * and what takes it back (`showQueued`'s answer).
 */
export type ReindexVariables = { previous?: IndexStatus; undo?: () => void } | void

/**
 * Mutation options that start a reindex: `POST` the `reindex` endpoint, show `queued` at once
 * (keeping the last result's server timestamp, so that result coming back over REST does not undo
 * it), and roll back if the POST fails while nothing newer has arrived.
 *
 * @example
 * ```ts
 * const reindex = useMutation(reindexOptions(client, { projectId, branch: 'main' }, { queryClient }))
 * ```
 */
export function reindexOptions(
  client: LiveStatusClient,
  params: { projectId: string | null | undefined; branch?: string },
  options: CommandOptions = {},
): LiveMutationOptions<void, ReindexVariables, ReindexContext> {
  const { projectId, branch } = params
  const queryKey = client.channel(indexStatusChannel).queryKey({ projectId: projectId ?? '', branch })
  return {
    mutationKey: ['live-status', 'reindex', projectId, branch],
    onMutate: (variables, context?: MutationContext) => {
      const queryClient = clientOf(options, context)
      const previous = variables?.previous ?? queryClient?.getQueryData<IndexStatus>(queryKey)
      return { previous, undo: variables?.undo ?? (queryClient && showQueued(client, queryClient, params)) }
    },
    mutationFn: async () => {
      if (!projectId) throw new Error('[live-status] reindex: no projectId')
      // The start and cancel commands' path: a refusal carries the server's reason, token masked.
      await sendJson(client.rest, client.endpoints.reindex(projectId), { query: { branch } })
    },
    // Take this reindex's "queued" back: from the screen unless events (or another reindex,
    // accepted or still out) replaced it, and from a status answer still to come.
    onError: (_error, _variables, result) => result?.undo?.(),
  }
}

/**
 * Writes the optimistic `queued` through the live writer: a status request already out was asked
 * before this run, and its answer is merged under it instead of landing over it.
 */
export function showQueued(client: LiveStatusClient, queryClient: QueryClient, { projectId, branch }: { projectId: string | null | undefined; branch?: string }): () => void {
  return writeUndoable(client, queryClient, indexStatusChannel, { projectId: projectId ?? '', branch }, (current) =>
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
