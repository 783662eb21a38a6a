import { ReadyState, type WebSocketLike } from '../types'

/** What a virtual socket asks of its tab group. */
export interface VirtualSocketHost {
  send(socket: VirtualSocket, data: string): void
  detach(socket: VirtualSocket): void
  /** This tab's connection found the socket dead. */
  timedOut(): void
  /** This tab's token changed (see `WebSocketLike.tokenChanged`): never posted to another tab. */
  tokenChanged(token: string): void
}

/**
 * The socket a tab's connection holds when sockets are shared across tabs: it looks like a
 * WebSocket, but its frames come from the group's one real socket (held by the leader tab, maybe
 * this one) and what it sends goes out on that socket. The connection above it keeps its own
 * heartbeat, backoff and status, exactly as over a socket of its own.
 */
export class VirtualSocket implements WebSocketLike {
  readyState: number = ReadyState.CONNECTING
  protocol = ''
  /** The least wait before the next attempt the group's socket asked for (an SSE stream's `retry:`), once it closed. */
  retryMs: number | undefined
  onopen: ((event: unknown) => void) | null = null
  onmessage: ((event: { data: unknown }) => void) | null = null
  onerror: ((event: unknown) => void) | null = null
  onclose: ((event: { code: number; reason: string; wasClean?: boolean }) => void) | null = null
  #host: VirtualSocketHost | null = null
  readonly #sends: boolean

  /** `sends`: whether the group's socket can send at all (an SSE stream without `sendUrl` cannot). */
  constructor(sends = true) {
    this.#sends = sends
  }

  /** @internal */
  bind(host: VirtualSocketHost): void {
    this.#host = host
    if (this.readyState === ReadyState.CLOSED) host.detach(this)
  }

  /** @internal The group's socket is open. */
  opened(protocol: string): void {
    if (this.readyState !== ReadyState.CONNECTING) return
    this.readyState = ReadyState.OPEN
    this.protocol = protocol
    this.onopen?.({ type: 'open' })
  }

  /** @internal A frame of the group's socket. */
  received(data: unknown): void {
    if (this.readyState !== ReadyState.OPEN) return
    this.onmessage?.({ data })
  }

  /** @internal The group's socket closed (asking for at least `retryMs` before the next attempt), or this tab must resynchronise. */
  closed(code: number, reason: string, retryMs?: number): void {
    if (this.readyState === ReadyState.CLOSED) return
    this.readyState = ReadyState.CLOSED
    this.retryMs = retryMs
    this.#host?.detach(this)
    this.onclose?.({ code, reason, wasClean: code !== 1006 })
  }

  send(data: string): void {
    if (this.readyState !== ReadyState.OPEN || !this.#sends) throw new Error('[live-status] send on a socket that is not open, or a stream without `sendUrl`')
    this.#host?.send(this, data)
  }

  tokenChanged(token: string): void {
    this.#host?.tokenChanged(token)
  }

  close(code = 1000, reason = ''): void {
    if (this.readyState === ReadyState.CLOSED || this.readyState === ReadyState.CLOSING) return
    this.readyState = ReadyState.CLOSING
    // The connection's connect or heartbeat timeout (`LOCAL_TIMEOUT_CODE`): the group's socket is dead.
    if (code === 4000) this.#host?.timedOut()
    // Like a real socket: `close` is reported later, never from inside `close()`.
    queueMicrotask(() => this.closed(code, reason))
  }
}
