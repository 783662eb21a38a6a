import type { QueryKey } from '@tanstack/query-core'
import type { Endpoints } from './endpoints'
import type { SchemaLike } from './standardSchema'

/**
 * What a channel's `socket`, `fetch` and `onOpen` get of the client: URL builders and
 * authenticated REST. `ChannelClient` is one; declared here so channels need nothing else of it.
 */
export interface ChannelClient {
  readonly endpoints: Endpoints
  /** An authenticated REST call (the token added, a rejected token reported). */
  request(path: string, init?: RequestInit & { query?: Record<string, string | undefined> }): Promise<Response>
  /** `GET` JSON; `null` for 404 when `allow404`; other non-2xx answers throw `LiveStatusHttpError`. */
  getJson(path: string, options?: { query?: Record<string, string | undefined>; signal?: AbortSignal; allow404?: boolean }): Promise<unknown>
  /** A REST path (or absolute URL) resolved against `apiUrl`, with query parameters. */
  restUrl(path: string, query?: Record<string, string | undefined>): string
}

/** What a reducer gets besides the data and the event. */
export interface ReduceContext<TParams> {
  params: TParams
  /**
   * Epoch ms on this machine's clock when the events were written. For rates and ETAs only: it is
   * never comparable with a server's timestamps (clocks differ by seconds to hours).
   */
  now: number
  /** Scratch space of this query's writer, kept across events (rate estimates, say). */
  scratch: Record<string, unknown>
}

/** What a channel's REST fetch gets. */
export interface FetchContext<TParams, TData> {
  client: ChannelClient
  params: TParams
  signal: AbortSignal
  /**
   * What the cache held when this fetch started. REST can lag behind the socket (a worker that
   * publishes before it writes its database), so merge the answer with it by the channel's rules
   * (counters keep their maximum, a run's end beats its start). Events that arrive while the fetch
   * is in flight are not here: the cache writer applies them on top of what `fetch` returns.
   */
  previous: TData | undefined
  /**
   * Say whether REST's own answer, before the merge with `previous`, shows the job ended. A merge
   * that keeps an end the socket reported hides that REST has not caught up yet; when the socket
   * ended the job first, the cache writer asks REST again with backoff until it agrees (its
   * answers then hold the final results). Not calling it: `isTerminal` of what `fetch` returns
   * stands for REST's view.
   * @default undefined outside a live query's writer
   */
  reportEnded?: (ended: boolean) => void
}

/** How a shared socket's events find the queries they concern. */
export interface ChannelRoute<TParams, TEvent> {
  /** The id a query listens for, e.g. its operation id. */
  params: (params: TParams) => string
  /** The id an event is about, or `undefined` when it names none (it then goes to every query on the socket). */
  event: (event: TEvent) => string | undefined
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
  socket: (client: ChannelClient, params: TParams) => string | null
  /** Validates each message (zod, or any Standard Schema validator); what it rejects is dropped and reported. */
  schema: SchemaLike<TEvent>
  /** Field that names the event type, for error reports. @default the provider's `discriminator` */
  discriminator?: string
  /**
   * The types of the backend's other channels that arrive on this channel's socket (the reference
   * server sends a project's index and operation events on one socket), as values of the
   * `discriminator` field. This channel's schema refusing one of them is not reported: a message no
   * channel of the page takes is ignored, as an event for another query is, rather than reported to
   * `onEventError` as `unknown_type`.
   * @default undefined (every message this channel's schema refuses is reported)
   */
  knownTypes?: readonly string[]
  /**
   * Turns a binary frame into this channel's events (a backend that sends image previews between
   * its JSON events, say; with the `binaryFrames` option, the frames it does not read as JSON).
   * What it returns is not checked by `schema`. Without it such frames are dropped and counted
   * (`binary` in `onEventError` and the devtools), and never make the channel refetch.
   * @default undefined
   */
  decodeBinary?: (data: unknown) => TEvent | readonly TEvent[] | undefined
  /**
   * Routes each event of a shared socket to the queries it names, so 50 queries on one socket cost
   * about what one does. `matches` still runs on what is routed.
   * @default undefined (every event goes to every query of the socket)
   */
  route?: ChannelRoute<TParams, TEvent>
  /** Whether an event that passed the schema is about this query (project, operation, branch). @default () => true */
  matches?: (event: TEvent, params: TParams, context: { dedicatedSocket: boolean }) => boolean
  /**
   * Folds one event into the data, in the order the socket delivered it. Return `data` itself when
   * nothing changed. Compare server timestamps only with server timestamps, never with `now`.
   */
  reduce: (data: TData | undefined, event: TEvent, context: ReduceContext<TParams>) => TData | undefined
  /**
   * Folds the events of one flush at once; must give what folding `reduce` over them gives. The
   * built-in channels use one mutable draft here, finalised once per flush.
   * @default folds `reduce`
   */
  reduceMany?: (data: TData | undefined, events: readonly TEvent[], context: ReduceContext<TParams>) => TData | undefined
  /** The authoritative copy over REST; see `FetchContext.previous` for how it meets live events. */
  fetch: (context: FetchContext<TParams, TData>) => Promise<TData>
  /** Whether the job is running: polling and the quiet check cover for the socket only then. */
  isActive: (data: TData | undefined) => boolean
  /** Whether the job has ended: reaching it invalidates the query once. @default () => false */
  isTerminal?: (data: TData | undefined) => boolean
  /**
   * The event's sequence number, if it has one: repeated or older numbers within one socket's life
   * are dropped. A new socket (reconnect, server restart) starts afresh.
   * @default event.seq when it is a number
   */
  seq?: (event: TEvent) => number | undefined
  /**
   * Called each time the socket opens (send a subscribe or start message here). `write` updates
   * this query's data the way events do (a start request that failed, say). `refetch` reads REST
   * again: for a backend that sends no state when a socket opens, what changed between the REST
   * answer and the open is otherwise heard of only from the next event (after a reconnect the
   * query is read again anyway).
   * @default undefined
   */
  onOpen?: (context: {
    params: TParams
    send: (message: unknown) => boolean
    reconnected: boolean
    client: ChannelClient
    write: (update: (data: TData | undefined) => TData | undefined) => void
    refetch: () => void
  }) => void
}

/** Declares a channel, for type inference; in development it also checks that nothing required is missing. */
export function defineChannel<TParams, TEvent, TData>(
  definition: ChannelDefinition<TParams, TEvent, TData>,
): ChannelDefinition<TParams, TEvent, TData> {
  if (process.env.NODE_ENV !== 'production') {
    const missing = (['queryKey', 'socket', 'reduce', 'fetch', 'isActive'] as const).filter((key) => typeof definition[key] !== 'function')
    if (typeof definition.name !== 'string' || !definition.name) missing.unshift('name' as never)
    if (!definition.schema) missing.push('schema' as never)
    if (missing.length > 0) throw new Error(`[live-status] defineChannel(${JSON.stringify(definition.name ?? '?')}): missing ${missing.join(', ')}.`)
  }
  return definition
}

/**
 * A channel with its event reducer replaced or extended, without forking it: `reduce` gets the
 * built-in one as its last argument. (A channel's `reduceMany` is dropped: it folds with the
 * built-in rules, which are no longer the channel's.)
 *
 * @example Count a backend's own `collection_stats` event, keep everything else as it was
 * ```ts
 * const myOperations = withReducer(operationProgressChannel, (data, event, context, builtIn) =>
 *   event.type === 'collection_stats' ? { ...data!, message: 'stats updated' } : builtIn(data, event, context))
 * ```
 */
export function withReducer<TParams, TEvent, TData>(
  channel: ChannelDefinition<TParams, TEvent, TData>,
  reduce: (
    data: TData | undefined,
    event: TEvent,
    context: ReduceContext<TParams>,
    builtIn: ChannelDefinition<TParams, TEvent, TData>['reduce'],
  ) => TData | undefined,
): ChannelDefinition<TParams, TEvent, TData> {
  const builtIn = channel.reduce
  return { ...channel, reduce: (data, event, context) => reduce(data, event, context, builtIn), reduceMany: undefined }
}

const builtIns = new WeakSet<object>()

/**
 * @internal Marks the package's own channels: only these give way to a dialect's channel of the same
 * name (`LiveStatusClient.channel`). An app's channels, its `withReducer` variants included, are
 * used as given.
 */
export function builtInChannel<T extends ChannelDefinition<any, any, any>>(channel: T): T {
  builtIns.add(channel)
  return channel
}

/** @internal Whether `channel` is one of the package's own (see `builtInChannel`). */
export const isBuiltInChannel = (channel: object): boolean => builtIns.has(channel)
