import { run } from '../sync/validate'
import { indexEventSchema, operationEventTypes, restIndexSchema, type IndexEvent } from './schemas'
import { builtInChannel, defineChannel } from '../sync/defineChannel'
import { liveQueryOptions, type LiveQueryOptionsResult } from '../sync/liveQueryOptions'
import type { LiveStatusClient } from '../sync/liveStatusClient'
import { liveStatusKeys } from '../sync/queryKeys'
import { compact, serverTime } from '../sync/values'

/** Where a project's index is, as `useIndexStatus` shows it. */
export type IndexState = 'not_indexed' | 'queued' | 'indexing' | 'complete' | 'failed'

/** A project's index, as `useIndexStatus` returns it. */
export interface IndexStatus {
  state: IndexState
  projectId: string
  branch?: string
  entityCount?: number
  error?: string
  /** When it last changed: the server's timestamp when it sent one, else when it was received here. For display. */
  updatedAt: Date
  /**
   * The latest timestamp the server itself gave (an event's `timestamp`, REST's `updated_at` /
   * `indexed_at`): what ordering decisions compare, never with this machine's clock. An event
   * without one keeps the last known, so a run started after it is told apart from its result.
   */
  serverUpdatedAt?: Date
}

/** Which project's index (and branch) `useIndexStatus` and `indexStatusOptions` follow. */
export interface IndexStatusParams {
  projectId: string
  /** Sent as `?branch=` to REST; events for another branch are ignored. */
  branch?: string
  /** Turns the REST status body into an `IndexStatus`. @default parseIndexStatus (ontology editor and reference server) */
  parse?: (body: unknown, params: IndexStatusParams) => IndexStatus
}

export { indexEventSchema, type IndexEvent }

const restStates: Record<string, IndexState> = {
  not_indexed: 'not_indexed',
  pending: 'queued',
  queued: 'queued',
  indexing: 'indexing',
  ready: 'complete',
  complete: 'complete',
  failed: 'failed',
}

/**
 * The default REST parser: the ontology editor's `{ status: pending | indexing | ready | failed,
 * entity_count, error_message, indexed_at }` (snake_case), which the reference server speaks too.
 */
export function parseIndexStatus(body: unknown, params: IndexStatusParams): IndexStatus {
  const result = run(restIndexSchema, body)
  if (result.issues) {
    const issue = result.issues[0]
    throw new Error(`[live-status] Index status response not understood: ${issue?.path.join('.') || '(root)'}: ${issue?.message}.${process.env.NODE_ENV !== 'production' ? ' Pass `parse` to useIndexStatus for this backend.' : ''}`)
  }
  const rest = result.value
  const at = serverTime(rest.updated_at ?? rest.indexed_at)
  return compact({
    state: restStates[rest.status]!,
    projectId: params.projectId,
    branch: rest.branch ?? params.branch,
    entityCount: rest.entity_count ?? undefined,
    error: rest.error_message ?? undefined,
    updatedAt: new Date(at ?? Date.now()),
    serverUpdatedAt: at === undefined ? undefined : new Date(at),
  })
}

const isActive = (data: IndexStatus | undefined) => data?.state === 'queued' || data?.state === 'indexing'
const isTerminal = (data: IndexStatus | undefined) => data?.state === 'complete' || data?.state === 'failed'

/** The index channel that `useIndexStatus` is built on. */
export const indexStatusChannel = builtInChannel(
  defineChannel<IndexStatusParams, IndexEvent, IndexStatus>({
  name: 'index',
  queryKey: ({ projectId, branch }) => liveStatusKeys.index(projectId, branch),
  socket: (client, { projectId }) => client.endpoints.indexSocket(projectId),
  schema: indexEventSchema,
  // The project's socket carries its operation events too: a page without an operation ignores them.
  knownTypes: operationEventTypes,
  route: { params: (params) => params.projectId, event: (event) => event.project_id },
  matches: (event, params, { dedicatedSocket }) =>
    (event.project_id !== undefined ? event.project_id === params.projectId : dedicatedSocket) &&
    (params.branch === undefined || event.branch == null || event.branch === params.branch),
  reduce: (data, event, { params, now }): IndexStatus | undefined => {
    const at = serverTime(event.timestamp)
    const known = data?.serverUpdatedAt?.getTime()
    // An event older than what we know (a late replay) says nothing new; without timestamps the
    // socket's own order is the server's (undefined compares false).
    if (at! < known!) return data
    const base: IndexStatus = data ?? { state: 'not_indexed', projectId: params.projectId, updatedAt: new Date(now) }
    const branch = event.branch ?? base.branch
    const stamp = at ?? known
    const next = (state: IndexState, patch?: Partial<IndexStatus>): IndexStatus =>
      compact({
        ...base,
        state,
        branch,
        error: undefined,
        updatedAt: new Date(at ?? now),
        serverUpdatedAt: stamp === undefined ? undefined : new Date(stamp),
        ...patch,
      })
    switch (event.type) {
      case 'index_queued':
        return next('queued')
      case 'index_started':
        return next('indexing')
      case 'index_complete':
        return next('complete', { entityCount: event.entity_count ?? base.entityCount })
      case 'index_failed':
        return next('failed', { error: event.error ?? 'Indexing failed' })
      case 'index_status':
        if (!event.status) return data
        return next(restStates[event.status]!, {
          entityCount: event.entity_count ?? base.entityCount,
          error: event.error ?? undefined,
        })
    }
  },
  fetch: async ({ client, params, signal, previous }) => {
    const body = await client.getJson(client.endpoints.indexStatus(params.projectId), {
      query: { branch: params.branch },
      signal,
      allow404: true,
    })
    // 404 before the first index record exists: "not indexed yet", not an error.
    const fetched: IndexStatus =
      body === null
        ? { state: 'not_indexed', projectId: params.projectId, ...(params.branch ? { branch: params.branch } : {}), updatedAt: new Date() }
        : (params.parse ?? parseIndexStatus)(body, params)
    return mergeIndexStatus(previous, fetched)
  },
  isActive,
  isTerminal,
  }),
)


const rank: Record<IndexState, number> = { not_indexed: 0, queued: 1, indexing: 2, complete: 3, failed: 3 }

/**
 * A REST answer against what the cache held when it was asked, with no clock of this machine
 * involved:
 * - a 404 ("no index record yet") does not undo an index we have seen queued, run or end;
 * - both sides carry server timestamps: the newer wins. At the same timestamp an active state is
 *   a new run that began after the result stamped with it (an event without a timestamp keeps the
 *   last known one, and REST's `indexed_at` stays the last finished run's), so it wins. An active
 *   state REST stamps older than the cache is of the run after its stamp, the one the cache
 *   follows (queued after that end): the run's order decides, and the cache's stamp stays;
 * - only the answer is stamped: it wins, as the only ordering evidence there is (a lagging answer
 *   is corrected by the next event or the quiet check's second look);
 * - otherwise the state order of one run decides: its end beats its start beats its queueing.
 */
export function mergeIndexStatus(previous: IndexStatus | undefined, fetched: IndexStatus): IndexStatus {
  if (!previous) return fetched
  if (fetched.state === 'not_indexed' && previous.state !== 'not_indexed') return previous
  const was = previous.serverUpdatedAt?.getTime()
  const now = fetched.serverUpdatedAt?.getTime()
  const ranked = rank[fetched.state] >= rank[previous.state]
  const takeFetched = now === undefined ? ranked : was === undefined || (now !== was ? now > was || (isActive(fetched) && ranked) : isActive(fetched) || !isActive(previous))
  if (!takeFetched) return previous
  return compact({ ...fetched, entityCount: fetched.entityCount ?? previous.entityCount, serverUpdatedAt: was! > now! ? previous.serverUpdatedAt : fetched.serverUpdatedAt })
}

/**
 * `useQuery` / `prefetchQuery` options of a project's index status, outside React (a server that
 * prefetches before `HydrationBoundary`, a loader). `getQueryData(queryKey)` is typed.
 */
export function indexStatusOptions(
  client: LiveStatusClient,
  params: IndexStatusParams,
  options?: Parameters<typeof liveQueryOptions>[3],
): LiveQueryOptionsResult<IndexStatus> {
  return liveQueryOptions(client, indexStatusChannel, params, options)
}
