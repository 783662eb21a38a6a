/**
 * `live-status/transport`: shared, ref-counted WebSockets with token gating, backoff, heartbeat,
 * frame limits and redaction. No TanStack, no schema library: usable on its own.
 */
export { SocketHub, createSocketHub, type Lease, type StatusSource } from './socketHub'
export { Connection, type ConnectionSubscriber } from './connection'
export type { FrameSubscriber } from './frameDecoder'
export {
  defaultHeartbeat,
  defaultReconnect,
  transportDefaults,
  type AccessToken,
  type AuthErrorInfo,
  type ControlReply,
  type EndpointOptions,
  type FocusSource,
  type HeartbeatOptions,
  type OnlineSource,
  type ReconnectOptions,
  type SocketHubOptions,
} from './options'
export { authenticate, type AuthTransport } from './authTransport'
export { backoffDelayMs } from './backoff'
export { closeAction, reconnectDecision, PROTOCOL_ERROR_REPEATS, type CloseAction, type CloseCodePolicy, type Loss, type ReconnectDecision } from './closeAction'
export { CloseCode } from './closeCodes'
export { browserOnline } from './environment'
export { jsonInBinaryFrames } from './binaryFrames'
export { redact } from './redact'
export {
  ReadyState,
  isDown,
  type ConnectionState,
  type ConnectionStats,
  type ConnectionSnapshot,
  type EventError,
  type EventErrorReason,
  type EventSchema,
  type WebSocketConstructor,
  type WebSocketLike,
} from './types'
