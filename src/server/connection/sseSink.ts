import type { ServerResponse } from 'node:http'
import { CloseCode } from '../../transport/closeCodes'
import { sendJson } from '../http/respond'
import type { SessionSink } from './sink'

export interface SseSinkOptions {
  /** Interval of the `: ping` comment lines. */
  heartbeatMs: number
  /** The reconnection delay the stream's first `retry:` field asks of the client. */
  retryMs: number
  /** A write on a connection that failed (a reset): routine on the internet. */
  onError: (error: Error) => void
}

/** The HTTP status that says what a close code says, for a refusal before the stream has begun. */
const STATUS_OF_CLOSE_CODE: Record<number, number> = {
  [CloseCode.unauthenticated]: 401,
  [CloseCode.forbidden]: 403,
  [CloseCode.tooManyConnections]: 429,
  [CloseCode.goingAway]: 503,
  [CloseCode.tryAgainLater]: 503,
  [CloseCode.protocolError]: 400,
  [CloseCode.internalError]: 500,
}

export const httpStatusOfCloseCode = (code: number): number => STATUS_OF_CLOSE_CODE[code] ?? 500

const HEAD = {
  'Content-Type': 'text/event-stream',
  'Cache-Control': 'no-store',
  // nginx buffers proxied responses by default, which would hold events back until a buffer fills.
  'X-Accel-Buffering': 'no',
  Connection: 'keep-alive',
}
const PING = ': ping\n\n'
const END_OF_EVENT = '\n\n'

/**
 * The response of a Server-Sent Events request as a session's sink. Nothing is written until the
 * session has joined (or the first message goes out), so every refusal, a bus that cannot be read
 * included, is still a plain HTTP status with a `{detail}` body. Each message is one event,
 * `id: <last seq>\ndata: <the socket's JSON>\n\n`: the frames are `JSON.stringify` output, which
 * never holds a raw line break, so one `data:` line carries a whole frame.
 */
export class SseSink implements SessionSink {
  readonly transport = 'sse'
  readonly answersPings = false
  readonly response: ServerResponse
  #options: SseSinkOptions
  #started = false
  #ending = false
  #closed = false
  #heartbeat: ReturnType<typeof setInterval> | undefined

  constructor(response: ServerResponse, options: SseSinkOptions) {
    this.response = response
    this.#options = options
    response.on('error', options.onError)
    response.once('close', () => {
      this.#closed = true
      clearInterval(this.#heartbeat)
    })
  }

  get open(): boolean {
    return !this.#ending && !this.#closed && !this.response.destroyed
  }

  get closed(): boolean {
    return this.#closed
  }

  get bufferedBytes(): number {
    // The response's own buffer and its socket's.
    return this.response.writableLength
  }

  /** Sends the head and the `retry:` field at once (the session has joined); idempotent. */
  start(): void {
    if (this.#started || !this.open) return
    this.#started = true
    this.response.writeHead(200, HEAD)
    this.response.write(`retry: ${this.#options.retryMs}${END_OF_EVENT}`)
    // A stream quiet for minutes would look dead to the client and to proxies' idle timeouts.
    this.#heartbeat = setInterval(() => {
      if (this.open) this.response.write(PING)
    }, this.#options.heartbeatMs)
    this.#heartbeat.unref?.()
  }

  send(text: string | Buffer, lastSeq?: number): void {
    if (!this.open) return
    this.start()
    const response = this.response
    // One chunk on the wire rather than three.
    response.cork()
    response.write(lastSeq === undefined ? 'data: ' : `id: ${lastSeq}\ndata: `)
    response.write(text)
    response.write(END_OF_EVENT)
    response.uncork()
  }

  close(code: number, reason: string): void {
    if (!this.open) return
    this.#ending = true
    clearInterval(this.#heartbeat)
    if (this.#started) this.response.end()
    else sendJson(this.response, httpStatusOfCloseCode(code), { detail: reason })
  }

  terminate(): void {
    this.#ending = true
    clearInterval(this.#heartbeat)
    this.response.destroy()
  }

  ping(): void {}

  onClose(listener: () => void): () => void {
    if (this.#closed) {
      queueMicrotask(listener)
      return () => {}
    }
    this.response.once('close', listener)
    return () => this.response.off('close', listener)
  }

  onAlive(): void {}
}
