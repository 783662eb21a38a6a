/**
 * An event handler that accepts handlers of richer events: written as a method so its parameter is
 * compared both ways, which lets the browser's, `ws`'s and mock-socket's sockets fit without casts
 * (their handlers take their own event classes).
 */
type Handler<E> = { bivarianceHack(event: E): void }['bivarianceHack'] | null

/** The part of the WebSocket API live-status uses; the browser's, `ws`'s and mock-socket's all fit as they are. */
export interface WebSocketLike {
  readonly readyState: number
  readonly protocol?: string
  onopen: Handler<unknown>
  /** `data` is a frame, or a list of frames that arrived together (an SSE chunk's events, a cross-tab batch). */
  onmessage: Handler<{ data: unknown }>
  onerror: Handler<unknown>
  onclose: Handler<{ code: number; reason: string; wasClean?: boolean }>
  send(data: string): void
  close(code?: number, reason?: string): void
  /** Bytes sent but not yet on the wire (a browser's and `ws`'s `bufferedAmount`). @default undefined */
  readonly bufferedAmount?: number
  /** The least wait before the next attempt that the server asked for (an SSE stream's `retry:`). @default undefined */
  readonly retryMs?: number
  /**
   * A new token, for a socket whose sends authenticate one by one (an SSE stream's commands, POSTed
   * with it): a socket that stays open keeps the old token for what it receives. @default undefined
   */
  tokenChanged?(token: string): void
}

/** A WebSocket constructor: `globalThis.WebSocket`, `ws`'s `WebSocket`, mock-socket's. */
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike

/** Numeric `readyState` values, defined here so nothing depends on a global `WebSocket`. */
export const ReadyState = { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 } as const

/**
 * Where a connection stands.
 * - `idle`: not trying: no subscribers.
 * - `connecting`: the first socket is being opened (or the token is being fetched).
 * - `open`: connected; events flow.
 * - `reconnecting`: lost; waiting for the next attempt (`nextRetryAt`) or making it.
 * - `offline`: the browser is offline; one attempt follows as soon as it is online.
 * - `unauthorized`: the server refused the token; nothing happens until the token changes.
 * - `signed-out`: wanted, but there is no token: nothing opens until one is given.
 * - `closed`: gave up (attempts exhausted or a fatal close code); comes back on online, tab
 *   visible, token change or `reconnect()`.
 */
export type ConnectionState =
  | 'idle'
  | 'signed-out'
  | 'connecting'
  | 'open'
  | 'reconnecting'
  | 'offline'
  | 'unauthorized'
  | 'closed'

/** Snapshot of a connection for the UI. A new object only when something in it changed. */
export interface ConnectionSnapshot {
  readonly state: ConnectionState
  /** Number of the reconnect attempt under way or waited for; 0 while connected or idle. */
  readonly attempt: number
  /** Epoch ms of the next attempt while `reconnecting`, else `null`. */
  readonly nextRetryAt: number | null
  /** Close code of the last socket that closed (4000 for our own heartbeat/connect timeouts). */
  readonly lastCloseCode: number | null
  /** Close reason of the last socket that closed; never contains the token or 8+ characters of it. */
  readonly lastCloseReason: string | null
  /**
   * The socket is not open and REST polling keeps the data of its active jobs fresh meanwhile.
   * Set by the sync layer (`LiveStatusClient.liveStatus`); always `false` from a bare hub.
   */
  readonly polling: boolean
}

/** A socket that was up and is not (the states polling covers for). */
export const isDown = (state: ConnectionState): boolean =>
  state === 'reconnecting' || state === 'offline' || state === 'closed' || state === 'unauthorized'

/**
 * Why a frame or message was dropped. `too_large` covers both limits a frame is checked against
 * before it is parsed: `maxPayloadBytes` and `maxNestingDepth` (the message says which).
 */
export type EventErrorReason =
  | 'invalid_json'
  | 'too_large'
  | 'binary'
  | 'not_an_object'
  | 'unknown_type'
  | 'schema_mismatch'
  /** The server's answer to a message this client sent: it did not take it (`client_error`). */
  | 'rejected'

/** Reported to `onEventError` for each dropped frame or message. */
export interface EventError {
  reason: EventErrorReason
  /** Human-readable detail (the validation issue, the size); never contains the token. */
  message: string
  /** The first 200 characters of the offending frame or message, the token (and any 8+ characters of it) removed before the cut. */
  sample: string
  /** The connection's URL, without the token. */
  url: string
}

/**
 * The Standard Schema interface (standardschema.dev): zod 4, Valibot, ArkType and the package's own
 * validators implement it. The one form in which anything validates events, from the frame decoder
 * up, so no adapter sits between an app's schema and its events.
 */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly '~standard': {
    readonly version: 1
    readonly vendor: string
    readonly validate: (value: unknown) => StandardResult<Output> | Promise<StandardResult<Output>>
    readonly types?: { readonly input: Input; readonly output: Output } | undefined
  }
}

/** What a Standard Schema's `validate` gives: the output, or the issues (a path segment may be `{ key }`). */
export type StandardResult<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | { readonly issues: ReadonlyArray<{ readonly message: string; readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined }> }

/**
 * A validator for events: any Standard Schema, validating synchronously. zod 4 schemas fit as they
 * are (`z.object(…)`, `z.discriminatedUnion(…)`).
 */
export type EventSchema<T> = StandardSchemaV1<unknown, T>

/** Drop counters of one connection. */
export interface ConnectionStats {
  framesReceived: number
  eventsDelivered: number
  dropped: Record<EventErrorReason, number>
}
