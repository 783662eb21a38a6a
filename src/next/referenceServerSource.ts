import { joinUrl } from '../sync/endpoints'
import { redact } from '../transport/redact'
import { createSseParser } from '../transport/sse/sseParser'
import { SourceError, type ProjectEventSource, type SourceEvent } from './source'

/** What `referenceServerSource` takes. */
export interface ReferenceServerSourceOptions {
  /**
   * The reference server's base URL as this server reaches it (`http://live-status.internal:4173`).
   * Read when a stream starts, so an unset environment variable fails that stream (502, logged),
   * not the build.
   */
  url: string | URL | undefined
  /**
   * This app's own service token for the reference server (server to server; never the user's,
   * never sent to the browser). One of `token` and `getToken` is needed.
   * @default undefined
   */
  token?: string | undefined
  /**
   * The service token, asked for each upstream stream (a token that expires and is refreshed).
   * Wins over `token`.
   * @default undefined
   */
  getToken?: (projectId: string) => string | Promise<string>
  /**
   * The stream path of a project on the reference server.
   * @default (projectId) => `/sse/projects/${encodeURIComponent(projectId)}`
   */
  streamPath?: (projectId: string) => string
  /** The `fetch` to stream with (tests, instrumented fetches). @default globalThis.fetch */
  fetch?: typeof fetch
}

/** An event this long is skipped, as the client skips it (its own limit, docs/sse.md). */
const MAX_LINE_CHARS = 2 * 1024 * 1024

/**
 * Relays the reference server's Server-Sent Events stream of a project (`GET /sse/projects/{id}`,
 * the same contract the browser speaks), server to server with this app's service token: the
 * browser talks only to your route handler, with your app's session, and the reference server's
 * token never leaves your servers. `since` goes upstream as `Last-Event-ID`.
 *
 * One upstream request per client stream. When the upstream ends or breaks, the response ends and
 * the browser reconnects (with `Last-Event-ID`): reconnecting is the browser's job, not the relay's.
 * An upstream that refuses (not a 200 event stream) is answered before the stream: 503 when the
 * reference server said try later (429, 503), else 502 (a refused service token included: the
 * user's token was fine). Upstream comment lines and `retry:` stay upstream (the handler sends its own).
 *
 * `fetch` and web streams only: works on the edge runtime too.
 */
export function referenceServerSource(options: ReferenceServerSourceOptions): ProjectEventSource {
  const { streamPath = (projectId: string) => `/sse/projects/${encodeURIComponent(projectId)}` } = options
  return async (projectId, { since, signal }) => {
    if (!options.url) throw new SourceError('referenceServerSource: no `url` (is LIVE_STATUS_API_URL set on this server?)')
    const token = options.getToken ? await options.getToken(projectId) : options.token
    if (!token) throw new SourceError('referenceServerSource: no service token (`token` or `getToken`)')
    // Joined, not resolved: a base with a path (`https://example.com/live`) keeps it.
    const target = new URL(joinUrl(String(options.url), streamPath(projectId)))
    const headers: Record<string, string> = { Accept: 'text/event-stream', Authorization: `Bearer ${token}` }
    if (since !== undefined) headers['Last-Event-ID'] = String(since)
    let response: Response
    try {
      response = await (options.fetch ?? fetch)(target, { headers, signal, cache: 'no-store' })
    } catch (error) {
      if (signal.aborted) throw error
      throw new SourceError(`referenceServerSource: ${target.origin}${target.pathname} could not be reached: ${redact(String((error as Error)?.message ?? error), token)}`)
    }
    if (response.status !== 200 || !/^text\/event-stream/i.test(response.headers.get('content-type') ?? '') || !response.body) {
      void response.body?.cancel().catch(() => {})
      const later = response.status === 429 || response.status === 503
      const refused = response.status === 401 || response.status === 403 ? ' (the service token was refused)' : ''
      throw new SourceError(`referenceServerSource: ${target.origin}${target.pathname} answered ${response.status}${refused}`, later ? 503 : 502)
    }
    return upstreamEvents(response.body, token)
  }
}

/** The upstream's `data:` events as source events, read as the client reads them (the same parser). */
async function* upstreamEvents(body: NonNullable<Response['body']>, token: string): AsyncGenerator<SourceEvent> {
  const ready: SourceEvent[] = []
  const parser = createSseParser({
    onEvent: (data) => {
      let event: unknown
      try {
        event = JSON.parse(data)
      } catch {
        event = undefined
      }
      // What the client cannot read either goes on as it came: read upstream directly, it would be
      // counted (`invalid_json`, `not_an_object`) and its queries would refetch; dropped here, nothing would.
      ready.push(event !== null && typeof event === 'object' && !Array.isArray(event) ? { event } : { event: {}, unread: data })
    },
    onRetry: () => {},
    onComment: () => {},
  })
  const reader = body.pipeThrough(new TextDecoderStream()).getReader()
  try {
    for (;;) {
      let chunk: ReadableStreamReadResult<string>
      try {
        chunk = await reader.read()
      } catch (error) {
        throw new Error(`referenceServerSource: the upstream stream broke: ${redact(String((error as Error)?.message ?? error), token)}`)
      }
      if (chunk.done) return
      // An event too long to take is skipped, as the client skips it, and said in a line the client
      // counts as unreadable (its queries refetch); ending the stream instead, every reconnect
      // would end at the same event.
      const waiting = parser.feed(chunk.value)
      if (waiting > MAX_LINE_CHARS && parser.skip()) ready.push({ event: {}, unread: `live-status relay: an upstream event of ${waiting}+ characters was skipped` })
      while (ready.length > 0) yield ready.shift()!
    }
  } finally {
    void reader.cancel().catch(() => {})
  }
}
