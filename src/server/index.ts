/** `live-status/server`: the reference server (Node only). */
export { LiveStatusServer, createLiveStatusServer } from './liveStatusServer'
export { CloseCode } from './closeCodes'
export { defaultUserId, serverDefaults, UserIdError, type LiveStatusServerOptions } from './options'
export { consoleLogger, type LogMethod, type ServerLogger } from './logger'
export { dropReasons, type DropReason, type MetricsSnapshot } from './metrics/serverMetrics'
export { InMemoryEventBus, nextSeq, type EventBus, type InMemoryEventBusOptions, type SequencedEvent } from './eventBus'
export { ProjectState } from './projectState'
export { bearerToken, selectProtocol, tokenFromRequest } from './tokenFromRequest'
