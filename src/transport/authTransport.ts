import { withQuery } from './url'

/**
 * How the access token reaches the server. All four forms are in use by real backends:
 * - `query`: `?token=<t>` on the URL (simple, but ends up in proxy and access logs);
 * - `protocol`: WebSocket subprotocols, e.g. `t => ['bearer', t]` or `t => ['access_token.' + t]`;
 * - `message`: a first message sent right after open, e.g. `t => ({ type: 'auth', token: t })`;
 * - `none`: no token at all (a cookie on the same origin authenticates): sockets open without
 *   waiting for one and nothing is added. Tokens given to the hub are ignored, so signing out does
 *   not close anything: unmount the provider (or `dispose()` the client) when the session ends,
 *   and let the server close the sockets of an ended session.
 */
export type AuthTransport =
  | { type: 'none' }
  | {
      type: 'query'
      /** Query parameter that carries the token. @default 'token' */
      param?: string
    }
  | {
      type: 'protocol'
      /** Subprotocols for a token. */
      protocols: (token: string) => string[]
    }
  | {
      type: 'message'
      /** The first message after open; objects are sent as JSON. */
      message: (token: string) => unknown
    }

export interface AuthenticatedRequest {
  url: string
  protocols: string[] | undefined
  /** Already serialised; undefined when the transport is not `message`. */
  firstMessage: string | undefined
}

/**
 * Builds what the WebSocket constructor and the first send need for one connect attempt.
 * `protocols` are offered before the auth transport's own; `token` is `null` only for `none`.
 */
export function authenticate(url: string, token: string | null, auth: AuthTransport, protocols: readonly string[] = []): AuthenticatedRequest {
  const offered = [...protocols]
  let firstMessage: string | undefined
  if (token !== null) {
    if (auth.type === 'query') url = withQuery(url, { [auth.param ?? 'token']: token })
    else if (auth.type === 'protocol') offered.push(...auth.protocols(token))
    else if (auth.type === 'message') {
      const message = auth.message(token)
      firstMessage = typeof message === 'string' ? message : JSON.stringify(message)
    }
  }
  return { url, protocols: offered.length > 0 ? offered : undefined, firstMessage }
}
