/**
 * What a route handler streams from: the shape every source has (the reference server relay, a
 * push-style job source, or an async generator of the app's own).
 */

/** One event a source yields: the JSON a socket would send, and its position for resume. */
export interface SourceEvent {
  /**
   * The event's position, written as the `id:` line; a reconnecting `EventSource` sends it back as
   * `Last-Event-ID`, and the source gets it as `since`. A non-negative integer. The live-status
   * client sends back the `seq` inside the events it took: put it in `event` too.
   * @default the event's own numeric `seq` (for a `{ type: 'batch', events }` frame, its last
   * event's); without one, no `id:` line
   */
  seq?: number
  /** The event as the socket would send it; written with `JSON.stringify` as one `data:` line. */
  event: object
  /**
   * @internal Text a relay could not read as an event (not JSON, not an object, too long), sent
   * instead of `event` as it came (or as a note of what was skipped): the client counts it as an
   * unreadable frame and its queries refetch, as they would reading the upstream itself.
   * @default undefined
   */
  unread?: string
}

/** What a source is given for one client's stream. */
export interface SourceContext {
  /**
   * The last `seq` the client saw (its `Last-Event-ID`, or `?since=`): send only what came after
   * it. `undefined` on a first connection: send the current state (or nothing) and what follows.
   */
  since: number | undefined
  /**
   * Aborted when the client goes away or the stream ends for any other reason: stop reading,
   * release what you hold. Pass it to `fetch` and to your waits.
   */
  signal: AbortSignal
}

/**
 * Where a project's events come from: called once per client stream, after `authenticate` and
 * `authorize` allowed it. What it throws or rejects with before it returns is answered before the
 * stream (`SourceError`'s status, else 502); what its iterable throws later ends the stream, and
 * the client reconnects with `Last-Event-ID`. When the iterable ends, the response ends: reconnects
 * are the browser's job.
 *
 * An async generator is one (a database polled, a Redis stream read); `jobSource` makes one from a
 * push-style subscription, `referenceServerSource` relays the reference server.
 *
 * @example Polling the app's own table
 * ```ts
 * const source: ProjectEventSource = async function* (projectId, { since, signal }) {
 *   let after = since ?? 0
 *   while (!signal.aborted) {
 *     for (const row of await db.jobEvents(projectId, { after })) {
 *       after = row.seq
 *       yield { seq: row.seq, event: row.payload }
 *     }
 *     await new Promise((wake) => setTimeout(wake, 1000))
 *   }
 * }
 * ```
 */
export type ProjectEventSource = (
  projectId: string,
  context: SourceContext,
) => AsyncIterable<SourceEvent> | Promise<AsyncIterable<SourceEvent>>

/**
 * Thrown by a source before its stream starts, to choose the HTTP status the client gets: 503 makes
 * the client try again later (its backoff), anything else a failed attempt. The message goes to the
 * handler's `onError`, never to the client.
 */
export class SourceError extends Error {
  /** The status answered to the client. */
  readonly status: number

  constructor(message: string, status = 502) {
    super(message)
    this.name = 'SourceError'
    this.status = status
  }
}
