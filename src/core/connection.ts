import { authenticate } from './authTransport'
import { backoffDelayMs } from './backoff'
import { closeAction } from './closeAction'
import { withQuery } from './endpoints'
import { FrameDecoder, type FrameSubscriber } from './frameDecoder'
import { startHeartbeat, type Heartbeat } from './heartbeat'
import { isPresentToken, type AccessToken, type AuthErrorInfo, type ResolvedHubOptions } from './options'
import { redact } from './redact'
import { StatusStore } from './statusStore'
import { ReadyState, type ConnectionStats, type ConnectionSnapshot, type WebSocketLike } from './types'

/** A subscriber of a connection: events, plus a call each time a socket opens. */
export interface ConnectionSubscriber<T = unknown> extends FrameSubscriber<T> {
  /**
   * Called each time a socket opens (after the auth message, if any), and at once when subscribing
   * to an open connection. `reconnected` is true when an earlier socket of this connection had been
   * open: events may have been missed, so refetch.
   * @default undefined
   */
  onOpen?: (info: { reconnected: boolean }) => void
}

/** What a connection needs from its hub. */
export interface ConnectionHost {
  options: ResolvedHubOptions
  resolveToken(): AccessToken | Promise<AccessToken>
  isOnline(): boolean
  reportAuthError(token: string | null, info: AuthErrorInfo): void
  release(connection: Connection): void
}

type Timer = ReturnType<typeof setTimeout>

/** Recorded as `lastCloseCode` when we close a socket ourselves because it timed out. */
const LOCAL_TIMEOUT_CODE = 4000

/**
 * One shared WebSocket for one URL, however many subscribers it has. Owns the socket's whole life:
 * token gating, auth, backoff, heartbeat, idle close. Created and disposed by a `SocketHub`.
 */
export class Connection {
  /** The endpoint URL (the hub key), without the token. */
  readonly url: string
  readonly status: StatusStore

  #host: ConnectionHost
  #decoder: FrameDecoder
  #subscribers = new Set<ConnectionSubscriber<unknown>>()
  /** The same subscribers as an array, rebuilt on change rather than on every frame. */
  #subscriberList: ConnectionSubscriber<unknown>[] = []
  #socket: WebSocketLike | null = null
  /** Bumped whenever the current attempt is abandoned, so late callbacks of the old one are ignored. */
  #generation = 0
  #tokenPending = false
  #tokenInUse: string | null = null
  #attempt = 0
  #everOpened = false
  #disposed = false
  #retryTimer: Timer | undefined
  #connectTimer: Timer | undefined
  #stableTimer: Timer | undefined
  #idleTimer: Timer | undefined
  #heartbeat: Heartbeat | undefined

  constructor(url: string, host: ConnectionHost) {
    this.url = url
    this.#host = host
    this.status = new StatusStore(host.options.onCallbackError)
    this.#decoder = new FrameDecoder(host.options, url, () => this.#tokenInUse)
  }

  /** Frames received, events delivered, and drops by reason. */
  get stats(): ConnectionStats {
    return this.#decoder.stats
  }

  get subscriberCount(): number {
    return this.#subscribers.size
  }

  /** The live socket (CONNECTING or OPEN), if any. For diagnostics and tests. */
  get socket(): WebSocketLike | null {
    return this.#socket
  }

  getStatus = (): ConnectionSnapshot => this.status.getSnapshot()

  /** Sends `message` (objects as JSON) if the socket is open. Returns whether it was sent. */
  send(message: unknown): boolean {
    const socket = this.#socket
    if (!socket || socket.readyState !== ReadyState.OPEN) return false
    try {
      socket.send(typeof message === 'string' ? message : JSON.stringify(message))
      return true
    } catch {
      return false
    }
  }

  /**
   * Connects now with a fresh retry budget, unless a socket is already open or opening: the Retry
   * button after giving up, or a manual retry after `unauthorized`.
   */
  reconnect(): void {
    if (this.#disposed || this.#socket || this.#tokenPending) return
    this.#attempt = 0
    this.#clearRetry()
    this.#connect()
  }

  /**
   * Puts the connection into `unauthorized`: closes the socket and stops retrying until the token
   * changes. For rejections the socket cannot see (a 401 from REST with the same token).
   */
  markUnauthorized(reason = 'access token rejected'): void {
    if (this.#disposed) return
    const token = this.#tokenInUse
    this.#abandon(1000, 'unauthorized')
    this.#clearRetry()
    this.status.set({ state: 'unauthorized', attempt: 0, nextRetryAt: null, lastCloseReason: reason })
    this.#host.reportAuthError(token, { url: this.url, code: null, reason })
  }

  // ---- called by the hub -------------------------------------------------------------------

  /** @internal */
  addSubscriber(subscriber: ConnectionSubscriber<unknown>): void {
    this.#subscribers.add(subscriber)
    this.#subscriberList = [...this.#subscribers]
    if (this.#idleTimer !== undefined) {
      clearTimeout(this.#idleTimer)
      this.#idleTimer = undefined
    }
    const { state } = this.status.getSnapshot()
    if (state === 'open') this.#notifyOpen(subscriber, false)
    else if (state === 'idle' && !this.#socket && !this.#tokenPending) this.#connect()
    else if (state === 'closed') {
      // Someone new wants this connection after we gave up (a page opened): one fresh try.
      this.#attempt = 0
      this.#connect()
    }
  }

  /** @internal */
  removeSubscriber(subscriber: ConnectionSubscriber<unknown>): void {
    if (!this.#subscribers.delete(subscriber)) return
    this.#subscriberList = [...this.#subscribers]
    if (this.#subscribers.size > 0) return
    this.#idleTimer = setTimeout(() => {
      this.#idleTimer = undefined
      this.dispose()
    }, this.#host.options.idleCloseMs)
  }

  /** @internal The hub's token changed (or was given or taken away). */
  tokenChanged(token: AccessToken): void {
    if (this.#disposed) return
    if (!isPresentToken(token)) {
      // Signed out: close now, and do not come back until a token is given.
      this.#abandon(1000, 'signed out')
      this.#clearRetry()
      this.#attempt = 0
      this.status.set({ state: 'idle', attempt: 0, nextRetryAt: null })
      return
    }
    // An open (or opening) socket was authenticated with the old token and stays; the new one is
    // used on the next connect.
    if (this.#socket || this.#tokenPending) return
    if (this.#subscribers.size === 0) return
    this.#attempt = 0
    this.#clearRetry()
    this.#connect()
  }

  /** @internal */
  onlineChanged(online: boolean): void {
    if (this.#disposed || this.#subscribers.size === 0) return
    const { state } = this.status.getSnapshot()
    if (!online) {
      if (state === 'reconnecting' && !this.#socket && !this.#tokenPending) {
        this.#clearRetry()
        this.status.set({ state: 'offline', nextRetryAt: null })
      }
      return
    }
    if (state === 'offline' || state === 'closed' || (state === 'reconnecting' && !this.#socket)) {
      this.#attempt = 0
      this.#clearRetry()
      this.#connect()
    }
  }

  /** @internal */
  focusChanged(focused: boolean): void {
    if (focused && !this.#disposed && this.#subscribers.size > 0 && this.status.getSnapshot().state === 'closed') {
      this.#attempt = 0
      this.#connect()
    }
  }

  /** Closes the socket, stops every timer and leaves the hub. */
  dispose(): void {
    if (this.#disposed) return
    this.#disposed = true
    this.#abandon(1000, 'no subscribers')
    this.#clearRetry()
    if (this.#idleTimer !== undefined) clearTimeout(this.#idleTimer)
    this.#idleTimer = undefined
    this.#subscribers.clear()
    this.#subscriberList = []
    this.status.set({ state: 'idle', attempt: 0, nextRetryAt: null })
    this.#host.release(this)
  }

  // ---- the socket's life -------------------------------------------------------------------

  #connect(): void {
    if (this.#disposed || this.#subscribers.size === 0) return
    if (!this.#host.isOnline()) {
      this.status.set({ state: 'offline', nextRetryAt: null })
      return
    }
    const generation = ++this.#generation
    const connectingState = this.#everOpened || this.#attempt > 0 ? 'reconnecting' : 'connecting'
    this.status.set({ state: connectingState, attempt: this.#attempt, nextRetryAt: null })

    let token: AccessToken | Promise<AccessToken>
    try {
      token = this.#host.resolveToken()
    } catch (error) {
      this.#host.options.onCallbackError(error)
      token = undefined
    }
    if (token instanceof Promise) {
      this.#tokenPending = true
      token.then(
        (value) => this.#afterToken(generation, value),
        (error: unknown) => {
          this.#host.options.onCallbackError(error)
          this.#afterToken(generation, undefined)
        },
      )
      return
    }
    this.#afterToken(generation, token)
  }

  #afterToken(generation: number, token: AccessToken): void {
    if (generation !== this.#generation) return
    this.#tokenPending = false
    if (this.#disposed || this.#subscribers.size === 0) return
    if (!isPresentToken(token)) {
      this.status.set({ state: 'idle', attempt: 0, nextRetryAt: null })
      return
    }
    this.#open(generation, token)
  }

  #open(generation: number, token: string): void {
    const { options } = this.#host
    const Ctor = options.WebSocket ?? (globalThis as { WebSocket?: ResolvedHubOptions['WebSocket'] }).WebSocket
    if (!Ctor) {
      options.onCallbackError(
        new Error('[live-status] No WebSocket implementation: pass `WebSocket` (e.g. from the `ws` package) in the options.'),
      )
      this.status.set({ state: 'closed', nextRetryAt: null })
      return
    }
    const resumeFrom = this.#decoder.maxSeq
    const url = options.resumeParam && resumeFrom > 0 ? withQuery(this.url, { [options.resumeParam]: String(resumeFrom) }) : this.url
    const request = authenticate(url, token, options.auth)
    this.#tokenInUse = token
    let socket: WebSocketLike
    try {
      socket = new Ctor(request.url, request.protocols)
    } catch (error) {
      // A malformed URL: report without the token, and treat it like a failed attempt.
      const message = error instanceof Error ? error.message : String(error)
      options.onCallbackError(new Error(`[live-status] Could not create a WebSocket for ${this.url}: ${redact(message, token)}`))
      this.#afterLoss(1006, 'could not create socket')
      return
    }
    this.#socket = socket
    const current = () => generation === this.#generation && this.#socket === socket

    this.#connectTimer = setTimeout(() => {
      this.#connectTimer = undefined
      if (!current() || socket.readyState === ReadyState.OPEN) return
      this.#abandon(LOCAL_TIMEOUT_CODE, 'connect timeout')
      this.#afterLoss(LOCAL_TIMEOUT_CODE, 'connect timeout')
    }, options.connectTimeoutMs)

    socket.onopen = () => {
      if (!current()) return
      this.#clearConnectTimer()
      if (request.firstMessage !== undefined) this.send(request.firstMessage)
      const reconnected = this.#everOpened
      this.#everOpened = true
      this.status.set({ state: 'open', nextRetryAt: null })
      this.#stableTimer = setTimeout(() => this.#markStable(), options.reconnect.stableAfterMs)
      if (options.heartbeat) {
        const heartbeat = options.heartbeat
        this.#heartbeat = startHeartbeat({
          intervalMs: heartbeat.intervalMs,
          timeoutMs: heartbeat.timeoutMs,
          sendPing: () => this.send(heartbeat.message),
          onTimeout: () => {
            if (!current()) return
            this.#abandon(LOCAL_TIMEOUT_CODE, 'heartbeat timeout')
            this.#afterLoss(LOCAL_TIMEOUT_CODE, 'heartbeat timeout')
          },
        })
      }
      for (const subscriber of [...this.#subscribers]) {
        if (!current()) break
        this.#notifyOpen(subscriber, reconnected)
      }
    }

    socket.onmessage = (event) => {
      if (!current()) return
      this.#heartbeat?.activity()
      const delivered = this.#decoder.dispatch(event.data, this.#subscriberList)
      if (delivered > 0 && current()) this.#markStable()
    }

    // Browsers fire `close` after every `error`; acting on `close` alone keeps one reconnect per loss.
    socket.onerror = () => {}

    socket.onclose = (event) => {
      if (!current()) return
      const code = typeof event.code === 'number' ? event.code : 1006
      const reason = redact(String(event.reason ?? ''), token)
      this.#detach()
      const action = closeAction(code, false, options)
      if (action === 'unauthorized') {
        this.#clearRetry()
        this.status.set({
          state: 'unauthorized',
          attempt: 0,
          nextRetryAt: null,
          lastCloseCode: code,
          lastCloseReason: reason,
        })
        this.#host.reportAuthError(token, { url: this.url, code, reason: reason || 'access token rejected' })
      } else if (action === 'give-up') {
        this.status.set({ state: 'closed', nextRetryAt: null, lastCloseCode: code, lastCloseReason: reason })
      } else {
        this.#afterLoss(code, reason)
      }
    }
  }

  #notifyOpen(subscriber: ConnectionSubscriber<unknown>, reconnected: boolean): void {
    if (!subscriber.onOpen) return
    try {
      subscriber.onOpen({ reconnected })
    } catch (error) {
      this.#host.options.onCallbackError(error)
    }
  }

  #markStable(): void {
    if (this.#stableTimer !== undefined) clearTimeout(this.#stableTimer)
    this.#stableTimer = undefined
    if (this.#attempt === 0) return
    this.#attempt = 0
    this.status.set({ attempt: 0 })
  }

  /** A socket was lost (not by our request): back off, or give up after the last attempt. */
  #afterLoss(code: number, reason: string): void {
    const closed = { lastCloseCode: code, lastCloseReason: reason, nextRetryAt: null }
    if (this.#disposed || this.#subscribers.size === 0) {
      this.status.set({ ...closed, state: 'idle', attempt: 0 })
      return
    }
    const { maxAttempts, initialDelayMs, maxDelayMs } = this.#host.options.reconnect
    if (this.#attempt >= maxAttempts) {
      this.status.set({ ...closed, state: 'closed' })
      return
    }
    if (!this.#host.isOnline()) {
      this.status.set({ ...closed, state: 'offline' })
      return
    }
    this.#attempt++
    const delayMs = backoffDelayMs(this.#attempt, initialDelayMs, maxDelayMs, this.#host.options.random)
    this.status.set({ ...closed, state: 'reconnecting', attempt: this.#attempt, nextRetryAt: Date.now() + delayMs })
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined
      this.#connect()
    }, delayMs)
  }

  /** Stops listening to the current socket and asks it to close; nothing it does later counts. */
  #abandon(code: number, reason: string): void {
    this.#generation++
    this.#tokenPending = false
    const socket = this.#socket
    this.#detach()
    if (!socket) return
    try {
      // Browsers accept only 1000 and 3000–4999 from the client.
      socket.close(code === 1000 || (code >= 3000 && code <= 4999) ? code : 1000, reason)
    } catch {
      // Already closing, or an implementation that throws on close while CONNECTING.
    }
  }

  #detach(): void {
    const socket = this.#socket
    this.#socket = null
    this.#clearConnectTimer()
    if (this.#stableTimer !== undefined) clearTimeout(this.#stableTimer)
    this.#stableTimer = undefined
    this.#heartbeat?.stop()
    this.#heartbeat = undefined
    if (!socket) return
    // No-ops rather than null: `ws` throws on an 'error' event nobody listens to.
    const noop = () => {}
    socket.onopen = noop
    socket.onmessage = noop
    socket.onerror = noop
    socket.onclose = noop
  }

  #clearConnectTimer(): void {
    if (this.#connectTimer !== undefined) clearTimeout(this.#connectTimer)
    this.#connectTimer = undefined
  }

  #clearRetry(): void {
    if (this.#retryTimer !== undefined) clearTimeout(this.#retryTimer)
    this.#retryTimer = undefined
  }
}
