import type { IncomingMessage, ServerResponse } from 'node:http'
import { isOriginAllowed, ORIGIN_REFUSED_DETAIL, type AllowedOrigins } from './originPolicy'
import { sendJson } from './respond'

/** What the upgrade of the same URL would meet, checked in the same order. */
export interface ProbeContext {
  allowedOrigins: AllowedOrigins | undefined
  onRefused: (origin: string) => void
  /** The URL's project id is one the server accepts. */
  projectIdValid: boolean
  /** The server is shutting down. */
  closing: boolean
}

/**
 * A plain HTTP request on a socket path. A browser shows a refused upgrade as a bare 1006, so the
 * client's development build asks the same URL once with a `GET` to learn why (`devWarnings.ts`).
 * It answers what the upgrade would: 400 for a project id the server refuses, 503 while shutting
 * down, 403 when the page's origin is refused, and 426 when the endpoint is there and the origin
 * allowed. Readable from any origin (the answer is only that status), so the refused page can say so.
 */
export function answerSocketProbe(request: IncomingMessage, response: ServerResponse, { allowedOrigins, onRefused, projectIdValid, closing }: ProbeContext): void {
  const origin = request.headers.origin
  if (origin) {
    response.setHeader('Access-Control-Allow-Origin', origin)
    response.setHeader('Vary', 'Origin')
  }
  if (!projectIdValid) return sendJson(response, 400, { detail: 'not a project id this server accepts' })
  if (closing) return sendJson(response, 503, { detail: 'the server is shutting down' })
  // A browser sends no Origin on a same-origin GET, but does on the upgrade: the page's origin is
  // then the server's own, as the page reached it.
  const pageOrigin = origin ?? (request.headers['sec-fetch-site'] === 'same-origin' && request.headers.host ? `${(request.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http'}://${request.headers.host}` : undefined)
  if (allowedOrigins && !isOriginAllowed(allowedOrigins, pageOrigin)) {
    onRefused(pageOrigin ?? '(none)')
    return sendJson(response, 403, { detail: ORIGIN_REFUSED_DETAIL })
  }
  response.setHeader('Upgrade', 'websocket')
  sendJson(response, 426, { detail: 'a WebSocket endpoint: connect with an upgrade' })
}
