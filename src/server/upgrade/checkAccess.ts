import type { IncomingMessage } from 'node:http'
import { CloseCode } from '../../transport/closeCodes'
import type { SessionSink } from '../connection/sink'
import { errorFields, type Log } from '../logger'
import { withTimeout } from '../withTimeout'
import type { DropReason, ServerMetrics } from '../metrics/serverMetrics'
import type { ResolvedOptions } from '../options'

/** What an access check needs of the server. */
export interface AccessContext<User> {
  options: Pick<ResolvedOptions<User>, 'authenticate' | 'authorize' | 'recheckAccessMs' | 'authTimeoutMs'>
  log: Log
  metrics: ServerMetrics
}

/** Who asks for which project: the request, project and token a connection was admitted with. */
export interface AccessRequest {
  request: IncomingMessage
  projectId: string
  token: string
}

/**
 * Whether `token` may follow `projectId` now: `authenticate`, then `authorize`. When it may not,
 * `sink` is ended as the answer says, counted and (for a throw) logged with the token masked:
 * 4401 `invalid token` (no user), 4403 `forbidden` (`authorize` said anything but `true`), 1011
 * `internal error` (either threw). Admission and every `recheckAccessMs` check go through here, so
 * the two cannot answer differently. A connection gone meanwhile is neither counted nor closed.
 * Resolves with the user when access is granted and the connection still open; never rejects.
 */
export async function checkAccess<User>(ctx: AccessContext<User>, sink: SessionSink, { request, projectId, token }: AccessRequest, when: 'admission' | 'recheck'): Promise<{ user: NonNullable<User> } | undefined> {
  const { options, log, metrics } = ctx
  const refuse = (drop: DropReason, code: number, reason: string): undefined => {
    if (!sink.open) return
    metrics.drop(drop)
    sink.close(code, reason)
  }
  let step: 'authenticate' | 'authorize' = 'authenticate'
  const decide = async (): Promise<{ user: NonNullable<User> } | undefined> => {
    try {
      const user = await options.authenticate(token, request)
      if (!sink.open) return
      if (user === null || user === undefined) return refuse('unauthenticated', CloseCode.unauthenticated, 'invalid token')
      step = 'authorize'
      if ((await options.authorize(user, projectId)) !== true) return refuse('forbidden', CloseCode.forbidden, 'forbidden')
      return sink.open ? { user } : undefined
    } catch (error) {
      // A connection gone meanwhile is no failure of this server's: said at debug level.
      log[sink.open ? 'error' : 'debug'](`${step} threw${when === 'recheck' ? ' on a recheck' : ''}`, { projectId, transport: sink.transport, ...errorFields(error, token) })
      return refuse('internal_error', CloseCode.internalError, 'internal error')
    }
  }
  // Admission has its own deadline (`trackAdmission`). A recheck gets the same one: a hung auth
  // backend must not keep a revoked token's connection open, unseen, for as long as it hangs.
  if (when === 'admission') return decide()
  // The connections keep the process alive, not their checks (a closed server exits at once).
  return withTimeout(decide(), 2 * options.authTimeoutMs, () => endTimedOut(ctx, sink, projectId, `recheck timed out: ${step} did not answer`), { unref: true })
}

/**
 * Ends a connection whose access was not decided within twice `authTimeoutMs`, at admission
 * (`trackAdmission`) or on a recheck alike: 1011, counted as `auth_timeout`, said once.
 */
export function endTimedOut<User>({ options, log, metrics }: AccessContext<User>, sink: SessionSink, projectId: string, message: string): undefined {
  if (!sink.open) return
  metrics.drop('auth_timeout')
  log.warn(message, { projectId, transport: sink.transport, afterMs: 2 * options.authTimeoutMs })
  sink.close(CloseCode.internalError, 'authentication timed out')
}

/**
 * Runs `checkAccess` again every `recheckAccessMs` for each connection added, with the token it was
 * admitted with, until it is deleted (its close): a signed-out user, a revoked or expired token, a
 * project taken away end it as admission would have refused it. One timer for the server, not one
 * per connection: connections wait in the order they were added, which (one period for all) is
 * the order they fall due. A connection whose last check has not answered is not asked again
 * until it has (that check ends it after twice `authTimeoutMs`). Times come from the monotonic
 * clock: a wall clock set back must not suspend every check. Nothing with `recheckAccessMs: false`.
 */
export class AccessRechecks<User> {
  readonly #ctx: AccessContext<User>
  readonly #due = new Map<SessionSink, KeptAccess>()
  /** Whether `authenticate` gets the request on a recheck (see `takesRequest`). */
  readonly #keepRequest: boolean
  #timer: ReturnType<typeof setTimeout> | undefined

  constructor(ctx: AccessContext<User>) {
    this.#ctx = ctx
    this.#keepRequest = takesRequest(ctx.options.authenticate)
  }

  /** Checks `sink` every `recheckAccessMs` from now, until `delete(sink)`. */
  add(sink: SessionSink, access: AccessRequest): void {
    const { recheckAccessMs } = this.#ctx.options
    if (recheckAccessMs === false || !sink.open) return
    const { projectId, token, request } = access
    // One literal with every field: a spread plus fields gave each entry its own hidden class (about 200 B more each).
    this.#due.set(sink, { projectId, token, request: this.#keepRequest ? request : (undefined as unknown as IncomingMessage), at: performance.now() + recheckAccessMs, checking: false })
    this.#arm()
  }

  /** No more checks of `sink` (call it when the connection closes). */
  delete(sink: SessionSink): void {
    this.#due.delete(sink)
  }

  /** Connections waiting for their next check. */
  get size(): number {
    return this.#due.size
  }

  /** Stops every check (the server is closing). */
  dispose(): void {
    clearTimeout(this.#timer)
    this.#timer = undefined
    this.#due.clear()
  }

  #arm(): void {
    if (this.#timer !== undefined) return
    const first = this.#due.values().next()
    if (first.done) return
    this.#timer = setTimeout(() => this.#run(), Math.max(0, first.value.at - performance.now()))
    // The connections keep the process alive, not their checks.
    this.#timer.unref?.()
  }

  #run(): void {
    this.#timer = undefined
    const { recheckAccessMs } = this.#ctx.options
    if (recheckAccessMs === false) return
    const now = performance.now()
    for (const [sink, access] of this.#due) {
      // Entries set during the loop come after it, due a whole period later (at least 1 ms).
      if (access.at > now) break
      // To the back of the line.
      this.#due.delete(sink)
      if (!sink.open) continue
      access.at = now + recheckAccessMs
      this.#due.set(sink, access)
      if (access.checking) continue
      access.checking = true
      void checkAccess(this.#ctx, sink, access, 'recheck').then(() => (access.checking = false))
    }
    this.#arm()
  }
}

/**
 * Whether `authenticate` may read the request on a recheck, so the connection keeps it. An
 * upgraded socket's `IncomingMessage` (its headers, raw headers, stream state) is about 1.2 KiB a
 * connection that `(token) => …` never reads. `length` alone cannot say: it counts the parameters
 * before the first default or rest one, so `(token, request = …)` and `(token, ...rest)` are 1 too.
 * Only a function of `length` 1 written with one plain parameter goes without; anything else
 * (destructuring, comments, compiled rest parameters, native and bound functions) keeps it.
 */
export function takesRequest(authenticate: (...args: never[]) => unknown): boolean {
  if (authenticate.length !== 1) return true
  let source: string
  try {
    source = Function.prototype.toString.call(authenticate)
  } catch {
    return true
  }
  // Only the plain forms: comments and destructuring say nothing sure, and keep the request; so
  // does a body that reads `arguments` (ES5 output of rest parameters, hand-written ES5).
  return !onePlainParameter.test(source) || /\barguments\b/.test(source)
}

/** `(token) =>`, `token =>`, `function name(token) {`, `name(token) {`, each maybe `async`. */
const onePlainParameter = /^(?:async\s*)?(?:(?:function\b\s*\*?\s*[\w$]*\s*|[\w$]+\s*)?\(\s*[\w$]+\s*\)\s*(?:=>|\{)|[\w$]+\s*=>)/

type KeptAccess = AccessRequest & { at: number; checking: boolean }
