import { withQuery } from './endpoints'

/**
 * How the access token reaches the server. All three forms are in use by real backends:
 * - `query`: `?token=<t>` on the URL (simple, but ends up in proxy and access logs);
 * - `protocol`: WebSocket subprotocols, e.g. `t => ['bearer', t]` or `t => ['access_token.' + t]`;
 * - `message`: a first message sent right after open, e.g. `t => ({ type: 'auth', token: t })`.
 */
export type AuthTransport =
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

/** Builds what the WebSocket constructor and the first send need for one connect attempt. */
export function authenticate(url: string, token: string, auth: AuthTransport): AuthenticatedRequest {
  switch (auth.type) {
    case 'query': {
      return {
        url: withQuery(url, { [auth.param ?? 'token']: token }),
        protocols: undefined,
        firstMessage: undefined,
      }
    }
    case 'protocol':
      return { url, protocols: auth.protocols(token), firstMessage: undefined }
    case 'message': {
      const message = auth.message(token)
      return {
        url,
        protocols: undefined,
        firstMessage: typeof message === 'string' ? message : JSON.stringify(message),
      }
    }
  }
}
