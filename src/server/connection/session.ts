import type { RawData, WebSocket } from 'ws'
import { CloseCode } from '../closeCodes'
import type { SequencedEvent } from '../eventBus'
import type { ChannelMember } from '../fanout/projectChannel'
import type { Log } from '../logger'
import type { ServerMetrics } from '../metrics/serverMetrics'

export interface SessionLimits {
  maxBufferedBytes: number
  maxInvalidFrames: number
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value)

/** A value named in an error frame without ever calling its `toString` (which a frame can forge). */
const describe = (value: unknown): string => (typeof value === 'string' ? JSON.stringify(value.slice(0, 60)) : `(${value === null ? 'null' : typeof value})`)

/**
 * One authenticated socket: sends what the fan-out gives it (dropping a client that does not keep
 * up), answers pings, and counts invalid frames. Nothing a client sends can throw out of it.
 */
export class Session implements ChannelMember {
  readonly socket: WebSocket
  readonly projectId: string
  readonly userId: string
  lastSeenAt = Date.now()
  sentSeq = 0
  pending: SequencedEvent[] | undefined
  #invalidFrames = 0
  #limits: SessionLimits
  #metrics: ServerMetrics
  #log: Log

  constructor(socket: WebSocket, projectId: string, userId: string, limits: SessionLimits, metrics: ServerMetrics, log: Log) {
    this.socket = socket
    this.projectId = projectId
    this.userId = userId
    this.#limits = limits
    this.#metrics = metrics
    this.#log = log
  }

  get open(): boolean {
    return this.socket.readyState === this.socket.OPEN
  }

  sendFrames(frames: readonly Buffer[], events: number): boolean {
    for (const frame of frames) if (!this.send(frame)) return false
    this.#metrics.eventsOut += events
    this.#metrics.framesOut += frames.length
    return true
  }

  /** Sends one text frame (a Buffer is sent as text too, without re-encoding). */
  send(text: string | Buffer): boolean {
    const { socket } = this
    if (socket.readyState !== socket.OPEN) return false
    if (socket.bufferedAmount > this.#limits.maxBufferedBytes) {
      // A close frame would wait behind the backlog: cut the connection instead.
      this.#metrics.drop('slow_consumer')
      this.#log.warn('dropping a client that does not keep up', { projectId: this.projectId, bufferedBytes: socket.bufferedAmount })
      socket.terminate()
      return false
    }
    socket.send(text, { binary: false })
    return true
  }

  onMessage(data: RawData, isBinary: boolean): void {
    this.lastSeenAt = Date.now()
    let message: unknown
    try {
      if (isBinary) return this.#invalid('invalid_json', 'frames must be JSON text')
      message = JSON.parse(String(data))
    } catch {
      return this.#invalid('invalid_json', 'frames must be JSON objects')
    }
    if (!isRecord(message)) return this.#invalid('invalid_json', 'frames must be JSON objects')
    switch (message.type) {
      case 'ping':
        this.send('{"type":"pong"}')
        return
      case 'pong':
      case 'auth':
        return
      default:
        return this.#invalid('unsupported', `unsupported message type ${describe(message.type)}`)
    }
  }

  #invalid(code: string, message: string): void {
    this.#invalidFrames++
    this.#metrics.drop('invalid_frame')
    if (this.#invalidFrames > this.#limits.maxInvalidFrames) {
      this.#metrics.drop('too_many_invalid_frames')
      this.socket.close(CloseCode.protocolError, 'too many invalid frames')
      return
    }
    this.send(JSON.stringify({ type: 'error', code, message }))
  }
}
