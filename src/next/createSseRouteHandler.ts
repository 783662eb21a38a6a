import { MAX_TIMER_MS } from '../transport/backoff'
import { redactShort } from '../transport/redact'
import { eventStream } from './eventStream'
import { bearerToken, EVENT_STREAM_HEADERS, hasTokenInUrl, problem, resumePosition } from './httpAnswers'
import { routeHandlerDefaults, type SseRouteHandlerOptions } from './options'
import { SourceError, type SourceEvent } from './source'
import { UserStreams } from './userStreams'

/** What Next.js passes a route handler of a dynamic segment (`params` is a promise since Next.js 15). */
export interface RouteContext {
  params: Promise<Record<string, string | string[] | undefined>>
}

/** The route handler: `export const { GET } = createSseRouteHandler(…)`. */
export interface SseRouteHandler {
  GET(request: Request, context: RouteContext): Promise<Response>
}

/**
 * A Next.js route handler (App Router) that streams one project's events as Server-Sent Events in
 * the contract the `live-status/sse` client speaks (docs/sse.md): the token as `Authorization:
 * Bearer` (401 when missing or refused, 403 when the user may not follow the project, 429 when the
 * user holds `maxStreamsPerUser` streams already, 503 when the check has not answered within
 * `authTimeoutMs`, all before the stream), then `200
 * text/event-stream` with a `retry:` line, each event as `id: <seq>` and `data: <json>`, and a
 * comment line after `heartbeatMs` without events. `Last-Event-ID` (or
 * `?since=`) reaches the source as `since`; when the client goes away the source's signal is
 * aborted. Errors are reported through `onError` with the token masked, and never sent to the client.
 *
 * Web APIs only (`Request`, `Response`, `ReadableStream`, `TextEncoder`, `AbortController`, timers):
 * it runs on the Node.js runtime and on the edge runtime; what a source needs decides which one
 * (`referenceServerSource` needs only `fetch`; a database driver or Redis client usually needs
 * Node.js). Prefer `runtime = 'nodejs'`: Next.js 16 warns that the edge runtime is deprecated.
 * Either way a host may cap how long a function streams; the client then reconnects with
 * `Last-Event-ID`, so a cap costs a reconnect, not events (when the source can replay from `since`).
 *
 * @example `app/api/live/[projectId]/route.ts`
 * ```ts
 * import { createSseRouteHandler, referenceServerSource } from 'live-status/next'
 *
 * export const runtime = 'nodejs'
 * export const dynamic = 'force-dynamic'
 * export const { GET } = createSseRouteHandler({
 *   authenticate: (token) => verifySession(token),
 *   authorize: (user, projectId) => user.projects.includes(projectId),
 *   source: referenceServerSource({ url: process.env.LIVE_STATUS_API_URL, token: process.env.LIVE_STATUS_SERVICE_TOKEN }),
 * })
 * ```
 */
export function createSseRouteHandler<User>(options: SseRouteHandlerOptions<User>): SseRouteHandler {
  const { authenticate, authorize, source } = options
  const {
    param = routeHandlerDefaults.param,
    projectIdPattern = routeHandlerDefaults.projectIdPattern,
    heartbeatMs = routeHandlerDefaults.heartbeatMs,
    retryMs = routeHandlerDefaults.retryMs,
    recheckAccessMs = routeHandlerDefaults.recheckAccessMs,
    authTimeoutMs = routeHandlerDefaults.authTimeoutMs,
    maxStreamsPerUser = routeHandlerDefaults.maxStreamsPerUser,
    userKey,
    onError = routeHandlerDefaults.onError,
  } = options
  if (typeof authenticate !== 'function') throw new TypeError('[live-status] createSseRouteHandler: `authenticate(token, request)` is required: it says who owns a token (null refuses it).')
  if (typeof authorize !== 'function') {
    throw new TypeError('[live-status] createSseRouteHandler: `authorize(user, projectId)` is required: it says who may follow which project. There is no default that lets every user see every project; write `() => true` if that really is the policy.')
  }
  if (typeof source !== 'function') throw new TypeError('[live-status] createSseRouteHandler: `source` is required: `referenceServerSource(…)`, `jobSource(…)` or an async generator `(projectId, { since, signal }) => …`.')
  // Timers set past 2^31 - 1 ms run after 1 ms; a fraction of a ms repeats at once.
  if (!(heartbeatMs >= 1 && heartbeatMs <= MAX_TIMER_MS)) throw new RangeError(`[live-status] createSseRouteHandler: \`heartbeatMs\` must be between 1 and ${MAX_TIMER_MS} ms (got ${heartbeatMs}).`)
  if (recheckAccessMs !== false && !(recheckAccessMs >= 1 && recheckAccessMs <= MAX_TIMER_MS))
    throw new RangeError(`[live-status] createSseRouteHandler: \`recheckAccessMs\` must be between 1 and ${MAX_TIMER_MS} ms, or false (got ${recheckAccessMs}).`)
  if (!(typeof authTimeoutMs === 'number' && authTimeoutMs >= 1 && authTimeoutMs <= MAX_TIMER_MS))
    throw new RangeError(`[live-status] createSseRouteHandler: \`authTimeoutMs\` must be between 1 and ${MAX_TIMER_MS} ms (got ${String(authTimeoutMs)}).`)
  if (!Number.isSafeInteger(retryMs) || retryMs < 0) throw new RangeError(`[live-status] createSseRouteHandler: \`retryMs\` must be a whole number of ms, 0 or more (got ${retryMs}).`)
  if (maxStreamsPerUser !== false && !(Number.isSafeInteger(maxStreamsPerUser) && maxStreamsPerUser > 0))
    throw new RangeError(`[live-status] createSseRouteHandler: \`maxStreamsPerUser\` must be a whole number, 1 or more, or false for no cap (got ${maxStreamsPerUser}).`)
  if (userKey !== undefined && typeof userKey !== 'function') throw new TypeError('[live-status] createSseRouteHandler: `userKey` must be a function `(user) => id` (a string or a number).')
  const streams = maxStreamsPerUser === false ? undefined : new UserStreams<User>(maxStreamsPerUser, userKey)
  // Answers that ask the client to come back later (429, 503) say when: what `retry:` would have said.
  const retryAfter = { 'Retry-After': String(Math.ceil(retryMs / 1000)) }

  return {
    async GET(request, context) {
      const url = new URL(request.url)
      const segment = (await context.params)[param]
      const projectId = typeof segment === 'string' && validId(segment, projectIdPattern) ? segment : null
      if (projectId === null) return problem(404, 'unknown project')
      if (hasTokenInUrl(url)) return problem(401, 'the token must be sent as `Authorization: Bearer <token>`, never in the URL')
      const token = bearerToken(request)
      if (token === null) return problem(401, 'send the token as `Authorization: Bearer <token>`')
      const since = resumePosition(request, url)
      if (since === null) return problem(400, '`Last-Event-ID` (or `since`) must be a non-negative integer seq')
      const report = (what: string, error?: unknown) => {
        try {
          onError(`[live-status] SSE route, project ${projectId}: ${what}${error === undefined ? '' : `: ${redactShort(describe(error), token, 300)}`}`, { projectId })
        } catch {
          // An app's `onError` that throws loses its line, not the stream's checks.
        }
      }

      /**
       * Whether the token may follow the project now: the user, else the answer (401, 403, or 500
       * with the error when a check throws). `at.step` names the call still out, for a deadline's report.
       */
      const access = async (at: { step: Step }): Promise<Access<User>> => {
        try {
          const user = await authenticate(token, request)
          if (user === null || user === undefined) return { refused: problem(401, 'the token was refused') }
          at.step = 'authorize'
          if ((await authorize(user, projectId)) !== true) return { refused: problem(403, 'not allowed to follow this project') }
          return { user }
        } catch (error) {
          return { refused: problem(500, 'could not check the token'), error }
        }
      }
      /**
       * `access()` raced against `authTimeoutMs` and `signal`: its answer, `{ late }` (the call
       * still out) once the deadline passes, or `'left'` once `signal` aborts. Asked when the
       * stream opens and every `recheckAccessMs` after. The first to come decides; the deadline and
       * the listener go with it, and an answer after it is dropped unseen (a late throw is not
       * reported): the app's pending call cannot be cancelled, but nothing here waits on it.
       */
      const decide = (signal: AbortSignal) =>
        new Promise<Decision<User>>((resolve) => {
          if (signal.aborted) return resolve('left')
          const at: { step: Step } = { step: 'authenticate' }
          let deadline: ReturnType<typeof setTimeout> | undefined
          const done = (outcome: Decision<User>) => {
            clearTimeout(deadline)
            signal.removeEventListener('abort', left)
            resolve(outcome)
          }
          const left = () => done('left')
          deadline = setTimeout(() => done({ late: at.step }), authTimeoutMs)
          signal.addEventListener('abort', left, { once: true })
          void access(at).then(done)
        })

      const granted = await decide(request.signal)
      // The client left while its token was checked: no source to start, nothing to report.
      if (granted === 'left') return new Response(null, { status: 499 })
      if ('late' in granted) {
        // 503, not 401 (the token was not refused: a 401 would make the client drop it and ask
        // for a sign-in) nor 500 (nothing here failed): the auth backend is down for now, so the
        // client is told to come back later, as for a source that is unavailable.
        report(`${granted.late} did not answer within authTimeoutMs (${authTimeoutMs} ms); answered 503`)
        return problem(503, 'could not check the token in time; try again later', retryAfter)
      }
      if ('refused' in granted) {
        if ('error' in granted) report('authenticate or authorize failed', granted.error)
        return granted.refused
      }
      // Left between the answer and here: as above.
      if (request.signal.aborted) return new Response(null, { status: 499 })

      let release: () => void = () => {}
      if (streams) {
        let slot: (() => void) | null
        try {
          slot = streams.take(granted.user, () =>
            report('`maxStreamsPerUser` is not applied: the user `authenticate` returned has no `id`, `sub` or `userId` (a string or a number). Pass `userKey: (user) => …`, or `maxStreamsPerUser: false` for no cap (said once)'),
          )
        } catch (error) {
          report('`userKey` failed; the stream is refused', error)
          return problem(500, 'could not count the streams of this user')
        }
        if (slot === null) return problem(429, 'too many streams open for this user; try again later', retryAfter)
        release = slot
      }

      // One signal for the source: the client leaving (Next.js aborts `request.signal`; cancelling
      // the body does too, through `eventStream`) or the stream ending.
      const abort = new AbortController()
      // However the stream ends (the client leaving, the source ending, failing or not starting,
      // a recheck refusing), it ends by this abort: the user's slot goes back with it.
      abort.signal.addEventListener('abort', release, { once: true })
      const leave = () => abort.abort()
      if (request.signal.aborted) abort.abort()
      else request.signal.addEventListener('abort', leave, { once: true })
      abort.signal.addEventListener('abort', () => request.signal.removeEventListener('abort', leave), { once: true })

      let body: ReadableStream<Uint8Array>
      try {
        const events = await source(projectId, { since, signal: abort.signal })
        // An array or a plain generator would fail inside the stream, after the 200.
        if (typeof (events as Partial<AsyncIterable<SourceEvent>> | null)?.[Symbol.asyncIterator] !== 'function') throw new TypeError('the source returned no async iterable (an async generator, or `jobSource(…)`)')
        // Inside the try: an iterable whose iterator throws must end here too, and give its slot back.
        body = eventStream(events, {
          heartbeatMs,
          retryMs,
          abort,
          onFailure: (what, error) => report(what === 'source' ? 'the source failed; the stream ends (the client reconnects with Last-Event-ID)' : 'an event could not be written (skipped)', error),
        })
      } catch (error) {
        // The client leaving aborts the source's start: that is no failure of the source.
        const left = abort.signal.aborted
        abort.abort()
        if (!left) report('the source could not start', error)
        // A status that is no error (200, 204) or none at all would answer nothing readable.
        const given = error instanceof SourceError ? error.status : 502
        const status = Number.isInteger(given) && given >= 400 && given <= 599 ? given : 502
        return problem(status, status === 503 ? 'the event source is unavailable; try again later' : 'the event source could not start', status === 503 ? retryAfter : {})
      }
      if (recheckAccessMs !== false && !abort.signal.aborted) {
        // A stream lives as long as its client: access withdrawn meanwhile ends it (the reconnect is refused).
        // One check at a time, each bounded by `authTimeoutMs`: a hung auth backend is neither asked
        // again each period (unbounded pending calls) nor lets a revoked token be followed for as
        // long as it hangs. A check not answered in time ends the stream as a refusal would: the
        // client reconnects and is checked afresh (by then, maybe, answered 503).
        let checking = false
        const recheck = setInterval(() => {
          // Still out (`authTimeoutMs` longer than `recheckAccessMs`): its own deadline decides.
          if (checking) return
          checking = true
          void decide(abort.signal).then((now) => {
            checking = false
            if (now === 'left' || 'user' in now) return
            if ('late' in now) report(`${now.late} did not answer a recheck within authTimeoutMs (${authTimeoutMs} ms); the stream ends`)
            else if ('error' in now) report('authenticate or authorize failed', now.error)
            abort.abort()
          })
        }, recheckAccessMs)
        abort.signal.addEventListener('abort', () => clearInterval(recheck), { once: true })
      }
      return new Response(body, { status: 200, headers: EVENT_STREAM_HEADERS })
    },
  }
}

/** The app's call a check waits on. */
type Step = 'authenticate' | 'authorize'
/** What one check of the token says: the user, or the answer that refuses it (with the error when a check threw). */
type Access<User> = { user: NonNullable<User> } | { refused: Response; error?: unknown }
/** How a bounded check ends: its answer, its deadline passing while `late` was still out, or the signal aborting. */
type Decision<User> = Access<User> | { late: Step } | 'left'

function validId(id: string, pattern: RegExp): boolean {
  // A global or sticky pattern keeps `lastIndex` between calls: reset it so one id cannot affect the next.
  pattern.lastIndex = 0
  return pattern.test(id)
}

/** An error's message (its name when that says more), never its stack or cause. */
function describe(error: unknown): string {
  if (error instanceof Error) return error.name && error.name !== 'Error' ? `${error.name}: ${error.message}` : error.message
  return typeof error === 'string' ? error : Object.prototype.toString.call(error)
}
