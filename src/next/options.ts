import type { ProjectEventSource } from './source'

/** What `createSseRouteHandler` takes. */
export interface SseRouteHandlerOptions<User> {
  /**
   * Who owns `token`, the `Authorization: Bearer` header's (the handler never reads a token from
   * the URL: a request with `?token=` or `?access_token=` is refused). `null`/`undefined` → 401.
   * A throw → 500, logged through `onError` without the token.
   */
  authenticate: (token: string, request: Request) => User | null | undefined | Promise<User | null | undefined>
  /**
   * Whether `user` may follow `projectId`; `false` → 403. Required, and there is no "allow all"
   * default: a token for one project never reads another because an option was left out (the
   * reference server fails closed the same way). A throw → 500.
   */
  authorize: (user: User, projectId: string) => boolean | Promise<boolean>
  /** Where the project's events come from: `referenceServerSource(…)`, `jobSource(…)`, or an async generator of your own. */
  source: ProjectEventSource
  /**
   * The dynamic segment that holds the project id (`app/api/live/[projectId]/route.ts`).
   * @default 'projectId'
   */
  param?: string
  /**
   * Project ids accepted; any other is answered 404 before `authenticate` runs.
   * @default /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/ (the reference server's)
   */
  projectIdPattern?: RegExp
  /**
   * A comment line (`: ping`) goes out after this long without an event, so the client (and every
   * proxy on the way) sees traffic; the live-status client closes a stream silent for longer than
   * its heartbeat allows. Keep it under your proxies' idle timeouts. 1 to 2,147,483,647 ms.
   * @default 15000
   */
  heartbeatMs?: number
  /**
   * The `retry:` line sent first: how long the client waits before reconnecting after the stream
   * ends (the live-status client waits at least this long; its backoff may wait longer).
   * @default 2000
   */
  retryMs?: number
  /**
   * How often an open stream asks `authenticate` and `authorize` again with the token it was
   * opened with: a user signed out, a token revoked or a project's access withdrawn ends the
   * stream (the client reconnects, and is refused). A check that throws ends it too (the
   * reconnect checks afresh), and so does one that has not answered within `authTimeoutMs`. One
   * check at a time: a check still out when the next is due is not asked again. 1 to
   * 2,147,483,647 ms; `false`: checked once, when the stream opens (that check is still bounded
   * by `authTimeoutMs`).
   * @default 300000 (5 minutes)
   */
  recheckAccessMs?: number | false
  /**
   * How long `authenticate` and `authorize` together may take to answer, when a stream opens and
   * on each `recheckAccessMs` check: an auth backend that never answers must not hold requests
   * (a client reconnecting with backoff would pile them up) nor keep a revoked token's stream open.
   * An opening check not answered by then is answered `503` with `Retry-After` (`retryMs`, in
   * seconds), before `source` is called, and reported once through `onError`: the token was not
   * refused (a 401 would make the client drop it), the backend is down for now, and the client
   * tries again later. A recheck not answered by then ends the stream as a refusal would. An
   * answer that comes later is ignored (a late throw is not reported). A client that leaves while
   * the opening check is out is not waited for. The reference server's option of the same name
   * and default; it allows twice this long, as its span also covers the wait for an auth message,
   * which a route handler never has. 1 to 2,147,483,647 ms.
   * @default 5000
   */
  authTimeoutMs?: number
  /**
   * Streams one user may hold open at once through this handler. The next one is answered `429`
   * with a JSON `{ detail }` body and `Retry-After` (`retryMs`, in seconds), before `source` is
   * called, as the reference server answers a user over its `maxConnectionsPerUser`; the
   * live-status client tries again later, with backoff. A slot is given back as soon as the stream
   * ends, however it ends: the client leaving, the source ending or failing, a `recheckAccessMs`
   * check refusing. Counted in memory by this handler, so per server instance: behind several
   * instances (or serverless functions) a user may hold this many on each. Which user a stream
   * counts against: `userKey`. `false`: no cap.
   * @default 10 (the reference server's `maxConnectionsPerUser`)
   */
  maxStreamsPerUser?: number | false
  /**
   * The user a stream counts against for `maxStreamsPerUser`: a stable id of what `authenticate`
   * returned (a non-empty string, or a finite number). A throw, or any other answer, refuses the
   * stream with 500 and reports it through `onError`: with a cap asked for, no stream goes uncounted.
   * @default the user's `id`, `sub` or `userId` when it is a non-empty string or a finite number,
   * or the user itself when it is one (the reference server's default `userId`). A user with none
   * of them is let through uncounted, and the first such stream is reported once through `onError`,
   * naming this option: pass `userKey`, or `maxStreamsPerUser: false` to say no cap is wanted.
   */
  userKey?: (user: User) => string | number
  /**
   * Where failures are reported: `authenticate`, `authorize`, `userKey` or the source throwing,
   * `authenticate` or `authorize` not answering within `authTimeoutMs`, an event that cannot be
   * serialised, a user `maxStreamsPerUser` cannot count (once). `message`
   * names the project and what failed, with the request's token masked; the error object itself
   * is never passed on (its message, stack or cause may hold the token).
   * @default (message) => console.error(message)
   */
  onError?: (message: string, context: { projectId: string }) => void
}

export const routeHandlerDefaults = {
  param: 'projectId',
  projectIdPattern: /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/ as RegExp,
  heartbeatMs: 15_000,
  retryMs: 2_000,
  recheckAccessMs: 300_000 as number | false,
  authTimeoutMs: 5_000,
  maxStreamsPerUser: 10 as number | false,
  onError: (message: string) => console.error(message),
} satisfies Partial<SseRouteHandlerOptions<unknown>>
