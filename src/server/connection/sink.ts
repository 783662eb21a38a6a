/** The transports a client may follow a project over: the `transport` label of the metrics. */
export const transports = ['websocket', 'sse'] as const
/** How a connection reaches the server: a WebSocket or a Server-Sent Events stream (metrics count each). */
export type Transport = (typeof transports)[number]

/**
 * What a session writes to: a WebSocket, or the response of a Server-Sent Events request. Admission,
 * the fan-out and the slow-consumer limit see only this, so both transports share one code path and
 * differ only in how a message, a refusal and a liveness check look on the wire.
 */
export interface SessionSink {
  readonly transport: Transport
  /** Whether a message written now can still reach the client. */
  readonly open: boolean
  /** Whether the connection is gone for good (what a drain waits for). */
  readonly closed: boolean
  /** Bytes written but not yet taken by the peer's TCP window: the slow-consumer measure. */
  readonly bufferedBytes: number
  /**
   * Whether the server can ask the client to prove it is alive (a WebSocket protocol ping). An SSE
   * client cannot answer: it watches the heartbeat itself, and the server learns of a dead one from TCP.
   */
  readonly answersPings: boolean
  /** Writes one JSON text message; `lastSeq` is the highest `seq` it carries, when it carries events. */
  send(text: string | Buffer, lastSeq?: number): void
  /**
   * Ends the connection for the reason a close code names (`CloseCode`, the server's one
   * vocabulary of refusals): a close frame on a socket; on SSE an HTTP status before the stream
   * has begun, the end of the stream after.
   */
  close(code: number, reason: string): void
  /** Cuts the connection without a goodbye (a client too slow to take one, a crash test). */
  terminate(): void
  /** Asks the client for a sign of life, where `answersPings`. */
  ping(): void
  /**
   * Called once when the connection is gone (at once, later, if it is gone already). Returns what
   * takes the listener off again (a listener kept for the connection's life is memory held per connection).
   */
  onClose(listener: () => void): () => void
  /** Called whenever the client shows it is alive (a pong). */
  onAlive(listener: () => void): void
}
