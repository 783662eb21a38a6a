import type { IncomingMessage } from 'node:http'
import type { RawData, WebSocket } from 'ws'
import { CloseCode } from '../../transport/closeCodes'
import type { Session } from '../connection/session'
import { WebSocketSink } from '../connection/webSocketSink'
import { PreAuthBuffer } from '../limits/preAuthBuffer'
import { errorFields } from '../logger'
import { tokenFromRequest } from '../tokenFromRequest'
import { admitSession, parseSince, trackAdmission, type AdmissionContext } from './admitSession'

export type { AdmissionContext } from './admitSession'

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

/**
 * Takes an upgraded socket from its first byte to a joined session: the token (subprotocol, first
 * frame, or the query when `allowTokenInQuery`), then the admission every transport shares
 * (`admitSession`: `authenticate`, `authorize`, the per-user limit, the replay or snapshot).
 * Frames sent meanwhile are kept within the pre-auth bounds and handled once it is admitted. App
 * callbacks that throw close the socket with 1011; nothing here rejects.
 */
export async function admitSocket<User>(ctx: AdmissionContext<User>, socket: WebSocket, request: IncomingMessage, url: URL, projectId: string): Promise<void> {
  const { options, log, metrics } = ctx
  const sink = new WebSocketSink(socket)
  let buffer: PreAuthBuffer | undefined = new PreAuthBuffer(options.maxPreAuthFrames, options.maxPreAuthBytes)
  let awaitingAuthFrame: ((outcome: AuthOutcome) => void) | undefined
  let session: Session | undefined
  // A token in the URL is masked in what is logged even when it is refused.
  const queryToken = url.searchParams.get(options.tokenQueryParam) || null
  let token: string | null = queryToken
  const refuse = (code: number, reason: string) => {
    if (sink.open) socket.close(code, reason)
  }
  const fail = (what: string, error: unknown) => {
    metrics.drop('internal_error')
    log.error(what, { projectId, ...errorFields(error, token) })
    refuse(CloseCode.internalError, 'internal error')
  }

  const admission = trackAdmission(ctx, sink, projectId)
  socket.on('error', (error) => log.debug('socket error', { projectId, ...errorFields(error, token) }))
  socket.on('close', () => awaitingAuthFrame?.({ refused: 'unauthenticated' }))
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
    if (!sink.open) return

    const admitted = await admitSession(ctx, sink, {
      request,
      projectId,
      token,
      sinceSeq: parseSince(url.searchParams.get('since')),
      admitted: admission.admitted,
      onConnection: options.onConnection && ((info) => options.onConnection!(socket, info)),
    })
    if (!admitted) return
    // Frames sent before admission, in order, then live handling.
    for (const frame of buffer.take()) admitted.onMessage(frame.data, frame.isBinary)
    buffer = undefined
    session = admitted
  } catch (error) {
    fail('connection setup failed', error)
  }
}
