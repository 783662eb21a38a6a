/** `live-status/server`: the reference server (Node only). */
export { LiveStatusServer, createLiveStatusServer, CloseCode, type LiveStatusServerOptions } from './liveStatusServer'
export { InMemoryEventBus, nextSeq, type EventBus, type InMemoryEventBusOptions, type SequencedEvent } from './eventBus'
export { ProjectState } from './projectState'
export { bearerToken, selectProtocol, tokenFromRequest } from './tokenFromRequest'
