import type { IncomingMessage } from 'node:http'
import type { RawData, WebSocket } from 'ws'
import { CloseCode } from '../../transport/closeCodes'
import { Session } from '../connection/session'
import type { ProjectChannel } from '../fanout/projectChannel'
import { PreAuthBuffer } from '../limits/preAuthBuffer'
import type { UserConnections } from '../limits/userConnections'
import { errorFields, type Log } from '../logger'
import type { ServerMetrics } from '../metrics/serverMetrics'
import { UserIdError, type ResolvedOptions } from '../options'
import { tokenFromRequest } from '../tokenFromRequest'

/** What admission needs of the server. */
export interface AdmissionContext<User> {
  options: ResolvedOptions<User>
  log: Log
  metrics: ServerMetrics
  users: UserConnections
  /** Upgraded sockets not yet admitted: `close()` closes them too. */
  authenticating: Set<WebSocket>
  /** Tracks the session until its socket closes. */
  register(session: Session): void
  channel(projectId: string): ProjectChannel
}

type AuthOutcome = { token: string } | { refused: 'auth_timeout' | 'unauthenticated' }

/** The token of an `{ type: 'auth', token }` frame, or null for anything else. */
function authFrameToken(data: RawData, isBinary: boolean): string | null {
  if (isBinary) return null
  try {
    const message = JSON.parse(String(data)) as { type?: unknown; token?: unknown } | null
    if (message && message.type === 'auth' && typeof message.token === 'string' && message.token) return message.token
  } catch {
    // Not JSON: not an auth frame.
  }
  return null
}

/** The close reason of a token in the URL: what to do instead (at most 123 bytes, as close reasons must be). */
export const TOKEN_IN_URL_REASON = 'token in the URL refused: send {"type":"auth","token":…} as the first message, or the subprotocols bearer, <token>'

/** The `?since=` of a resuming client, or null. */
function sinceOf(url: URL): number | null {
  const since = Number(url.searchParams.get('since'))
  return Number.isFinite(since) && since > 0 ? since : null
}

/**
 * Takes an upgraded socket from its first byte to a joined session: the token (subprotocol, first
 * frame, or the query when `allowTokenInQuery`), `authenticate`, `authorize`, the per-user limit, then the replay or snapshot.
 * Frames sent meanwhile are kept within the pre-auth bounds and handled once it is admitted. App
 * callbacks that throw close the socket with 1011; nothing here rejects.
 */
export async function admitSocket<User>(ctx: AdmissionContext<User>, socket: WebSocket, request: IncomingMessage, url: URL, projectId: string): Promise<void> {
  const { options, log, metrics } = ctx
  let buffer: PreAuthBuffer | undefined = new PreAuthBuffer(options.maxPreAuthFrames, options.maxPreAuthBytes)
  let awaitingAuthFrame: ((outcome: AuthOutcome) => void) | undefined
  let session: Session | undefined
  // A token in the URL is masked in what is logged even when it is refused.
  const queryToken = url.searchParams.get(options.tokenQueryParam) || null
  let token: string | null = queryToken
  const open = () => socket.readyState === socket.OPEN
  const refuse = (code: number, reason: string) => {
    if (open()) socket.close(code, reason)
  }
  const fail = (what: string, error: unknown) => {
    metrics.drop('internal_error')
    log.error(what, { projectId, ...errorFields(error, token) })
    refuse(CloseCode.internalError, 'internal error')
  }

  ctx.authenticating.add(socket)
  // A hung `authenticate` or `authorize` must not let unadmitted sockets pile up.
  let deadline: ReturnType<typeof setTimeout> | undefined = setTimeout(() => {
    if (session || !open()) return
    metrics.drop('auth_timeout')
    log.warn('admission timed out: authenticate/authorize did not answer', { projectId, afterMs: 2 * options.authTimeoutMs })
    refuse(CloseCode.internalError, 'authentication timed out')
  }, 2 * options.authTimeoutMs)
  socket.on('error', (error) => log.debug('socket error', { projectId, ...errorFields(error, token) }))
  socket.on('close', () => {
    clearTimeout(deadline)
    deadline = undefined
    ctx.authenticating.delete(socket)
    awaitingAuthFrame?.({ refused: 'unauthenticated' })
  })
  socket.on('message', (data, isBinary) => {
    try {
      if (session) return session.onMessage(data, isBinary)
      if (awaitingAuthFrame) {
        const resolve = awaitingAuthFrame
        awaitingAuthFrame = undefined
        const frameToken = authFrameToken(data, isBinary)
        return resolve(frameToken ? { token: frameToken } : { refused: 'unauthenticated' })
      }
      if (buffer && !buffer.push(data, isBinary)) {
        metrics.drop('pre_auth_overflow')
        refuse(CloseCode.protocolError, 'too many frames before authentication')
      }
    } catch (error) {
      fail('message handler failed', error)
    }
  })

  try {
    if (queryToken !== null && !options.allowTokenInQuery) {
      // Already in some proxy's access log: refused whatever else the socket carries, so the
      // client is fixed rather than the leak kept.
      metrics.drop('token_in_url')
      log.debug('token in the URL refused', { projectId })
      return refuse(CloseCode.unauthenticated, TOKEN_IN_URL_REASON)
    }
    token = tokenFromRequest(request, url, options.tokenQueryParam)
    if (token === null) {
      const outcome = await new Promise<AuthOutcome>((resolve) => {
        const timer = setTimeout(() => resolve({ refused: 'auth_timeout' }), options.authTimeoutMs)
        awaitingAuthFrame = (outcome) => {
          clearTimeout(timer)
          awaitingAuthFrame = undefined
          resolve(outcome)
        }
      })
      if ('refused' in outcome) {
        metrics.drop(outcome.refused)
        return refuse(CloseCode.unauthenticated, 'authentication required')
      }
      token = outcome.token
    }
    if (!open()) return

    let user: User | null | undefined
    try {
      user = await options.authenticate(token, request)
    } catch (error) {
      return fail('authenticate threw', error)
    }
    if (!open()) return
    if (user === null || user === undefined) {
      metrics.drop('unauthenticated')
      return refuse(CloseCode.unauthenticated, 'invalid token')
    }
    let allowed: boolean
    try {
      allowed = (await options.authorize(user, projectId)) === true
    } catch (error) {
      return fail('authorize threw', error)
    }
    if (!open()) return
    if (!allowed) {
      metrics.drop('forbidden')
      return refuse(CloseCode.forbidden, 'forbidden')
    }
    let userId: string
    try {
      userId = options.userId(user)
      if (typeof userId !== 'string' || userId === '') throw new UserIdError()
    } catch (error) {
      return fail(error instanceof UserIdError ? error.message : 'userId threw', error)
    }
    if (!ctx.users.take(userId)) {
      metrics.drop('too_many_connections')
      return refuse(CloseCode.tooManyConnections, 'too many connections')
    }

    const admitted = new Session(socket, projectId, userId, options, metrics, log)
    clearTimeout(deadline)
    deadline = undefined
    ctx.authenticating.delete(socket)
    ctx.register(admitted)
    metrics.connectionsAccepted++
    try {
      options.onConnection?.(socket, { projectId, userId })
    } catch (error) {
      return fail('onConnection threw', error)
    }
    if (!open()) return

    const joined = await ctx.channel(projectId).join(admitted, sinceOf(url), () => open())
    if (joined === 'unavailable') {
      // Neither an empty snapshot nor silence: the client retries, and polls meanwhile.
      if (open()) socket.close(CloseCode.tryAgainLater, 'project state unavailable')
      return
    }
    if (joined) metrics.replay(joined.events, joined.frames)
    // Frames sent before admission, in order, then live handling.
    for (const frame of buffer.take()) admitted.onMessage(frame.data, frame.isBinary)
    buffer = undefined
    session = admitted
  } catch (error) {
    fail('connection setup failed', error)
  }
}
