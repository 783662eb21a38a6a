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
   * its heartbeat allows. Keep it under your proxies' idle timeouts.
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
   * reconnect checks afresh). `false`: checked once, when the stream opens, and never again.
   * @default 300000 (5 minutes)
   */
  recheckAccessMs?: number | false
  /**
   * Where failures are reported: `authenticate`, `authorize` or the source throwing, an event that
   * cannot be serialised. `message` names the project and what failed, with the request's token
   * masked; the error object itself is never passed on (its message, stack or cause may hold
   * the token).
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
  onError: (message: string) => console.error(message),
} satisfies Partial<SseRouteHandlerOptions<unknown>>
