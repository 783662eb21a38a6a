import type { EndpointOptions } from '../options'
import { resumeBySeq } from '../resume'
import { sseSocketConstructor, type SseSocketOptions } from './sseSocket'

/** What `sse()` takes. */
export interface SseOptions {
  /**
   * The REST route a channel's `send` posts to, from the stream's URL (`http…/sse/projects/p1`).
   * Without it a channel cannot send on this endpoint: `client.send` answers false.
   * @default undefined
   */
  sendUrl?: SseSocketOptions['sendUrl']
  /** The `fetch` to stream with (tests, instrumented fetches). @default globalThis.fetch */
  fetch?: typeof fetch
}

/** The query parameter the connection puts the last `seq` in on reconnect; it leaves as `Last-Event-ID`. */
const RESUME_PARAM = 'since'

/**
 * Endpoint options that make an endpoint a Server-Sent Events stream instead of a WebSocket: the
 * token as `Authorization: Bearer` (never in the URL), resume by `Last-Event-ID`, the server's
 * comment lines as proof of life for the hub's keep-alive. Everything else — sharing, token
 * gating, backoff, the keep-alive itself (`heartbeat`: the client's default, or `keepAlive()` on a
 * bare hub), status, validation, batching into the cache — is the socket layer's, unchanged.
 *
 * @example
 * ```ts
 * new SocketHub({ token, heartbeat: keepAlive(), endpointOptions: (url) => (url.includes('/sse/') ? sse() : undefined) })
 * ```
 */
export function sse(options: SseOptions = {}): EndpointOptions {
  return {
    WebSocket: sseSocketConstructor({ ...options, resumeParam: RESUME_PARAM }),
    // Carried to the adapter as subprotocols, which turns them into the Authorization header.
    auth: { type: 'protocol', protocols: (token) => ['bearer', token] },
    protocols: [],
    resumeParam: resumeBySeq(RESUME_PARAM),
  }
}
