import { createSseParser } from './sseParser'
import type { OversizedFrame } from '../frameDecoder'
import type { WebSocketConstructor, WebSocketLike } from '../types'

/**
 * A Server-Sent Events stream dressed as a WebSocket, so the connection layer (sharing, token
 * gating, backoff with jitter, heartbeat, frame decoding, status) runs unchanged over it: the
 * socket path costs nothing for SSE, and SSE is what an app that imports `live-status/sse` pays.
 *
 * Not the browser's `EventSource`: it cannot send headers, and the token must not travel in a URL.
 * A `fetch` stream instead, read by `createSseParser` (the standard's format; see there why not
 * `eventsource-parser`).
 *
 * - The token arrives as the subprotocols `bearer, <token>` (the auth `sse()` sets) and leaves as
 *   `Authorization: Bearer <token>`; nothing else of the protocols is sent.
 * - A resume position in the URL (`?since=<seq>`, added by the connection on reconnect) leaves as
 *   `Last-Event-ID: <seq>`: the server's event ids are the same `seq` the frames carry (a stream's
 *   `id:` lines are not read: the position is the connection's, from the events it took).
 * - The events of one chunk reach the connection as one message whose `data` is the list of their
 *   frames (the frame decoder takes lists): one decode and cache pass per chunk.
 * - Comment lines (`: ping`) are the server's heartbeat: each reaches the connection as a `pong`
 *   frame, so a stream that goes silent is noticed like a socket that does.
 * - `retry:` is kept as `retryMs`; the connection waits at least that long before the next attempt.
 * - An answer other than a 200 event stream closes it before it opened, with the close code a
 *   socket server would have used: 401 → 4401, 403 → 4403 (the token is refused), 429 and 503 →
 *   1013 (try again later), anything else → 1006 (a failed handshake).
 */
export class SseSocket implements WebSocketLike {
  readyState = 0
  readonly protocol = ''
  /**
   * The least wait before the next attempt the server asked for, in ms: a refusal's `Retry-After`
   * (for the next attempt only), else the stream's `retry:`, which the standard keeps from stream to
   * stream (0 once a stream opens without one).
   */
  retryMs: number | undefined
  onopen: ((event: unknown) => void) | null = null
  onmessage: ((event: { data: unknown }) => void) | null = null
  onerror: ((event: unknown) => void) | null = null
  onclose: ((event: { code: number; reason: string; wasClean?: boolean }) => void) | null = null
  readonly #abort = new AbortController()
  readonly #sendUrl: string | undefined
  readonly #headers: Record<string, string>
  readonly #fetch: typeof fetch
  readonly #key: string
  /** The last `retry:` of each stream URL (see `SseSocketOptions.retryMsByUrl`). */
  readonly #retries: Map<string, number>

  constructor(url: string, protocols?: string | string[], options: SseSocketOptions = {}) {
    const target = new URL(url.replace(/^ws(s?):/i, 'http$1:'))
    const headers: Record<string, string> = { Accept: 'text/event-stream' }
    const offered = typeof protocols === 'string' ? [protocols] : (protocols ?? [])
    const bearer = offered.indexOf('bearer')
    if (bearer !== -1 && offered[bearer + 1]) headers.Authorization = `Bearer ${offered[bearer + 1]}`
    const since = options.resumeParam === undefined ? null : target.searchParams.get(options.resumeParam)
    if (since !== null) target.searchParams.delete(options.resumeParam!)
    if (since !== null) headers['Last-Event-ID'] = since
    this.#key = target.href
    this.#retries = options.retryMsByUrl ?? new Map()
    this.#headers = headers
    this.#sendUrl = options.sendUrl?.(target.href)
    // Called unbound: a browser's fetch called as a method of something else throws "Illegal invocation".
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init))
    void this.#run(target.href)
  }

  async #run(url: string): Promise<void> {
    let response: Response
    try {
      response = await this.#fetch(url, { headers: this.#headers, signal: this.#abort.signal, cache: 'no-store' })
    } catch {
      return this.#closed(1006, 'stream request failed')
    }
    if (response.status !== 200 || !/^text\/event-stream/i.test(response.headers.get('content-type') ?? '') || !response.body) {
      void response.body?.cancel().catch(() => {})
      // A refusal's `Retry-After` (seconds; a date is not read): a floor for the next attempt only.
      const after = response.headers.get('retry-after')
      if (after && /^\d+$/.test(after)) this.retryMs = 1000 * +after
      const code = response.status === 401 ? 4401 : response.status === 403 ? 4403 : response.status === 429 || response.status === 503 ? 1013 : 1006
      return this.#closed(code, `HTTP ${response.status}`)
    }
    if (this.readyState !== 0) return void response.body.cancel().catch(() => {})
    this.readyState = 1
    // A refusal's wait is over; the stream's own `retry:` (this one's or an earlier stream's) stays.
    this.retryMs = this.#retries.get(this.#key) ?? 0
    this.onopen?.({})
    // A chunk's events (and heartbeat comments, in order) reach the connection as one list of
    // frames: one decode pass and one cache pass per chunk, not per event.
    let frames: (string | OversizedFrame)[] = []
    const parser = createSseParser({
      onEvent: (data) => frames.push(data),
      onRetry: (retryMs: number) => {
        this.#retries.set(this.#key, (this.retryMs = retryMs))
      },
      onComment: () => frames.push(PONG),
    })
    // The body's own reader and a streaming decoder (which drops a leading BOM): a TextDecoderStream
    // would add a transform stream's promises to every chunk.
    const reader = response.body.getReader()
    const decoder = new TextDecoder()
    try {
      for (;;) {
        const { done, value } = await reader.read()
        if (done) return this.#closed(1001, 'stream ended')
        const waiting = parser.feed(decoder.decode(value, { stream: true }))
        // An event that grows past any frame a socket would take is skipped, not held: the decoder
        // counts it as a frame over the limit (its queries refetch), and the stream reads on. A
        // line that is not data (a comment, an `id`) is dropped alone, and nothing was lost.
        if (waiting > MAX_LINE_CHARS && parser.skip()) frames.push({ oversizedChars: waiting })
        if (frames.length > 0) {
          const data = frames
          frames = []
          if (this.readyState === 1) this.onmessage?.({ data })
        }
      }
    } catch {
      this.#closed(1006, 'stream broken')
    }
  }

  /** Sends a command: POSTed to `sendUrl` when the endpoint has one. Heartbeat pings need no answer here: the server's comments are the heartbeat. */
  send(data: string): void {
    if (this.readyState !== 1) throw new Error('[live-status] The stream is not open.')
    // Whatever field the hub names types by (`{"op":"ping"}`): never a command to POST.
    if (/^\{"[^"]+":"ping"\}$/.test(data)) return
    if (!this.#sendUrl) throw new Error('[live-status] This endpoint is a Server-Sent Events stream: it cannot send. Give `sse({ sendUrl })` a REST route for commands.')
    void this.#fetch(this.#sendUrl, { method: 'POST', headers: { ...this.#headers, Accept: 'application/json', 'Content-Type': 'application/json' }, body: data }).catch(() => {})
  }

  /** Commands go with the new token from now on (the stream itself stays on the one it opened with). */
  tokenChanged(token: string): void {
    if (this.#headers.Authorization) this.#headers.Authorization = `Bearer ${token}`
  }

  close(code = 1000, reason = ''): void {
    if (this.readyState === 3) return
    this.#abort.abort()
    this.#closed(code, reason)
  }

  #closed(code: number, reason: string): void {
    if (this.readyState === 3) return
    this.readyState = 3
    // No Retry-After on this refusal (or no answer): an earlier refusal's floor does not carry on.
    this.retryMs ??= this.#retries.get(this.#key) ?? 0
    this.onclose?.({ code, reason, wasClean: code === 1000 })
  }
}

const PONG = '{"type":"pong"}'
/** Twice the socket layer's default `maxPayloadBytes`: longer frames are dropped there anyway. */
const MAX_LINE_CHARS = 2 * 1024 * 1024

/** How `SseSocket`s are made for one endpoint. */
export interface SseSocketOptions {
  /**
   * The query parameter the connection adds with the last `seq` on reconnect; sent as
   * `Last-Event-ID` instead.
   * @default undefined (nothing to translate)
   */
  resumeParam?: string
  /**
   * The REST route a channel's `send` posts to, from the stream's URL; without it `send` throws
   * and `client.send` answers false.
   * @default undefined
   */
  sendUrl?: (streamUrl: string) => string
  /** The `fetch` to stream with. @default globalThis.fetch */
  fetch?: typeof fetch
  /**
   * The last `retry:` each stream URL sent, which the standard keeps from stream to stream (a
   * refusal's `Retry-After` holds for the next attempt only). Shared by every connection of a
   * constructor: it is the server's, whichever connection heard it. `sseSocketConstructor` makes one.
   * @default a map of the socket's own
   */
  retryMsByUrl?: Map<string, number>
}

/** A WebSocket constructor whose sockets are `SseSocket`s made with `options`. */
export function sseSocketConstructor(options: SseSocketOptions = {}): WebSocketConstructor {
  const withRetries = { retryMsByUrl: new Map<string, number>(), ...options }
  return class extends SseSocket {
    /** Whether its sockets can send (the endpoint has a `sendUrl`): a tab sharing another tab's stream reads it. */
    static readonly sends = options.sendUrl !== undefined
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols, withRetries)
    }
  }
}
