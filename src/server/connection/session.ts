import type { RawData } from 'ws'
import { CloseCode } from '../../transport/closeCodes'
import type { SequencedEvent } from '../eventBus'
import type { ChannelMember } from '../fanout/projectChannel'
import type { Log } from '../logger'
import type { ServerMetrics } from '../metrics/serverMetrics'
import type { SessionSink } from './sink'

export interface SessionLimits {
  maxBufferedBytes: number
  maxInvalidFrames: number
  invalidFramesWindowMs: number
}

/** What a client may send; everything else is answered with a `client_error` frame. */
const SUPPORTED = 'this server accepts "ping", "pong" and "auth"'
/** Longest `messageType` echoed back (a client's own string: bounded, not trusted). */
const MAX_ECHOED_TYPE_CHARS = 256

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value)

/** A value named in an error frame without ever calling its `toString` (which a frame can forge). */
const describe = (value: unknown): string => (typeof value === 'string' ? JSON.stringify(value.slice(0, 60)) : `(${value === null ? 'null' : typeof value})`)

/**
 * One admitted client, over a socket or an SSE stream (its `sink`): sends what the fan-out gives it
 * (dropping a client that does not keep up), answers pings, and answers anything else with a
 * `client_error` frame (an SSE client sends nothing, so only the sending applies). The socket is shared
 * by every component of a tab, so one component sending what the server does not support must not
 * take it down: only a flood (over `maxInvalidFrames` within `invalidFramesWindowMs`) closes it.
 * Nothing a client sends can throw out of it.
 */
export class Session implements ChannelMember {
  readonly sink: SessionSink
  readonly projectId: string
  readonly userId: string
  lastSeenAt = Date.now()
  sentSeq = 0
  pending: SequencedEvent[] | undefined
  /** Unsupported or invalid frames in the current window, and when that window began. */
  #invalidFrames = 0
  #windowStartedAt = 0
  #limits: SessionLimits
  #metrics: ServerMetrics
  #log: Log

  constructor(sink: SessionSink, projectId: string, userId: string, limits: SessionLimits, metrics: ServerMetrics, log: Log) {
    this.sink = sink
    this.projectId = projectId
    this.userId = userId
    this.#limits = limits
    this.#metrics = metrics
    this.#log = log
  }

  get open(): boolean {
    return this.sink.open
  }

  sendFrames(frames: readonly Buffer[], events: number, lastSeqs?: readonly number[]): boolean {
    for (let i = 0; i < frames.length; i++) if (!this.send(frames[i]!, lastSeqs?.[i])) return false
    this.#metrics.eventsOut += events
    this.#metrics.framesOut += frames.length
    return true
  }

  /** Sends one JSON text message; `lastSeq` is the highest `seq` in it (an SSE stream's `id:`). */
  send(text: string | Buffer, lastSeq?: number): boolean {
    const { sink } = this
    if (!sink.open) return false
    if (sink.bufferedBytes > this.#limits.maxBufferedBytes) {
      // A goodbye would wait behind the backlog: cut the connection instead.
      this.#metrics.drop('slow_consumer')
      this.#log.warn('dropping a client that does not keep up', { projectId: this.projectId, transport: sink.transport, bufferedBytes: sink.bufferedBytes })
      sink.terminate()
      return false
    }
    sink.send(text, lastSeq)
    return true
  }

  onMessage(data: RawData, isBinary: boolean): void {
    this.lastSeenAt = Date.now()
    let message: unknown
    try {
      if (isBinary) return this.#clientError(null, `binary frames are not supported: send JSON text objects; ${SUPPORTED}`)
      message = JSON.parse(String(data))
    } catch {
      return this.#clientError(null, `not JSON: send JSON text objects; ${SUPPORTED}`)
    }
    if (!isRecord(message)) return this.#clientError(null, `not a JSON object: ${SUPPORTED}`)
    switch (message.type) {
      case 'ping':
        this.send('{"type":"pong"}')
        return
      case 'pong':
      case 'auth':
        return
      default: {
        const type = typeof message.type === 'string' ? message.type.slice(0, MAX_ECHOED_TYPE_CHARS) : null
        return this.#clientError(type, `unsupported message type ${describe(message.type)}: ${SUPPORTED}`)
      }
    }
  }

  /**
   * Answers a message the server does not support (or cannot read) with
   * `{"type":"client_error","messageType":…,"reason":…}` and keeps the socket: the component that
   * sent it is told, the others keep their events. Over `maxInvalidFrames` within
   * `invalidFramesWindowMs` the client is flooding: 1002, which the reference client reads as
   * "give up".
   */
  #clientError(messageType: string | null, reason: string): void {
    const now = Date.now()
    if (now - this.#windowStartedAt >= this.#limits.invalidFramesWindowMs) {
      this.#windowStartedAt = now
      this.#invalidFrames = 0
    }
    if (++this.#invalidFrames > this.#limits.maxInvalidFrames) {
      this.#metrics.drop('too_many_invalid_frames')
      this.sink.close(CloseCode.protocolError, 'too many unsupported or invalid messages')
      return
    }
    this.#metrics.clientErrors++
    this.send(JSON.stringify({ type: 'client_error', messageType, reason }))
  }
}
