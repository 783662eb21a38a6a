/**
 * `live-status/core`: the framework-free half, no React. The client (sockets, REST, one cache
 * writer per live query, polling), the channel API, the built-in channels and their query-options
 * factories; Server Components can import keys and factories from here. The socket layer alone is
 * `live-status/transport`; each backend's dialect is `live-status/dialects/…`.
 */
export { LiveStatusClient, LiveStatusNoTokenError, type ClientEndpointOptions, type Dialect, type LiveActivity, type LiveConnectionStatus, type LiveStatusClientOptions } from '../sync/liveStatusClient'
export { defaultEndpoints, type Endpoints } from '../sync/endpoints'
export { LiveStatusHttpError, isAuthError, isClientError } from '../sync/httpError'
export { liveStatusKeys } from '../sync/queryKeys'
export { defineChannel, withReducer, type ChannelClient, type ChannelDefinition, type ChannelRoute, type FetchContext, type ReduceContext } from '../sync/defineChannel'
export { liveQueryOptions, type LiveQueryOptionsResult } from '../sync/liveQueryOptions'
export { subscribeLiveInvalidation, type LiveInvalidationOptions } from '../sync/liveInvalidation'
export type { ScheduleFlush } from '../sync/flushScheduler'
export type { SchemaLike, StandardSchemaV1 } from '../sync/standardSchema'
export {
  operationProgressChannel,
  operationProgressOptions,
  parseOperationStatus,
  toOperationStatus,
  type OperationEvent,
  type OperationProgress,
  type OperationProgressParams,
  type OperationStatus,
  type StageInfo,
} from '../channels/operationProgress'
export { createOperationChannel, type CounterFields, type OperationVocabulary } from '../channels/operationVocabulary'
export { createOperationEta, type OperationEtaSampler } from '../channels/operationEta'
export {
  startOperationOptions,
  cancelOperationOptions,
  type StartOperationVariables,
  type StartedOperation,
  type StartOperationContext,
  type CancelOperationVariables,
  type CancelOperationContext,
} from '../channels/operationCommands'
export { reindexOptions, type ReindexContext, type ReindexVariables } from '../channels/indexCommands'
export type { CommandOptions, LiveMutationOptions } from '../channels/commands'
export { liveStatusOptions, type BoundChannel, type LiveQueryFactoryOptions, type LiveStatusOptions } from '../channels/liveStatusOptions'
export { indexStatusChannel, indexStatusOptions, parseIndexStatus, type IndexEvent, type IndexState, type IndexStatus, type IndexStatusParams } from '../channels/indexStatus'
export { directoryScanChannel, type DirectoryScan, type DirectoryScanParams, type ScanEvent, type ScanState, type ScannedFile } from '../channels/directoryScan'
// The socket layer's names an app meets in options and statuses (the rest: `live-status/transport`).
export { SocketHub, createSocketHub } from '../transport/socketHub'
export { CloseCode } from '../transport/closeCodes'
export type {
  AccessToken,
  AuthErrorInfo,
  ControlReply,
  EndpointOptions,
  FocusSource,
  HeartbeatOptions,
  KeepAlive,
  OnlineSource,
  ReconnectOptions,
  ResumeParam,
  SocketHubOptions,
} from '../transport/options'
export type { AuthTransport } from '../transport/authTransport'
export type { ConnectionSnapshot, ConnectionState, EventError, EventErrorReason, WebSocketConstructor, WebSocketLike } from '../transport/types'
