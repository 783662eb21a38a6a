import type { ChannelDefinition } from '../sync/defineChannel'
import { liveQueryOptions, type LiveQueryOptionsResult } from '../sync/liveQueryOptions'
import type { LiveStatusClient } from '../sync/liveStatusClient'
import type { CommandOptions } from './commands'
import { reindexOptions } from './indexCommands'
import { indexStatusChannel, type IndexStatus, type IndexStatusParams } from './indexStatus'
import { cancelOperationOptions, startOperationOptions } from './operationCommands'
import { operationProgressChannel, type OperationProgress, type OperationProgressParams } from './operationProgress'

/** What each query factory takes besides its parameters (see `liveQueryOptions`). */
export type LiveQueryFactoryOptions = Parameters<typeof liveQueryOptions>[3]

/** The query options of one channel, bound to a client. */
export interface BoundChannel<TParams, TData> {
  /** Options for `useQuery`, `useSuspenseQuery`, `useQueries`, `prefetchQuery`; the key is `DataTag`-typed. */
  queryOptions(params: TParams, options?: LiveQueryFactoryOptions): LiveQueryOptionsResult<TData>
  /** The query key alone, for `invalidateQueries`, `getQueryData`. */
  queryKey(params: TParams): LiveQueryOptionsResult<TData>['queryKey']
}

/** The factories of `liveStatusOptions(client)`. */
export interface LiveStatusOptions {
  /** The client they are bound to. */
  client: LiveStatusClient
  operationProgress: BoundChannel<OperationProgressParams, OperationProgress>
  indexStatus: BoundChannel<IndexStatusParams, IndexStatus>
  /** Any channel: yours (`defineChannel`) or a dialect's. */
  channel<TParams, TEvent, TData>(channel: ChannelDefinition<TParams, TEvent, TData>): BoundChannel<TParams, TData>
  startOperation: { mutationOptions(params: { projectId: string }, options?: CommandOptions): ReturnType<typeof startOperationOptions> }
  cancelOperation: { mutationOptions(options?: CommandOptions): ReturnType<typeof cancelOperationOptions> }
  reindex: { mutationOptions(params: { projectId: string | null | undefined; branch?: string }, options?: CommandOptions): ReturnType<typeof reindexOptions> }
}

/**
 * The query and mutation options of every built-in channel and command, bound to one client, so
 * a call site passes only its parameters — in React through `useLiveStatusOptions()`, elsewhere
 * (a Server Component that prefetches, a loader) from the client made there.
 *
 * @example
 * ```ts
 * const live = liveStatusOptions(client)
 * await queryClient.prefetchQuery(live.indexStatus.queryOptions({ projectId }))
 * const start = useMutation(live.startOperation.mutationOptions({ projectId }))
 * ```
 */
export function liveStatusOptions(
  client: LiveStatusClient,
  /** `queryClient`: where the mutations' optimistic rows go when a call passes none (older TanStack v5 versions hand none to mutations). @default {} */
  bound: CommandOptions = {},
): LiveStatusOptions {
  const channel = <TParams, TEvent, TData>(definition: ChannelDefinition<TParams, TEvent, TData>): BoundChannel<TParams, TData> => ({
    queryOptions: (params, options) => liveQueryOptions(client, definition, params, options),
    queryKey: (params) => client.channel(definition).queryKey(params) as LiveQueryOptionsResult<TData>['queryKey'],
  })
  return {
    client,
    operationProgress: channel(operationProgressChannel),
    indexStatus: channel(indexStatusChannel),
    channel,
    startOperation: { mutationOptions: (params, options) => startOperationOptions(client, params, { ...bound, ...options }) },
    cancelOperation: { mutationOptions: (options) => cancelOperationOptions(client, { ...bound, ...options }) },
    reindex: { mutationOptions: (params, options) => reindexOptions(client, params, { ...bound, ...options }) },
  }
}
