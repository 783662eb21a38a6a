import { CloseCode } from '../../transport/closeCodes'
import { Session } from '../connection/session'
import type { SessionSink } from '../connection/sink'
import type { ProjectChannel } from '../fanout/projectChannel'
import type { UserConnections } from '../limits/userConnections'
import { errorFields, type Log } from '../logger'
import type { ServerMetrics } from '../metrics/serverMetrics'
import { isConnectionCap, UserIdError, type ResolvedOptions } from '../options'
import { checkAccess, endTimedOut, type AccessRechecks, type AccessRequest } from './checkAccess'

/** What admission needs of the server. */
export interface AdmissionContext<User> {
  options: ResolvedOptions<User>
  log: Log
  metrics: ServerMetrics
  users: UserConnections
  /** Connections not yet admitted (sockets upgraded, SSE requests answered nothing yet): `close()` ends them too. */
  authenticating: Set<SessionSink>
  /** The `recheckAccessMs` checks of admitted connections; `register`'s close takes a connection off. */
  rechecks: AccessRechecks<User>
  /** Tracks the session until its connection closes. */
  register(session: Session): void
  channel(projectId: string): ProjectChannel
}

/** What a transport found out before the shared part of admission. */
export interface JoinRequest extends AccessRequest {
  /** Replay from after this seq (`?since=`, `Last-Event-ID`); null for a snapshot. */
  sinceSeq: number | null
  /** Ends the admission deadline (see `trackAdmission`). */
  admitted(): void
  /**
   * Called once the session is registered, before it joins; a throw ends it with 1011.
   * @default none (SSE: `LiveStatusServerOptions.onConnection` takes a socket)
   */
  onConnection?(info: { projectId: string; userId: string }): void
}

/** A resume point: a positive finite number, else null (a snapshot). */
export function parseSince(value: string | null | undefined): number | null {
  if (value === null || value === undefined || value.trim() === '') return null
  const since = Number(value)
  return Number.isFinite(since) && since > 0 ? since : null
}

/**
 * Counts `sink` among the connections being admitted until `admitted()` or its close, and ends it
 * with 1011 when a hung `authenticate` or `authorize` has not answered within twice `authTimeoutMs`:
 * unadmitted connections must not pile up.
 */
export function trackAdmission<User>(ctx: AdmissionContext<User>, sink: SessionSink, projectId: string): { admitted(): void } {
  const { options } = ctx
  ctx.authenticating.add(sink)
  let deadline: ReturnType<typeof setTimeout> | undefined = setTimeout(() => {
    deadline = undefined
    endTimedOut(ctx, sink, projectId, 'admission timed out: authenticate, authorize or maxConnectionsPerUser did not answer')
  }, 2 * options.authTimeoutMs)
  const done = () => {
    clearTimeout(deadline)
    deadline = undefined
    ctx.authenticating.delete(sink)
    // Admitted: this listener (and what it holds) need not stay for the connection's life.
    unwatch()
  }
  const unwatch = sink.onClose(done)
  return { admitted: done }
}

/**
 * The part of admission every transport shares, from a token to a joined session: `authenticate`
 * and `authorize` (`checkAccess`, which every `recheckAccessMs` check repeats), the user id, the
 * per-user limit, then the replay or snapshot. A refusal ends `sink` with the close code that says
 * why (the SSE sink turns it into an HTTP status). Resolves with the session once it has joined,
 * else undefined; never rejects: app callbacks that throw end it with 1011.
 */
export async function admitSession<User>(ctx: AdmissionContext<User>, sink: SessionSink, join: JoinRequest): Promise<Session | undefined> {
  const { options, log, metrics } = ctx
  const { projectId, token } = join
  const refuse = (code: number, reason: string) => {
    if (sink.open) sink.close(code, reason)
  }
  const fail = (what: string, error: unknown) => {
    metrics.drop('internal_error')
    log.error(what, { projectId, transport: sink.transport, ...errorFields(error, token) })
    refuse(CloseCode.internalError, 'internal error')
  }
  try {
    const access = await checkAccess(ctx, sink, join, 'admission')
    if (!access) return
    const { user } = access
    let userId: string
    try {
      userId = options.userId(user)
      if (typeof userId !== 'string' || userId === '') throw new UserIdError()
    } catch (error) {
      return void fail(error instanceof UserIdError ? error.message : 'userId threw', error)
    }
    const limit = options.maxConnectionsPerUser
    let max: unknown
    try {
      max = typeof limit === 'function' ? await limit(user, userId) : limit
    } catch (error) {
      return void fail('maxConnectionsPerUser threw', error)
    }
    if (!isConnectionCap(max)) {
      const got = typeof max === 'number' ? String(max) : typeof max
      return void fail('maxConnectionsPerUser did not answer a cap', new TypeError(`maxConnectionsPerUser(user, userId) must answer a whole number, 1 or more, or Infinity (got ${got})`))
    }
    if (!sink.open) return
    // One counter for every transport: an SSE stream holds a slot as a socket does.
    if (!ctx.users.take(userId, max)) {
      metrics.drop('too_many_connections')
      return void refuse(CloseCode.tooManyConnections, 'too many connections')
    }

    const session = new Session(sink, projectId, userId, options, metrics, log)
    join.admitted()
    ctx.register(session)
    metrics.accepted(sink.transport)
    try {
      join.onConnection?.({ projectId, userId })
    } catch (error) {
      return void fail('onConnection threw', error)
    }
    if (!sink.open) return

    const joined = await ctx.channel(projectId).join(session, join.sinceSeq, () => sink.open)
    if (joined === 'unavailable') {
      // Neither an empty snapshot nor silence: the client retries, and polls meanwhile.
      return void refuse(CloseCode.tryAgainLater, 'project state unavailable')
    }
    if (joined) metrics.replay(joined.events, joined.frames)
    ctx.rechecks.add(sink, join)
    return session
  } catch (error) {
    fail('connection setup failed', error)
  }
}
