/**
 * Close codes the server uses after the upgrade, so clients can tell why. The reference client
 * (src/core/closeAction.ts) reads 1008, 4401 and 4403 as "sign-in required", 1002/1003/1007/1009/1010
 * as "give up", and everything else as "reconnect with backoff": protocol abuse therefore never
 * uses 1008.
 */
export const CloseCode = {
  /**
   * No token, `authenticate` refused it, or it came in the URL without `allowTokenInQuery` (the
   * reason then names the auth message and the subprotocol). Client: sign-in required.
   */
  unauthenticated: 4401,
  /** `authorize` refused the project. Client: sign-in required. */
  forbidden: 4403,
  /** The user holds `maxConnectionsPerUser` sockets already. Client: reconnect with backoff. */
  tooManyConnections: 4429,
  /** A client frame over `maxPayloadBytes` (sent by `ws` itself). Client: give up. */
  tooLarge: 1009,
  /** Too many invalid frames, or too much sent before authentication. Client: give up. */
  protocolError: 1002,
  /** An app callback threw, or setup failed. Client: reconnect with backoff. */
  internalError: 1011,
  /** `close()`: the server is shutting down. Client: reconnect with backoff. */
  goingAway: 1001,
  /** The project's state could not be read from the shared bus. Client: reconnect with backoff. */
  tryAgainLater: 1013,
  /**
   * Policy violation. Not sent by the server any more: the reference client reads it as "sign-in
   * required". Kept for callers of `disconnectAll(CloseCode.policy)`.
   */
  policy: 1008,
} as const
