import { sse, type SseOptions } from '../transport/sse/sse'
import type { EndpointOptions } from '../transport/options'
import type { Endpoints } from './endpoints'

export { sse, type SseOptions }
export { SseSocket, sseSocketConstructor, type SseSocketOptions } from '../transport/sse/sseSocket'

const segment = encodeURIComponent

/**
 * Provider (or client) options that follow the built-in channels over the reference server's
 * Server-Sent Events streams (`/sse/projects/{projectId}`) instead of its sockets. Spread them into
 * `<LiveStatusProvider>`; REST, the cache, polling and `ConnectionStatus` are unchanged. Operations
 * need a `projectId` (the stream is per project).
 *
 * @example
 * ```tsx
 * import { sseTransport } from 'live-status/sse'
 * <LiveStatusProvider apiUrl={apiUrl} accessToken={token} {...sseTransport()}>
 * ```
 */
export function sseTransport(options: SseOptions & {
  /**
   * The stream path of a project. @default (projectId) => `/sse/projects/${projectId}`
   */
  streamPath?: (projectId: string) => string
} = {}): { endpoints: Partial<Endpoints>; endpointOptions: (url: string) => EndpointOptions | undefined } {
  const { streamPath = (projectId: string) => `/sse/projects/${segment(projectId)}`, ...rest } = options
  const endpoint = sse(rest)
  const streams = new Set<string>()
  const stream = (projectId: string) => {
    const path = streamPath(projectId)
    streams.add(path)
    return path
  }
  return {
    endpoints: {
      indexSocket: stream,
      // Streams are per project: an operation followed without one has none, and is polled.
      operationSocket: (_operationId, { projectId }) => (projectId ? stream(projectId) : null),
    },
    // The URL the hub keys on is `wsUrl` + the path: matched by its path's end.
    endpointOptions: (url) => {
      for (const path of streams) if (url.endsWith(path)) return endpoint
      return undefined
    },
  }
}
