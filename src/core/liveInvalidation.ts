import { hashKey, notifyManager, type QueryClient, type QueryKey } from '@tanstack/query-core'
import type { LiveStatusClient } from './liveStatusClient'
import type { EventSchema } from './types'

/** Options of `useLiveInvalidation` / `subscribeLiveInvalidation`. */
export interface LiveInvalidationOptions<TEvent> {
  /** Socket path (relative to `wsUrl`) or absolute URL, e.g. `/v1/events`. */
  socket: string
  /** Validates each message; what it rejects is dropped and reported. */
  schema: EventSchema<TEvent>
  /** The query keys an event makes stale, e.g. `e => [['transcripts'], ['transcript', e.data.id]]`. */
  keysFor: (event: TEvent) => readonly QueryKey[]
  /** Field that names the event type, for error reports. @default the provider's `discriminator` */
  discriminator?: string
  /** Keys to invalidate after a reconnect, when events may have been missed. @default [] */
  resyncKeys?: readonly QueryKey[]
}

/**
 * Invalidate, don't patch: each valid event marks the queries `keysFor` names stale. Events of one
 * tick are batched, and each key is invalidated once per batch.
 */
export function subscribeLiveInvalidation<TEvent>(
  queryClient: QueryClient,
  client: LiveStatusClient,
  options: LiveInvalidationOptions<TEvent>,
): () => void {
  const pending = new Map<string, QueryKey>()
  let scheduled = false
  let stopped = false
  const invalidate = (keys: Iterable<QueryKey>) =>
    notifyManager.batch(() => {
      for (const queryKey of keys) void queryClient.invalidateQueries({ queryKey })
    })
  const lease = client.hub.acquire<TEvent>(client.socketUrl(options.socket), {
    schema: options.schema,
    discriminator: options.discriminator,
    onEvents: (events) => {
      for (const event of events) for (const key of options.keysFor(event)) pending.set(hashKey(key), key)
      if (scheduled) return
      scheduled = true
      queueMicrotask(() => {
        scheduled = false
        const keys = [...pending.values()]
        pending.clear()
        if (!stopped) invalidate(keys)
      })
    },
    onOpen: ({ reconnected }) => {
      if (reconnected && options.resyncKeys?.length) invalidate(options.resyncKeys)
    },
  })
  return () => {
    stopped = true
    lease.release()
  }
}
