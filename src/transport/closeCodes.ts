/**
 * The one close-code table, imported by the reference server (which sends these after the upgrade,
 * so clients can tell why) and the client (whose defaults read them: `transportDefaults` and
 * `closeAction`). The client reads 1008, 4401 and 4403 as "sign-in required"; 1003, 1007, 1009 and
 * 1010 as "give up"; 1002 as "retry with backoff unless it repeats on every attempt"; everything
 * else as "reconnect with backoff": protocol abuse therefore never uses 1008.
 *
 * A message the server does not support is not a close. One socket carries every component of a
 * tab (and, with cross-tab sharing, of several tabs), so closing it for one component's unsupported
 * message would cut all the others off and, with 1002, stop their reconnects. The server answers
 * such a message (an unknown `type`, or a frame that is not a JSON object) with
 * `{"type":"client_error","messageType":<the type string, or null>,"reason":<text naming it>}`,
 * counts it (`clientErrors`, `live_status_client_errors_total`) and keeps the socket. Only a flood,
 * more than `maxInvalidFrames` (100) within `invalidFramesWindowMs` (10 s), closes it, with
 * `protocolError` (1002): a client that floods is broken, and reconnecting would only repeat it.
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
  /** A client frame over the server's `maxPayloadBytes` (sent by `ws` itself). Client: give up. */
  tooLarge: 1009,
  /**
   * A flood of unsupported or invalid messages (over `maxInvalidFrames` within
   * `invalidFramesWindowMs`; fewer are answered with `client_error` frames), or too much sent
   * before authentication. Client: retry with backoff, and stop after three in a row
   * (`PROTOCOL_ERROR_REPEATS`): a client that floods on every attempt is broken.
   */
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

/** Closes that mean "the server refused the credentials" (the client's default `authCloseCodes`). */
export const authCloseCodes: readonly number[] = [1008, 4401, 4403] // policy, unauthenticated, forbidden

/** Closes after which retrying cannot help (the client's default `fatalCloseCodes`): unsupported data, bad payloads, too large, a missing extension. */
export const fatalCloseCodes: readonly number[] = [1003, 1007, 1009, 1010] // 1009: tooLarge
