/**
 * `live-status/core`: the framework-free half. Shared, ref-counted WebSocket connections with
 * token gating, backoff, heartbeat and validated events. No React in here.
 */
export { SocketHub, createSocketHub, type Lease } from '../transport/socketHub'
export { Connection, type ConnectionSubscriber } from '../transport/connection'
export type { FrameSubscriber } from '../transport/frameDecoder'
export {
  defaultHeartbeat,
  defaultReconnect,
  type AccessToken,
  type AuthErrorInfo,
  type ControlReply,
  type EndpointOptions,
  type FocusSource,
  type HeartbeatOptions,
  type OnlineSource,
  type ReconnectOptions,
  type SocketHubOptions,
} from '../transport/options'
export { authenticate, type AuthTransport } from '../transport/authTransport'
export { backoffDelayMs } from '../transport/backoff'
export { closeAction, reconnectDecision, type CloseAction, type CloseCodePolicy, type Loss, type ReconnectDecision } from '../transport/closeAction'
export { redact } from '../transport/redact'
export {
  ReadyState,
  type ConnectionState,
  type ConnectionStats,
  type ConnectionSnapshot,
  type EventError,
  type EventErrorReason,
  type EventSchema,
  type WebSocketConstructor,
  type WebSocketLike,
} from '../transport/types'
export type { StatusSource } from '../transport/socketHub'
export { LiveStatusClient, LiveStatusNoTokenError, type LiveActivity, type LiveStatusClientOptions, type LiveConnectionStatus } from '../sync/liveStatusClient'
export { defaultEndpoints, toWebSocketBase, type Endpoints } from '../sync/endpoints'
export { LiveStatusHttpError, isAuthError, isClientError } from '../sync/httpError'
export { liveStatusKeys } from '../sync/queryKeys'
export { defineChannel, withReducer, type ChannelDefinition, type FetchContext, type ReduceContext } from '../sync/defineChannel'
export { LiveQuerySync } from '../sync/liveQuerySync'
export { liveQueryOptions, type LiveQueryOptionsResult } from '../sync/liveQueryOptions'
export { frameScheduler, type ScheduleFlush } from '../sync/flushScheduler'
export { type ChannelRoute } from '../sync/defineChannel'
export { toEventSchema, type SchemaLike, type StandardSchemaV1 } from '../sync/standardSchema'
export { subscribeLiveInvalidation, type LiveInvalidationOptions } from '../sync/liveInvalidation'
export {
  indexStatusChannel,
  indexEventSchema,
  parseIndexStatus,
  mergeIndexStatus,
  indexStatusOptions,
  type IndexEvent,
  type IndexState,
  type IndexStatus,
  type IndexStatusParams,
} from '../channels/indexStatus'
export {
  operationProgressChannel,
  operationEventSchema,
  operationEventTypes,
  parseOperationStatus,
  reduceOperation,
  reduceOperations,
  mergeOperation,
  operationProgressOptions,
  type OperationEvent,
  type OperationProgress,
  type OperationProgressParams,
  type OperationStatus,
} from '../channels/operationProgress'
export {
  directoryScanChannel,
  scanEventSchema,
  reduceScan,
  idleScan,
  type DirectoryScan,
  type DirectoryScanParams,
  type ScanEvent,
  type ScanState,
  type ScannedFile,
} from '../channels/directoryScan'
