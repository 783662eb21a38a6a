import type { IncomingMessage, ServerResponse } from 'node:http'
import { isOriginAllowed, type AllowedOrigins } from './originPolicy'
import { sendJson } from './respond'

/**
 * A plain HTTP request on a socket path. A browser shows a refused upgrade as a bare 1006, so the
 * client's development build asks the same URL once with a `GET` to learn why (`devWarnings.ts`):
 * 403 when the page's origin is refused, 426 when the endpoint is there and the origin allowed.
 * Readable from any origin (the answer is only that status), so the refused page can say so.
 */
export function answerSocketProbe(request: IncomingMessage, response: ServerResponse, allowedOrigins: AllowedOrigins | undefined, onRefused: (origin: string) => void): void {
  const origin = request.headers.origin
  if (origin) {
    response.setHeader('Access-Control-Allow-Origin', origin)
    response.setHeader('Vary', 'Origin')
  }
  if (origin && allowedOrigins && !isOriginAllowed(allowedOrigins, origin)) {
    onRefused(origin)
    return sendJson(response, 403, { detail: 'this page origin is not allowed: add it to the server allowedOrigins (LIVE_STATUS_ALLOWED_ORIGINS)' })
  }
  response.setHeader('Upgrade', 'websocket')
  sendJson(response, 426, { detail: 'a WebSocket endpoint: connect with an upgrade' })
}
