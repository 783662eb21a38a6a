import type { IncomingMessage } from 'node:http'

/**
 * The token a WebSocket upgrade carries, from the query (`?token=`) or the subprotocols
 * (`['bearer', t]` or `['access_token.' + t]`); `null` when it will come as the first message.
 */
export function tokenFromRequest(request: IncomingMessage, url: URL, queryParam: string): string | null {
  const fromQuery = url.searchParams.get(queryParam)
  if (fromQuery) return fromQuery
  const protocols = String(request.headers['sec-websocket-protocol'] ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)
  const bearer = protocols.indexOf('bearer')
  if (bearer !== -1 && protocols[bearer + 1]) return protocols[bearer + 1]!
  const prefixed = protocols.find((p) => p.startsWith('access_token.'))
  return prefixed ? prefixed.slice('access_token.'.length) : null
}

/**
 * The subprotocol to answer with. Browsers fail the handshake unless the server picks one of those
 * offered; `bearer` is picked so the token is not echoed, `access_token.<t>` has to be.
 */
export function selectProtocol(protocols: Set<string>): string | false {
  if (protocols.has('bearer')) return 'bearer'
  for (const protocol of protocols) if (protocol.startsWith('access_token.')) return protocol
  const [first] = protocols
  return first ?? false
}

/** The `Authorization: Bearer …` token of a REST request. */
export function bearerToken(request: IncomingMessage): string | null {
  const header = request.headers.authorization
  if (!header) return null
  const match = /^Bearer\s+(.+)$/i.exec(header)
  return match ? match[1]!.trim() : null
}
