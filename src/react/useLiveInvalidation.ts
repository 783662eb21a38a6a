import { useQueryClient } from '@tanstack/react-query'
import { useEffect, useRef } from 'react'
import { subscribeLiveInvalidation, type LiveInvalidationOptions } from '../sync/liveInvalidation'
import type { EventSchema } from '../transport/types'
import { useLiveStatusClient } from './context'

/** Options of `useLiveInvalidation`: the socket, the event schema and the keys each event refetches. */
export interface UseLiveInvalidationOptions<TEvent> extends LiveInvalidationOptions<TEvent> {
  /** Set `false` to unsubscribe. @default true */
  enabled?: boolean
}

/**
 * Entity events that invalidate rather than patch (the meeting transcriber's
 * `{ event, data: { id } }`): each valid event invalidates the keys `keysFor` returns, batched.
 *
 * @example
 * ```tsx
 * useLiveInvalidation({
 *   socket: '/v1/events',
 *   discriminator: 'event',
 *   schema: z.object({ event: z.enum(['TRANSCRIPT_CREATED', 'TRANSCRIPT_STATUS']), data: z.object({ id: z.string() }) }),
 *   keysFor: (e) => [['transcripts'], ['transcript', e.data.id]],
 * })
 * ```
 */
export function useLiveInvalidation<TEvent>(options: UseLiveInvalidationOptions<TEvent>): void {
  const client = useLiveStatusClient()
  const queryClient = useQueryClient()
  const latest = useRef(options)
  latest.current = options
  const { socket, discriminator, coalesceMs, enabled = true } = options
  // The schema of the latest render, behind one identity: a schema written inline (a new object
  // each render) re-subscribed on every render, which dropped the coalesce window's pending refetch.
  // Its `~standard` is the app schema's own, so a schema that has none is named as such (development).
  const schema = useRef<EventSchema<TEvent>>({
    get '~standard'() {
      return latest.current.schema?.['~standard']
    },
  }).current
  useEffect(() => {
    if (!enabled) return
    return subscribeLiveInvalidation(queryClient, client, {
      socket,
      schema,
      discriminator,
      coalesceMs,
      keysFor: (event) => latest.current.keysFor(event),
      // Read per message: an inline array (a new one each render) does not re-subscribe.
      get knownTypes() {
        return latest.current.knownTypes
      },
      get resyncKeys() {
        return latest.current.resyncKeys
      },
    })
  }, [client, queryClient, socket, schema, discriminator, coalesceMs, enabled])
}
