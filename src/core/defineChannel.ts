import type { QueryKey } from '@tanstack/query-core'
import type { LiveStatusClient } from './liveStatusClient'
import type { EventSchema } from './types'

/** What a reducer gets besides the data and the event. */
export interface ReduceContext<TParams> {
  params: TParams
  /** Epoch ms when the frame arrived. */
  now: number
  /** Scratch space of this query's writer, kept across events (rate estimates, say). */
  scratch: Record<string, unknown>
}

/** What a channel's REST fetch gets. */
export interface FetchContext<TParams, TData> {
  client: LiveStatusClient
  params: TParams
  signal: AbortSignal
  /** What the cache holds now: live events may know more than the REST answer (counters, stage). */
  previous: TData | undefined
}

/**
 * A live channel: how one kind of job state is fetched, which socket updates it, how events are
 * validated and reduced into the cached data, and when the job counts as active or finished.
 * The built-in hooks are channels; an app adds its own (a lint socket, a build socket) the same way.
 */
export interface ChannelDefinition<TParams, TEvent, TData> {
  /** For messages and debugging. */
  name: string
  /** The TanStack Query key of the data for `params`. */
  queryKey: (params: TParams) => QueryKey
  /** Socket path (relative to `wsUrl`) or absolute URL carrying the events; `null` for poll-only. */
  socket: (client: LiveStatusClient, params: TParams) => string | null
  /** Validates each message; what it rejects is dropped and reported. */
  schema: EventSchema<TEvent>
  /** Field that names the event type, for error reports. @default the provider's `discriminator` */
  discriminator?: string
  /** Whether an event that passed the schema is about this query (project, operation, branch). @default () => true */
  matches?: (event: TEvent, params: TParams, context: { dedicatedSocket: boolean }) => boolean
  /** Folds one event into the data. Return `data` itself when nothing changed. */
  reduce: (data: TData | undefined, event: TEvent, context: ReduceContext<TParams>) => TData | undefined
  /** The authoritative copy over REST. */
  fetch: (context: FetchContext<TParams, TData>) => Promise<TData>
  /** Whether the job is running: polling covers for a down socket only then. */
  isActive: (data: TData | undefined) => boolean
  /** Whether the job has ended: reaching it invalidates the query once. @default () => false */
  isTerminal?: (data: TData | undefined) => boolean
  /** The event's sequence number, if it has one. @default event.seq when it is a number */
  seq?: (event: TEvent) => number | undefined
  /** Called each time the socket opens (send a subscribe or start message here). @default undefined */
  onOpen?: (context: { params: TParams; send: (message: unknown) => boolean; reconnected: boolean }) => void
}

/** Declares a channel; the identity function, there for type inference. */
export function defineChannel<TParams, TEvent, TData>(
  definition: ChannelDefinition<TParams, TEvent, TData>,
): ChannelDefinition<TParams, TEvent, TData> {
  return definition
}
