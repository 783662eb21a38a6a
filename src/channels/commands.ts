import type { MutationOptions, QueryClient } from '@tanstack/query-core'
import type { ChannelDefinition } from '../sync/defineChannel'
import type { LiveStatusClient } from '../sync/liveStatusClient'
import { setKeepingMark } from '../sync/liveQuerySync'

/**
 * Options a TanStack mutation takes (`useMutation`, `queryClient.getMutationCache().build`), with the
 * key always set. The context argument is the one newer TanStack v5 versions pass; older ones pass none,
 * and the factories then write optimistic rows only when given a `queryClient`.
 */
export type LiveMutationOptions<TData, TVariables, TContext> = Required<Pick<MutationOptions<TData, Error, TVariables, TContext>, 'mutationKey' | 'mutationFn'>> &
  Pick<MutationOptions<TData, Error, TVariables, TContext>, 'onMutate' | 'onError' | 'onSuccess'>

/** What the command factories take besides their parameters. */
export interface CommandOptions {
  /**
   * The QueryClient the optimistic rows go into. Newer TanStack v5 versions hand it to the mutation itself;
   * the hooks pass the provider's.
   * @default the mutation context's `client`
   */
  queryClient?: QueryClient
}

/** The part of TanStack's mutation context the factories read; older versions pass nothing. */
export type MutationContext = { client?: QueryClient } | undefined

/** Where optimistic rows go: the QueryClient given, else the one the mutation runs in, else none. */
export const clientOf = (options: CommandOptions, context: MutationContext): QueryClient | undefined => options.queryClient ?? context?.client

/** One optimistic write that may be undone: a failed command's. */
interface StandingWrite {
  apply: (data: any) => any
  undone: boolean
}

/**
 * The optimistic writes standing on each query (per QueryClient and key), in order, with the value
 * they were written over: undoing one recomputes from there with the others. A write by anyone
 * else (an event, an answer) starts a new chain: what it wrote stands.
 */
const chains = new WeakMap<QueryClient, Map<string, { base: unknown; writes: StandingWrite[]; shown: unknown }>>()

/**
 * Writes `apply` through the live writer (a fetch out for the query gets it on its answer) and
 * returns what takes it back: from the cache, when nothing but other commands' optimistic writes
 * came since (a later command accepted keeps its own), and from any fetch's answer still to come.
 */
export function writeUndoable<TParams, TData>(client: LiveStatusClient, queryClient: QueryClient, channel: ChannelDefinition<TParams, any, TData>, params: TParams, apply: (data: TData | undefined) => TData | undefined): () => void {
  const queryKey = client.channel(channel).queryKey(params)
  const key = queryClient.defaultQueryOptions({ queryKey }).queryHash
  let byKey = chains.get(queryClient)
  if (!byKey) chains.set(queryClient, (byKey = new Map()))
  const before = queryClient.getQueryData(queryKey)
  const found = byKey.get(key)
  // Setting the chain already there changes nothing: one `set` for both cases.
  const mine = found && found.shown === before ? found : { base: before, writes: [] as StandingWrite[], shown: before as unknown }
  byKey.set(key, mine)
  const write: StandingWrite = { apply, undone: false }
  mine.writes.push(write)
  // Read again on a fetch's answer: undone by then, it is not applied.
  client.writeLive(queryClient, channel, params, (data) => (write.undone ? data : apply(data)))
  mine.shown = queryClient.getQueryData(queryKey)
  return () => {
    if (write.undone) return
    write.undone = true
    mine.writes = mine.writes.filter((other) => other !== write)
    if (byKey.get(key) !== mine || queryClient.getQueryData(queryKey) !== mine.shown) return
    let data = mine.base as TData | undefined
    for (const other of mine.writes) data = other.apply(data) ?? data
    // Not through the writer: a fetch's answer must not get this value, only lose the undone write.
    if (data === undefined) void queryClient.invalidateQueries({ queryKey, exact: true })
    // An undo is no answer: a read owed (the query marked invalidated) stays owed.
    else setKeepingMark(queryClient, queryKey, data, key)
    mine.shown = queryClient.getQueryData(queryKey)
  }
}
