import type { IncomingMessage, ServerResponse } from 'node:http'
import { SseSink } from '../connection/sseSink'
import { projectIdFromSegment } from '../limits/projectId'
import { errorFields } from '../logger'
import { bearerToken } from '../tokenFromRequest'
import { admitSession, parseSince, trackAdmission, type AdmissionContext } from '../upgrade/admitSession'
import { isOriginAllowed, ORIGIN_REFUSED_DETAIL } from './originPolicy'
import { sendJson } from './respond'

/** Paths under this prefix are the server's: a wrong one is a 404 here, not a page of the app. */
const SSE_PREFIX = '/sse/projects/'
const PROJECT_STREAM = /^\/sse\/projects\/([^/]+)\/?$/

/** The answer to a token in the URL: what to send instead. */
export const SSE_TOKEN_IN_URL_DETAIL = 'token in the URL refused: send it in an Authorization: Bearer header'

export const isSseRoute = (path: string): boolean => path.startsWith(SSE_PREFIX)

/** What the SSE route needs of the server besides admission. */
export interface SseContext<User> {
  admission: AdmissionContext<User>
  isClosing(): boolean
  /** A request from an `Origin` that `allowedOrigins` refuses (logged once per origin). */
  onOriginRefused(origin: string): void
}

/**
 * `GET /sse/projects/{projectId}`: the project's events as Server-Sent Events, from the same
 * fan-out, replay and admission as `/ws/projects/{projectId}` (`admitSession`). The token comes in
 * `Authorization: Bearer` (the query only with `allowTokenInQuery`); the resume point in
 * `Last-Event-ID`, else `?since=`. Every refusal is a plain HTTP status with `{detail}` before any
 * stream: 401, 403, 404, 405, 429, 503 (draining, or the shared bus cannot be read), 500. Then
 * `200 text/event-stream`: `retry:`, then one `id: <seq>\ndata: <the socket's frame>` event per
 * frame, and `: ping` comments. Never throws.
 */
export function serveSse<User>(ctx: SseContext<User>, request: IncomingMessage, response: ServerResponse, url: URL): void {
  const { options, metrics, log } = ctx.admission
  const match = PROJECT_STREAM.exec(url.pathname)
  const projectId = match && projectIdFromSegment(match[1]!, options.projectIdPattern)
  if (!projectId) {
    metrics.drop('bad_request')
    return sendJson(response, 404, { detail: 'no such stream: /sse/projects/{projectId}' })
  }
  // As on sockets, a page from a refused origin is turned away; unlike a socket upgrade, a
  // same-origin GET carries no Origin at all, so its absence is no refusal (the token still is checked).
  const origin = request.headers.origin
  if (origin !== undefined && options.allowedOrigins) {
    if (!isOriginAllowed(options.allowedOrigins, origin)) {
      metrics.drop('origin')
      ctx.onOriginRefused(origin)
      return sendJson(response, 403, { detail: ORIGIN_REFUSED_DETAIL })
    }
    response.setHeader('Access-Control-Allow-Origin', origin)
    response.setHeader('Vary', 'Origin')
  }
  if (request.method === 'OPTIONS') {
    response.writeHead(204, {
      Allow: 'GET, OPTIONS',
      'Access-Control-Allow-Methods': 'GET',
      'Access-Control-Allow-Headers': 'Authorization, Last-Event-ID',
      'Access-Control-Max-Age': '600',
    })
    return void response.end()
  }
  if (request.method !== 'GET') {
    response.setHeader('Allow', 'GET, OPTIONS')
    return sendJson(response, 405, { detail: 'method not allowed: GET' })
  }
  if (ctx.isClosing()) {
    metrics.drop('closing')
    return sendJson(response, 503, { detail: 'server shutting down' })
  }
  const queryToken = url.searchParams.get(options.tokenQueryParam) || null
  if (queryToken !== null && !options.allowTokenInQuery) {
    // Already in some proxy's access log: refused whatever the header says, so the client is fixed.
    metrics.drop('token_in_url')
    log.debug('token in the URL refused', { projectId, transport: 'sse' })
    return sendJson(response, 401, { detail: SSE_TOKEN_IN_URL_DETAIL })
  }
  const token = bearerToken(request) ?? queryToken
  if (token === null) {
    metrics.drop('unauthenticated')
    return sendJson(response, 401, { detail: 'authentication required: send Authorization: Bearer <token>' })
  }
  const lastEventId = request.headers['last-event-id']
  const sinceSeq = parseSince(typeof lastEventId === 'string' && lastEventId.trim() !== '' ? lastEventId : url.searchParams.get('since'))

  const sink = new SseSink(response, {
    heartbeatMs: options.sseHeartbeatMs,
    retryMs: options.sseRetryMs,
    onError: (error) => log.debug('SSE response error', { projectId, ...errorFields(error, token) }),
  })
  const admission = trackAdmission(ctx.admission, sink, projectId)
  void admitSession(ctx.admission, sink, { request, projectId, token, sinceSeq, admitted: admission.admitted })
    .then((session) => {
      // Joined with nothing to send (a project with no state): the head goes out now all the same.
      if (session) sink.start()
    })
    .catch((error: unknown) => {
      log.error('SSE stream failed to start', { projectId, ...errorFields(error, token) })
      sink.terminate()
    })
}
