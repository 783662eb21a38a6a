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
 * Runs `checkAccess` again every `recheckAccessMs` with the token the connection was admitted
 * with, until the connection closes: a signed-out user, a revoked or expired token, a project
 * taken away end it as admission would have refused it. Nothing with `recheckAccessMs: false`.
 */
export function recheckAccess<User>(ctx: AccessContext<User>, sink: SessionSink, access: AccessRequest): void {
  const { recheckAccessMs } = ctx.options
  if (recheckAccessMs === false || !sink.open) return
  const timer = setInterval(() => void checkAccess(ctx, sink, access, 'recheck'), recheckAccessMs)
  sink.onClose(() => clearInterval(timer))
}
