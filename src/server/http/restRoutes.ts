import type { IncomingMessage, ServerResponse } from 'node:http'
import { isValidId, projectIdFromSegment } from '../limits/projectId'
import { errorFields } from '../logger'
import { bearerToken } from '../tokenFromRequest'
import { serveCancelOperation, serveStartOperation } from './operationRoutes'
import { isOriginAllowed, ORIGIN_REFUSED_DETAIL, type AllowedOrigins } from './originPolicy'
import { sendJson } from './respond'
import type { RestContext } from './restContext'

export type { RestContext } from './restContext'

const ROUTES = {
  indexStatus: /^\/api\/projects\/([^/]+)\/index\/?$/,
  reindex: /^\/api\/projects\/([^/]+)\/index\/reindex\/?$/,
  operation: /^\/api\/operations\/([^/]+)\/?$/,
  startOperation: /^\/api\/projects\/([^/]+)\/operations\/?$/,
  cancelOperation: /^\/api\/operations\/([^/]+)\/cancel\/?$/,
} as const

export type RestRoute = { kind: keyof typeof ROUTES; segment: string }

/** The REST route of `path`, or null when it is not one of the server's. */
export function matchRestRoute(path: string): RestRoute | null {
  for (const kind of Object.keys(ROUTES) as (keyof typeof ROUTES)[]) {
    const match = ROUTES[kind].exec(path)
    if (match) return { kind, segment: match[1]! }
  }
  return null
}

/**
 * Adds CORS headers for an allowed origin; true when it answered: a preflight (204), or a request
 * from an origin `allowedOrigins` refuses (403, and `onRefused` hears of it). Withholding CORS
 * headers alone would hide the answer from the page but still run the request; a refused page
 * gets nothing done, as on sockets and SSE. A request without `Origin` (same-origin `GET`, `curl`)
 * goes on.
 */
export function answerCors(request: IncomingMessage, response: ServerResponse, allowedOrigins: AllowedOrigins | undefined, onRefused?: (origin: string) => void): boolean {
  const origin = request.headers.origin
  if (!origin || !allowedOrigins) return false
  if (!isOriginAllowed(allowedOrigins, origin)) {
    onRefused?.(origin)
    sendJson(response, 403, { detail: ORIGIN_REFUSED_DETAIL })
    return true
  }
  response.setHeader('Access-Control-Allow-Origin', origin)
  response.setHeader('Vary', 'Origin')
  if (request.method !== 'OPTIONS') return false
  response.writeHead(204, {
    'Access-Control-Allow-Methods': 'GET, POST, OPTIONS',
    'Access-Control-Allow-Headers': 'Authorization, Content-Type',
    'Access-Control-Max-Age': '600',
  })
  response.end()
  return true
}

/**
 * `GET /api/projects/{id}/index`, `POST /api/projects/{id}/index/reindex`, `GET /api/operations/{id}`,
 * `POST /api/projects/{id}/operations`, `POST /api/operations/{id}/cancel` (operationRoutes.ts):
 * 401 without a valid bearer token, 403 outside `authorize`, 404 for nothing known (never `200 null`),
 * 500 when an app callback throws. Never rejects.
 */
export async function serveRest<User>(ctx: RestContext<User>, request: IncomingMessage, response: ServerResponse, url: URL, route: RestRoute): Promise<void> {
  const { options, projects } = ctx
  let token: string | null = null
  try {
    token = bearerToken(request)
    const user = token ? await options.authenticate(token, request) : null
    if (user === null || user === undefined) return sendJson(response, 401, { detail: 'not authenticated' })
    if (route.kind === 'startOperation') return await serveStartOperation(ctx, request, response, route.segment, user, token!)
    if (route.kind === 'cancelOperation') return await serveCancelOperation(ctx, request, response, route.segment, user, token!)

    if (route.kind === 'operation') {
      if (request.method !== 'GET') return sendJson(response, 405, { detail: 'method not allowed' })
      const operationId = projectIdFromSegment(route.segment, options.projectIdPattern)
      const projectId = operationId === null ? undefined : await projects.locateOperation(operationId)
      if (operationId === null || projectId === undefined) return sendJson(response, 404, { detail: 'no such operation' })
      if ((await options.authorize(user, projectId)) !== true) return sendJson(response, 403, { detail: 'forbidden' })
      const channel = await projects.hydrate(projectId)
      if (channel === 'unavailable') return unavailable(response)
      let body = channel?.state.operationBody(operationId)
      // Located on the shared bus but not in this instance's state yet: published a moment ago.
      if (!body && channel) body = await channel.catchUp().then(() => channel.state.operationBody(operationId))
      return body ? sendJson(response, 200, body) : sendJson(response, 404, { detail: 'no such operation' })
    }

    const projectId = projectIdFromSegment(route.segment, options.projectIdPattern)
    if (projectId === null) return sendJson(response, 400, { detail: 'bad project id' })
    if (route.kind === 'reindex') {
      if (request.method !== 'POST') return sendJson(response, 405, { detail: 'method not allowed' })
      if ((await options.authorize(user, projectId)) !== true) return sendJson(response, 403, { detail: 'forbidden' })
      if (!options.onReindex) return sendJson(response, 501, { detail: 'reindex is not configured on this server' })
      const branch = url.searchParams.get('branch') ?? undefined
      if (branch !== undefined && !isValidId(branch, /^[^\u0000-\u001f]{1,255}$/)) return sendJson(response, 400, { detail: 'bad branch' })
      const named = branch ? { branch } : {}
      await ctx.publish(projectId, { type: 'index_queued', project_id: projectId, ...named })
      try {
        await options.onReindex(projectId, branch, user)
      } catch (error) {
        ctx.log.error('onReindex failed: the index is marked failed', { projectId, ...errorFields(error, token) })
        // Queued and then nothing would show "pending" forever.
        await ctx.publish(projectId, { type: 'index_failed', project_id: projectId, ...named, error: 'the reindex could not be started' })
        return sendJson(response, 500, { detail: 'the reindex could not be started' })
      }
      return sendJson(response, 202, { status: 'accepted', branch: branch ?? null })
    }
    if (request.method !== 'GET') return sendJson(response, 405, { detail: 'method not allowed' })
    if ((await options.authorize(user, projectId)) !== true) return sendJson(response, 403, { detail: 'forbidden' })
    const channel = await projects.hydrate(projectId)
    if (channel === 'unavailable') return unavailable(response)
    let body = channel?.state.indexBody()
    if (!body && channel) body = await channel.catchUp().then(() => channel.state.indexBody())
    return body ? sendJson(response, 200, body) : sendJson(response, 404, { detail: 'not indexed yet' })
  } catch (error) {
    ctx.log.error('REST handler failed', { route: route.kind, ...errorFields(error, token) })
    try {
      sendJson(response, 500, { detail: 'internal error' })
    } catch {
      response.destroy()
    }
  }
}

/** The shared bus could not be read: the state is not known, so nothing (not a 404) is claimed. */
function unavailable(response: ServerResponse): void {
  sendJson(response, 503, { detail: 'project state unavailable, try again' })
}
