import type { IncomingMessage } from 'node:http'
import { CloseCode } from '../../transport/closeCodes'
import type { SessionSink } from '../connection/sink'
import { errorFields, type Log } from '../logger'
import type { DropReason, ServerMetrics } from '../metrics/serverMetrics'
import type { ResolvedOptions } from '../options'

/** What an access check needs of the server. */
export interface AccessContext<User> {
  options: Pick<ResolvedOptions<User>, 'authenticate' | 'authorize' | 'recheckAccessMs'>
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
  try {
    const user = await options.authenticate(token, request)
    if (!sink.open) return
    if (user === null || user === undefined) return refuse('unauthenticated', CloseCode.unauthenticated, 'invalid token')
    step = 'authorize'
    if ((await options.authorize(user, projectId)) !== true) return refuse('forbidden', CloseCode.forbidden, 'forbidden')
    return sink.open ? { user } : undefined
  } catch (error) {
    log.error(`${step} threw${when === 'recheck' ? ' on a recheck' : ''}`, { projectId, transport: sink.transport, ...errorFields(error, token) })
    return refuse('internal_error', CloseCode.internalError, 'internal error')
  }
}

/**
 * Runs `checkAccess` again every `recheckAccessMs` for each connection added, with the token it was
 * admitted with, until it is deleted (its close): a signed-out user, a revoked or expired token, a
 * project taken away end it as admission would have refused it. One timer for the server, not one
 * per connection: connections wait in the order they were added, which (one period for all) is
 * the order they fall due. Nothing with `recheckAccessMs: false`.
 */
export class AccessRechecks<User> {
  readonly #ctx: AccessContext<User>
  readonly #due = new Map<SessionSink, KeptAccess>()
  #timer: ReturnType<typeof setTimeout> | undefined

  constructor(ctx: AccessContext<User>) {
    this.#ctx = ctx
  }

  /** Checks `sink` every `recheckAccessMs` from now, until `delete(sink)`. */
  add(sink: SessionSink, access: AccessRequest): void {
    const { recheckAccessMs } = this.#ctx.options
    if (recheckAccessMs === false || !sink.open) return
    this.#due.set(sink, keptForRecheck(this.#ctx.options.authenticate, access, Date.now() + recheckAccessMs))
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
    this.#timer = setTimeout(() => this.#run(), Math.max(0, first.value.at - Date.now()))
    // The connections keep the process alive, not their checks.
    this.#timer.unref?.()
  }

  #run(): void {
    this.#timer = undefined
    const { recheckAccessMs } = this.#ctx.options
    if (recheckAccessMs === false) return
    const now = Date.now()
    for (const [sink, access] of this.#due) {
      if (access.at > now) break
      // To the back of the line (entries set during the loop come after it, and are not due).
      this.#due.delete(sink)
      if (!sink.open) continue
      access.at = now + recheckAccessMs
      this.#due.set(sink, access)
      void checkAccess(this.#ctx, sink, access, 'recheck')
    }
    this.#arm()
  }
}

/**
 * What a connection keeps for its rechecks: its project and token, not the admission's other
 * fields (its callbacks), and the request only for an `authenticate` declared with a second
 * parameter. An upgraded socket's `IncomingMessage` (its headers, raw headers, stream state) is
 * about 1.2 KiB a connection that `(token) => …` never reads; `(token, request)`, `(...args)` and
 * any length other than 1 keep it. One literal with every field (and `at`, when the next check is
 * due): an object spread plus a field gave each entry its own hidden class (about 200 B more each).
 */
function keptForRecheck<User>(authenticate: AccessContext<User>['options']['authenticate'], { projectId, token, request }: AccessRequest, at: number): KeptAccess {
  return { projectId, token, request: authenticate.length === 1 ? (undefined as unknown as IncomingMessage) : request, at }
}

type KeptAccess = AccessRequest & { at: number }
