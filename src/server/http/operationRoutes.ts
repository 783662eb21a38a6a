import { randomUUID } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { isTerminalStatus } from '../../channels/operationProgress'
import { isValidId, projectIdFromSegment } from '../limits/projectId'
import { errorFields } from '../logger'
import { readJsonBody } from './jsonBody'
import { sendJson } from './respond'
import type { RestContext } from './restContext'

/** Largest `POST …/operations` body: job parameters, not payloads. */
export const MAX_START_BODY_BYTES = 64 * 1024

/** An operation type: any printable text, as long as an id (it is shown and logged, never parsed). */
const OPERATION_TYPE = /^[^\u0000-\u001f\u007f]{1,128}$/

const START_FAILED = 'the operation could not be started'

/**
 * `POST /api/projects/{projectId}/operations`, for an authenticated user: 403 outside `authorize`,
 * 501 without `onStartOperation`, 413 / 400 for a body that is too large, not a JSON object, or has
 * a `type` or `operation_id` that is not valid, 409 for an `operation_id` already known. Then
 * `operation_started` (status `pending`) is published, the hook called, and 201 answered; a hook
 * that throws publishes `operation_failed` and answers 500.
 */
export async function serveStartOperation<User>(ctx: RestContext<User>, request: IncomingMessage, response: ServerResponse, segment: string, user: User, token: string): Promise<void> {
  const { options, projects } = ctx
  if (request.method !== 'POST') return sendJson(response, 405, { detail: 'method not allowed' })
  const projectId = projectIdFromSegment(segment, options.projectIdPattern)
  if (projectId === null) return sendJson(response, 400, { detail: 'bad project id' })
  if ((await options.authorize(user, projectId)) !== true) return sendJson(response, 403, { detail: 'forbidden' })
  const onStart = options.onStartOperation
  if (!onStart) return sendJson(response, 501, { detail: 'starting operations is not configured on this server (onStartOperation)' })

  // A client gone mid-body is nobody's error: nothing to answer, nothing to log.
  const body = await readJsonBody(request, MAX_START_BODY_BYTES).catch(() => null)
  if (body === null) return void response.destroy()
  if (!body.ok) {
    if (body.status === 413) response.setHeader('Connection', 'close')
    return sendJson(response, body.status, { detail: body.detail })
  }
  const { type, operation_id: proposed } = body.value
  if (type !== undefined && (typeof type !== 'string' || !isValidId(type, OPERATION_TYPE)))
    return sendJson(response, 400, { detail: '`type` must be a string of 1 to 128 printable characters' })
  // A client-proposed id lets the client show its optimistic row under the final key at once.
  if (proposed !== undefined && !isValidId(proposed, options.projectIdPattern))
    return sendJson(response, 400, { detail: '`operation_id` must match the server\'s id pattern (letters, digits, `._:@-`, at most 128)' })
  const operationId = proposed ?? randomUUID()
  if (proposed !== undefined && (await projects.locateOperation(proposed)) !== undefined) return alreadyKnown(response)
  if (!projects.claimOperation(operationId, projectId)) return alreadyKnown(response)

  const named = type === undefined ? {} : { operation_type: type }
  // Published before the hook: the operation is known (sockets, GET) by the time the POST answers.
  await ctx.publish(projectId, { type: 'operation_started', operation_id: operationId, ...named, status: 'pending' })
  try {
    await onStart({ projectId, operationId, type, body: body.value, user })
  } catch (error) {
    ctx.log.error('onStartOperation failed: the operation is marked failed', { projectId, operationId, ...errorFields(error, token) })
    // Pending and then nothing would show a row waiting for ever.
    await ctx.publish(projectId, { type: 'operation_failed', operation_id: operationId, ...named, error: START_FAILED })
    return sendJson(response, 500, { detail: START_FAILED })
  }
  response.setHeader('Location', `/api/operations/${encodeURIComponent(operationId)}`)
  return sendJson(response, 201, { operation_id: operationId, status: 'pending' })
}

/**
 * `POST /api/operations/{operationId}/cancel`, for an authenticated user: 404 for an operation
 * not known, 403 outside `authorize` (of the operation's project), 501 without
 * `onCancelOperation`, 409 once it has ended; else the hook is called and 202 `cancelling`
 * answered. The worker's `operation_cancelled` ends the operation, not this route.
 */
export async function serveCancelOperation<User>(ctx: RestContext<User>, request: IncomingMessage, response: ServerResponse, segment: string, user: User, token: string): Promise<void> {
  const { options, projects } = ctx
  if (request.method !== 'POST') return sendJson(response, 405, { detail: 'method not allowed' })
  const operationId = projectIdFromSegment(segment, options.projectIdPattern)
  const projectId = operationId === null ? undefined : await projects.locateOperation(operationId)
  if (operationId === null || projectId === undefined) return sendJson(response, 404, { detail: 'no such operation' })
  if ((await options.authorize(user, projectId)) !== true) return sendJson(response, 403, { detail: 'forbidden' })
  const onCancel = options.onCancelOperation
  if (!onCancel) return sendJson(response, 501, { detail: 'cancelling operations is not configured on this server (onCancelOperation)' })
  const channel = await projects.hydrate(projectId)
  if (channel === 'unavailable') return sendJson(response, 503, { detail: 'project state unavailable, try again' })
  let operation = channel?.state.operations.get(operationId)
  // Located on the shared bus but not in this instance's state yet: published a moment ago.
  if (!operation && channel) operation = await channel.catchUp().then(() => channel.state.operations.get(operationId))
  if (!operation) return sendJson(response, 404, { detail: 'no such operation' })
  if (isTerminalStatus(operation.status)) return sendJson(response, 409, { detail: `the operation has already ended (${operation.status})` })
  try {
    await onCancel({ projectId, operationId, user })
  } catch (error) {
    ctx.log.error('onCancelOperation failed: the operation goes on', { projectId, operationId, ...errorFields(error, token) })
    return sendJson(response, 500, { detail: 'the cancellation could not be requested' })
  }
  return sendJson(response, 202, { status: 'cancelling' })
}

function alreadyKnown(response: ServerResponse): void {
  sendJson(response, 409, { detail: 'an operation with this `operation_id` already exists: propose another, or leave it out for a server id' })
}
