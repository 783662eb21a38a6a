import type { WebSocket } from 'ws'
import type { SessionSink } from './sink'

/** A WebSocket as a session's sink. */
export class WebSocketSink implements SessionSink {
  readonly transport = 'websocket'
  readonly answersPings = true
  readonly socket: WebSocket

  constructor(socket: WebSocket) {
    this.socket = socket
  }

  get open(): boolean {
    return this.socket.readyState === this.socket.OPEN
  }

  get closed(): boolean {
    return this.socket.readyState === this.socket.CLOSED
  }

  get bufferedBytes(): number {
    return this.socket.bufferedAmount
  }

  send(text: string | Buffer): void {
    // A Buffer goes out as a text frame too, without re-encoding.
    this.socket.send(text, { binary: false })
  }

  close(code: number, reason: string): void {
    this.socket.close(code, reason)
  }

  terminate(): void {
    this.socket.terminate()
  }

  ping(): void {
    this.socket.ping()
  }

  onClose(listener: () => void): () => void {
    if (this.closed) {
      queueMicrotask(listener)
      return () => {}
    }
    this.socket.once('close', listener)
    return () => this.socket.off('close', listener)
  }

  onAlive(listener: () => void): void {
    this.socket.on('pong', listener)
  }
}
