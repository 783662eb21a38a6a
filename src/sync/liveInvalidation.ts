import { hashKey, notifyManager, type Query, type QueryClient, type QueryKey } from '@tanstack/query-core'
import type { LiveStatusClient } from './liveStatusClient'
import type { SchemaLike } from './standardSchema'

/** Options of `useLiveInvalidation` / `subscribeLiveInvalidation`. */
export interface LiveInvalidationOptions<TEvent> {
  /**
   * Socket path (relative to `wsUrl`) or absolute URL, e.g. `/v1/events`. `''` (an unset
   * environment variable) subscribes to nothing, never to a socket at the server's root.
   */
  socket: string
  /** Validates each message (zod, or any Standard Schema validator); what it rejects is dropped and reported. */
  schema: SchemaLike<TEvent>
  /** The query keys an event makes stale, e.g. `e => [['transcripts'], ['transcript', e.data.id]]`. */
  keysFor: (event: TEvent) => readonly QueryKey[]
  /** Field that names the event type, for error reports. @default the provider's `discriminator` */
  discriminator?: string
  /**
   * The types of the backend's other channels that arrive on this socket (the reference server's
   * project socket carries index and operation events), as values of the `discriminator` field: as
   * `ChannelDefinition.knownTypes`, this schema refusing one of them is not reported to
   * `onEventError` as `unknown_type`, and the message invalidates nothing.
   * @default undefined (every message the schema refuses is reported)
   */
  knownTypes?: readonly string[]
  /**
   * Keys to invalidate each time the socket opens, the first time too: what changed before the
   * socket opened (after those keys' REST answers) or while it was down is only in REST.
   * @default []
   */
  resyncKeys?: readonly QueryKey[]
  /**
   * A key's first event refetches at once; more events about it within this window cause one more
   * refetch when the window ends (it starts after the last of them), not one each. A burst of 40
   * events in a second is 2–3 refetches.
   * @default 500
   */
  coalesceMs?: number
}

/**
 * Invalidate, don't patch: each valid event marks the queries `keysFor` names stale. A key is
 * refetched at its first event, then at most once per `coalesceMs` while events keep coming, and
 * always once more after the last of them.
 */
export function subscribeLiveInvalidation<TEvent>(
  queryClient: QueryClient,
  client: LiveStatusClient,
  options: LiveInvalidationOptions<TEvent>,
): () => void {
  // As a channel's socket: none named is none opened (`channelSocketUrl`).
  if (!options.socket) return () => {}
  const coalesceMs = options.coalesceMs ?? 500
  /** Keys inside their window; `dirty` when an event came after the window's refetch. */
  const windows = new Map<string, { key: QueryKey; dirty: boolean; timer: ReturnType<typeof setTimeout> }>()
  let stopped = false
  const cache = queryClient.getQueryCache()
  /** Queries to invalidate again once their fetch out now is over: one listener each, however many events come meanwhile. */
  const waiting = new WeakSet<Query>()
  const after = (query: Query) => {
    if (waiting.has(query)) return
    waiting.add(query)
    const off = cache.subscribe((event) => {
      if (event.query !== query || (event.type !== 'removed' && query.state.fetchStatus !== 'idle')) return
      off()
      waiting.delete(query)
      if (event.type !== 'removed') void queryClient.invalidateQueries({ queryKey: query.queryKey, exact: true })
    })
  }
  const invalidate = (keys: Iterable<QueryKey>) =>
    notifyManager.batch(() => {
      for (const queryKey of keys) {
        // A first fetch out (no data yet) is joined by TanStack, not restarted: its answer may
        // predate the event, so the query is fetched once more after it (as a live query's writer does).
        for (const query of cache.findAll({ queryKey })) if (query.state.fetchStatus === 'fetching' && query.state.data === undefined) after(query)
        void queryClient.invalidateQueries({ queryKey })
      }
    })
  const openWindow = (hash: string, key: QueryKey) => {
    const entry = {
      key,
      dirty: false,
      timer: setTimeout(() => {
        windows.delete(hash)
        if (stopped || !entry.dirty) return
        invalidate([key])
        openWindow(hash, key)
      }, coalesceMs),
    }
    windows.set(hash, entry)
  }
  const lease = client.hub.acquire<TEvent>(client.socketUrl(options.socket), {
    schema: options.schema,
    discriminator: options.discriminator,
    // Read per message: the hook's options of its latest render.
    get knownTypes() {
      return options.knownTypes
    },
    onEvents: (events) => {
      const now: QueryKey[] = []
      for (const event of events) {
        for (const key of options.keysFor(event)) {
          const hash = hashKey(key)
          const open = windows.get(hash)
          if (open) open.dirty = true
          else {
            openWindow(hash, key)
            now.push(key)
          }
        }
      }
      // No length check: an empty list makes an empty `notifyManager.batch`, which does nothing.
      invalidate(now)
    },
    // Every open, the first too: a socket that replays nothing (the transcriber's) says nothing of
    // what changed before it opened, after the keys' REST answers.
    onOpen: () => {
      if (options.resyncKeys?.length) invalidate(options.resyncKeys)
    },
  })
  return () => {
    stopped = true
    // Events that came inside a window are owed a refetch, whoever listens now.
    const owed: QueryKey[] = []
    for (const entry of windows.values()) {
      clearTimeout(entry.timer)
      if (entry.dirty) owed.push(entry.key)
    }
    windows.clear()
    invalidate(owed)
    lease.release()
  }
}
