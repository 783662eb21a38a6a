/**
 * `live-status/next`: a Next.js route handler (App Router) that streams a project's events as
 * Server-Sent Events to the `live-status/sse` client, from the reference server or your own job
 * source. No React, web APIs only: the Node.js runtime, and the edge runtime when the source allows.
 */
export { createSseRouteHandler, type RouteContext, type SseRouteHandler } from './createSseRouteHandler'
export { type SseRouteHandlerOptions } from './options'
export { SourceError, type ProjectEventSource, type SourceContext, type SourceEvent } from './source'
export { referenceServerSource, type ReferenceServerSourceOptions } from './referenceServerSource'
export { jobSource, type JobSourceContext, type JobSourceOptions, type JobSubscribe } from './jobSource'
