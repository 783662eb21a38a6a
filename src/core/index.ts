/**
 * `live-status/core`: the framework-free half. Shared, ref-counted WebSocket connections with
 * token gating, backoff, heartbeat and validated events. No React in here.
 */
export { SocketHub, createSocketHub, type Lease } from './socketHub'
export { Connection, type ConnectionSubscriber } from './connection'
export type { FrameSubscriber } from './frameDecoder'
export {
  defaultHeartbeat,
  defaultReconnect,
  type AccessToken,
  type AuthErrorInfo,
  type FocusSource,
  type HeartbeatOptions,
  type OnlineSource,
  type ReconnectOptions,
  type SocketHubOptions,
} from './options'
export { authenticate, type AuthTransport } from './authTransport'
export { backoffDelayMs } from './backoff'
export { closeAction, type CloseAction, type CloseCodePolicy } from './closeAction'
export { redact } from './redact'
export {
  ReadyState,
  type ConnectionState,
  type ConnectionStats,
  type ConnectionStatus,
  type EventError,
  type EventErrorReason,
  type EventSchema,
  type WebSocketConstructor,
  type WebSocketLike,
} from './types'
