/**
 * `live-status/transport`: shared, ref-counted WebSockets with token gating, backoff, frame limits
 * and redaction; a keep-alive (`keepAlive`) and resume (`resumeBySeq`) for the hubs given them.
 * No TanStack, no schema library: usable on its own.
 */
export { SocketHub, createSocketHub, type Lease, type StatusSource } from './socketHub'
export { Connection, type ConnectionSubscriber } from './connection'
export type { FrameSubscriber } from './frameDecoder'
export { keepAlive } from './heartbeat'
export { resumeBySeq } from './resume'
export {
  defaultHeartbeat,
  defaultReconnect,
  transportDefaults,
  type AccessToken,
  type AuthErrorInfo,
  type ControlReply,
  type EndpointOptions,
  type FocusSource,
  type Heartbeat,
  type HeartbeatOptions,
  type HeartbeatTarget,
  type KeepAlive,
  type OnlineSource,
  type ReconnectOptions,
  type ResumeParam,
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
