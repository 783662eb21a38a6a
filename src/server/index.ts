/** `live-status/server`: the reference server (Node only). */
export { LiveStatusServer, createLiveStatusServer } from './liveStatusServer'
export { CloseCode } from '../transport/closeCodes'
export {
  ANY_AUTHENTICATED_USER,
  defaultUserId,
  serverDefaults,
  UserIdError,
  type AuthorizationMode,
  type CancelOperationRequest,
  type LiveStatusServerOptions,
  type StartOperationRequest,
} from './options'
export { isLocalDevOrigin, type AllowedOrigins } from './http/originPolicy'
export { isLoopbackHost, type AllowedHosts } from './http/hostPolicy'
export { consoleLogger, type LogMethod, type ServerLogger } from './logger'
export { dropReasons, type DropReason, type MetricsSnapshot } from './metrics/serverMetrics'
export { transports as connectionTransports, type Transport as ConnectionTransport } from './connection/sink'
export { InMemoryEventBus, nextSeq, type EventBus, type InMemoryEventBusOptions, type RetainedState, type SequencedEvent } from './eventBus'
export { ProjectState } from './projectState'
export { bearerToken, selectProtocol, tokenFromRequest } from './tokenFromRequest'
export { startStandalone, type StandaloneOptions } from './standalone'
export { configFromEnv, envVariables, type EnvConfig } from './config/fromEnv'
export { requestTarget } from './http/requestTarget'
export { rejectUpgrade } from './http/respond'
export { RedisStreamsBus, type RedisLike, type RedisStreamsBusOptions } from './redisStreamsBus'
