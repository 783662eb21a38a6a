import { authenticate } from './authTransport'
import { backoffDelayMs } from './backoff'
import { reconnectDecision } from './closeAction'
import { withQuery } from './url'
import { forgetRefusals, noteSocketError, warnNoToken, warnRefused, warnWithoutCode } from './devWarnings'
import { FrameDecoder, type FrameSubscriber } from './frameDecoder'
import { isPresentToken, resolveEndpointOptions, type AccessToken, type AuthErrorInfo, type Heartbeat, type ResolvedHubOptions } from './options'
import { redact } from './redact'
import { StatusStore } from './statusStore'
import type { ConnectionState, ConnectionStats, ConnectionSnapshot, WebSocketLike } from './types'

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
  /** A socket is opened with `token` (`null`: none): the hub masks it in every app error from now on. */
  tokenUsed(token: string | null): void
  /** The tokens every report masks: the hub's, its connections', and the last ones its sockets used. */
  recentTokens(): readonly string[]
  release(connection: Connection): void
}

type Timer = ReturnType<typeof setTimeout>

/** `WebSocket.OPEN`. */
const OPEN = 1

/** Recorded as `lastCloseCode` when we close a socket ourselves because it timed out. */
const LOCAL_TIMEOUT_CODE = 4000

/**
 * One shared WebSocket for one URL, however many subscribers it has. Owns the socket's whole life:
 * token gating, auth, backoff, heartbeat, idle close. Created and disposed by a `SocketHub`.
 */
export class Connection {
  /** The endpoint URL (the hub key), without the token. */
  declare readonly url: string
  declare readonly status: StatusStore
  /** The hub's options with this endpoint's overrides (`endpointOptions`) applied. */
  declare readonly options: ResolvedHubOptions
  /** Frames received, events delivered, and drops by reason. */
  declare readonly stats: ConnectionStats

  #host: ConnectionHost
  #decoder: FrameDecoder
  /** The subscriber of each subscription, by a key of its own: a subscriber added twice is two subscriptions, and removing one leaves the other. */
  #subscribers = new Map<object, ConnectionSubscriber<unknown>>()
  /**
   * The same subscribers as an array, rebuilt on change rather than on every frame. Replaced, never
   * changed in place: a loop over it is a loop over a copy, whoever subscribes or leaves meanwhile.
   * The subscribers themselves, not an object per subscription: the decoder reads them for every
   * frame, and objects each inheriting from its subscriber had a shape of their own, so those reads
   * went polymorphic, then megamorphic, as live queries came and went (an SSE stream read by a new
   * client each run: 1.12 → 1.02 µs an event).
   */
  #subscriberList: ConnectionSubscriber<unknown>[] = []
  #socket: WebSocketLike | null = null
  /** Bumped whenever the current attempt is abandoned, so late callbacks of the old one are ignored. */
  #generation = 0
  #tokenPending = false
  #tokenInUse: string | null = null
  #attempt = 0
  /** The last loss's close code and how many losses in a row had it (no stable socket between). */
  #lastLoss = 0
  #repeats = 0
  #everOpened = false
  #disposed = false
  #retryTimer: Timer | undefined
  /** The socket's connect timeout until it opens, then its wait to count as stable: never both. */
  #socketTimer: Timer | undefined
  #idleTimer: Timer | undefined
  #heartbeat: Heartbeat | undefined
  /**
   * With `getToken`, times the getter was asked again since it had no token or only the refused
   * one (a session still loading, a refresh under way): it is asked again with backoff, as nothing
   * else says when it has one.
   */
  #asks = 0
  /** The token the server (or REST) refused: a getter that still gives it is asked again later, not tried. */
  #refused: string | null = null
  /** The last wait a server asked for (an SSE stream's `retry:`): kept across attempts, as the standard keeps it. */
  #serverRetryMs: number | undefined

  constructor(url: string, host: ConnectionHost) {
    this.url = url
    this.#host = host
    const options = (this.options = resolveEndpointOptions(host.options, url))
    if (process.env.NODE_ENV !== 'production') warnWithoutCode(options, url)
    this.status = new StatusStore(options.onCallbackError)
    const { reply } = options
    // Every token a socket of this hub used: a server may echo the one this socket replaced.
    this.stats = (this.#decoder = new FrameDecoder(options, url, host.recentTokens, (message) =>
      this.#safely(() => {
        const answer = reply ? reply(message, options.discriminator) : undefined
        if (answer !== undefined) this.send(answer)
      }),
    )).stats
  }

  get subscriberCount(): number {
    return this.#subscribers.size
  }

  /** @internal The token the current (or last) socket was opened with: masked for as long as this connection lives. */
  get tokenInUse(): string | null {
    return this.#tokenInUse
  }

  /** The live socket (CONNECTING or OPEN), if any. For diagnostics and tests. */
  get socket(): WebSocketLike | null {
    return this.#socket
  }

  getStatus = (): ConnectionSnapshot => this.status.getSnapshot()

  /**
   * Sends `message` (objects as JSON) if the socket is open and no more than `maxPayloadBytes`
   * waits unsent. Returns whether it was sent (over a cross-tab socket: handed to the leader tab,
   * which drops it past 1 MiB unsent).
   */
  send(message: unknown): boolean {
    const socket = this.#socket
    // A server that stops reading (and keeps pinging) must not grow this page's memory by every
    // pong and command: past one frame's limit waiting, nothing more is queued.
    if (!socket || socket.readyState !== OPEN || socket.bufferedAmount! > this.options.maxPayloadBytes) return false
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
    // Asked for: the refused token is tried again too.
    this.#refused = null
    this.#revive()
  }

  /**
   * Puts the connection into `unauthorized`: closes the socket and stops retrying until the token
   * changes. For rejections the socket cannot see (a 401 from REST with the same token). `report`:
   * whether `onAuthError` hears of it from here (the hub's `markUnauthorized` reports once itself).
   */
  markUnauthorized(reason = 'access token rejected', report = true): void {
    if (this.#disposed) return
    const token = (this.#refused = this.#tokenInUse)
    // As a refused socket does: the next token gets a fresh retry budget.
    this.#attempt = 0
    this.#abandon(1000, 'unauthorized')
    this.#show('unauthorized', { attempt: 0, lastCloseReason: reason })
    if (report) this.#host.reportAuthError(token, { url: this.url, code: null, reason })
    this.#askAgain()
  }

  // ---- called by the hub -------------------------------------------------------------------

  /** @internal Each call is a subscription of its own; what it returns ends that one. */
  addSubscriber(subscriber: ConnectionSubscriber<unknown>): () => void {
    const entry = {}
    this.#subscribers.set(entry, subscriber)
    this.#subscriberList = [...this.#subscribers.values()]
    clearTimeout(this.#idleTimer)
    const { state } = this.status.getSnapshot()
    if (state === 'open') this.#safely(() => subscriber.onOpen?.({ reconnected: false }))
    // The first subscriber, someone new after we gave up (a page opened), or one back within
    // `idleCloseMs` to a connection whose retry or token came while nobody was there (it stopped,
    // neither connecting nor waiting): one fresh try. A retry still waiting keeps its backoff.
    else if (state === 'idle' || state === 'signed-out' || state === 'closed' || ((state === 'connecting' || state === 'reconnecting') && this.#retryTimer === undefined)) this.#revive()
    return () => {
      if (!this.#subscribers.delete(entry)) return
      this.#subscriberList = [...this.#subscribers.values()]
      if (this.#subscribers.size > 0) return
      this.#idleTimer = setTimeout(() => this.dispose(), this.options.idleCloseMs)
    }
  }

  /** @internal The hub's token changed (or was given or taken away). */
  tokenChanged(token: AccessToken): void {
    // Without a token (cookie auth) a token given or taken changes nothing here.
    if (this.#disposed || this.options.auth.type === 'none') return
    if (!isPresentToken(token)) {
      // Signed out: close now, and do not come back until a token is given.
      this.#abandon(1000, 'signed out')
      this.#attempt = 0
      this.#show('signed-out', { attempt: 0 })
      return
    }
    // An open (or opening) socket was authenticated with the old token and stays; the new one is
    // used on the next connect (at once, should the old one be refused), and by the socket's own
    // sends where each carries one (an SSE stream's POSTs: the old token may be revoked by now).
    this.#socket?.tokenChanged?.(token)
    this.#revive()
  }

  /** @internal */
  onlineChanged(online: boolean): void {
    if (this.#disposed || this.#subscribers.size === 0) return
    const { state } = this.status.getSnapshot()
    if (!online) {
      if (state === 'reconnecting' && !this.#socket && !this.#tokenPending) {
        this.#clearRetry()
        this.#show('offline')
      }
      return
    }
    if (state === 'offline' || state === 'closed' || state === 'reconnecting') this.#revive()
  }

  /** @internal */
  focusChanged(focused: boolean): void {
    if (focused && this.status.getSnapshot().state === 'closed') this.#revive()
  }

  /** Closes the socket, stops every timer and leaves the hub. */
  dispose(): void {
    if (this.#disposed) return
    this.#disposed = true
    this.#abandon(1000, 'no subscribers')
    clearTimeout(this.#idleTimer)
    this.#subscribers.clear()
    this.#subscriberList = []
    this.#show('idle', { attempt: 0 })
    this.#host.release(this)
  }

  // ---- the socket's life -------------------------------------------------------------------

  /** Connects now with a fresh retry budget: something changed that may let it succeed. */
  #revive(): void {
    if (this.#disposed || this.#socket || this.#tokenPending || this.#subscribers.size === 0) return
    this.#attempt = this.#repeats = this.#asks = 0
    this.#clearRetry()
    this.#connect()
  }

  #connect(): void {
    if (this.#disposed || this.#subscribers.size === 0) return
    if (!this.#host.isOnline()) return this.#show('offline')
    const generation = ++this.#generation
    const connectingState = this.#everOpened || this.#attempt > 0 ? 'reconnecting' : 'connecting'
    // Asking a getter again: the indicator keeps saying why it waits until a socket opens.
    if (this.#asks === 0) this.#show(connectingState, { attempt: this.#attempt })
    if (this.options.auth.type === 'none') return this.#open(generation, null)
    this.#withToken((token) => {
      if (this.#disposed || this.#subscribers.size === 0) return
      const present = isPresentToken(token)
      if (present && token !== this.#refused) return this.#open(generation, token)
      this.#show(present ? 'unauthorized' : 'signed-out', { attempt: 0 })
      if (process.env.NODE_ENV !== 'production' && !present) warnNoToken(this.url)
      this.#askAgain()
    })
  }

  /** With `getToken`, asks it again later (backoff): it may have a token, or a new one, by then. */
  #askAgain(): void {
    if (!this.options.getToken) return
    const { initialDelayMs, maxDelayMs } = this.options.reconnect
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined
      this.#connect()
    }, backoffDelayMs(++this.#asks, initialDelayMs, maxDelayMs, this.options.random))
  }

  /**
   * Asks the hub for the current token and hands it to `then`, unless the attempt is abandoned
   * meanwhile. No socket is made while a token is pending.
   */
  #withToken(then: (token: AccessToken) => void): void {
    const generation = this.#generation
    const done = (token?: AccessToken) => {
      if (generation !== this.#generation) return
      this.#tokenPending = false
      then(token)
    }
    const failed = (error: unknown) => {
      this.options.onCallbackError(error)
      done()
    }
    let token: AccessToken | Promise<AccessToken>
    try {
      token = this.#host.resolveToken()
    } catch (error) {
      return failed(error)
    }
    if (!(token instanceof Promise)) return done(token)
    this.#tokenPending = true
    token.then(done, failed)
  }

  #open(generation: number, token: string | null): void {
    const { options } = this
    const Ctor = options.WebSocket ?? (globalThis as { WebSocket?: ResolvedHubOptions['WebSocket'] }).WebSocket
    if (!Ctor) {
      options.onCallbackError(
        new Error(`[live-status] No WebSocket here${process.env.NODE_ENV !== 'production' ? ': pass the `WebSocket` option (`ws` on Node)' : ''}.`),
      )
      this.#show('closed')
      return
    }
    const resumeFrom = this.#decoder.maxSeq
    const crossTab = options.crossTab
    // Tabs share one socket: one tab's resume position means nothing to the others. Above 0 only
    // when the decoder tracked it, i.e. `resumeParam` is a `resumeBySeq()`.
    const url = resumeFrom > 0 && !crossTab ? withQuery(this.url, { [options.resumeParam!.param]: String(resumeFrom) }) : this.url
    const request = authenticate(url, token, options.auth, options.protocols)
    this.#tokenInUse = token
    this.#host.tokenUsed(token)
    let socket: WebSocketLike
    try {
      // The identity (token included) is hashed by the cross-tab layer, never posted between tabs.
      socket = crossTab
        ? crossTab.open({ ...request, identity: [request.url, request.protocols, request.firstMessage].join('\n') }, Ctor)
        : new Ctor(request.url, request.protocols)
    } catch (error) {
      // A malformed URL: treat it like a failed attempt. The hub masks the token the URL may carry.
      options.onCallbackError(new Error(`[live-status] Could not create a WebSocket for ${this.url}: ${(error as Error | null)?.message ?? error}`))
      this.#lost(1006, 'could not create socket', token)
      return
    }
    // Binary frames as bytes, not a browser's Blob: JSON sent in binary frames is read at once, and a
    // channel's `decodeBinary` gets something it can read synchronously.
    ;(socket as { binaryType?: string }).binaryType = 'arraybuffer'
    this.#socket = socket
    const current = () => generation === this.#generation && this.#socket === socket
    const timedOut = (reason: string) => {
      if (!current()) return
      this.#abandon(LOCAL_TIMEOUT_CODE, reason)
      this.#lost(LOCAL_TIMEOUT_CODE, reason, token)
    }

    this.#socketTimer = setTimeout(() => {
      if (socket.readyState !== OPEN) timedOut('connect timeout')
    }, options.connectTimeoutMs)
    let opened = false

    socket.onopen = () => {
      if (!current()) return
      opened = true
      this.#asks = 0
      this.#refused = null
      if (process.env.NODE_ENV !== 'production') forgetRefusals(this)
      clearTimeout(this.#socketTimer)
      // A shared socket's leader sent it once when its socket opened.
      if (request.firstMessage !== undefined && !crossTab) this.send(request.firstMessage)
      const reconnected = this.#everOpened
      this.#everOpened = true
      this.#show('open')
      // A status listener may have closed it (signed out): no timers for a socket that is gone.
      if (!current()) return
      this.#socketTimer = setTimeout(() => {
        // Stable: the next loss starts a fresh count.
        this.#repeats = 0
        if (this.#attempt === 0) return
        this.#attempt = 0
        this.status.set({ attempt: 0 })
      }, options.reconnect.stableAfterMs)
      const { heartbeat } = options
      // The keep-alive brings its own code (`keepAlive()`); a plain object has none, and runs nothing.
      if (heartbeat) this.#heartbeat = heartbeat.start?.(this, () => timedOut('heartbeat timeout'))
      for (const subscriber of this.#subscriberList) {
        if (!current()) break
        this.#safely(() => subscriber.onOpen?.({ reconnected }))
      }
    }

    socket.onmessage = (event) => {
      if (!current()) return
      this.#heartbeat?.activity()
      // Events do not reset the retry budget: only a socket that stays open does (`#markStable`).
      this.#decoder.dispatch(event.data, this.#subscriberList)
    }

    // Browsers fire `close` after every `error`; acting on `close` alone keeps one reconnect per loss.
    // Node's `ws` names the server's answer in its error (`Unexpected server response: 404`); kept for the development warning.
    socket.onerror = process.env.NODE_ENV !== 'production' ? (event: unknown) => noteSocketError(this, event) : () => {}

    socket.onclose = (event) => {
      if (!current()) return
      const code = typeof event.code === 'number' ? event.code : 1006
      const reason = redact(String(event.reason ?? ''), this.#host.recentTokens())
      this.#detach()
      if (!opened && code === 1006) {
        this.#safely(() => options.onHandshakeError?.({ url: this.url }))
        if (process.env.NODE_ENV !== 'production') warnRefused(this, this.url)
      }
      // A refused token that is no longer the current one says nothing: find out which it is.
      if (token !== null && options.authCloseCodes.includes(code)) {
        this.#withToken((current) => this.#lost(code, reason, token, isPresentToken(current) && current !== token))
      } else this.#lost(code, reason, token)
    }
  }

  /** Shows `state`, with no retry waiting unless `more` says when. */
  #show(state: ConnectionState, more?: Partial<ConnectionSnapshot>): void {
    this.status.set({ state, nextRetryAt: null, ...more })
  }

  /** Runs an app callback: what it throws goes to `onCallbackError`, never into the socket's life. */
  #safely(callback: () => void): void {
    try {
      callback()
    } catch (error) {
      this.options.onCallbackError(error)
    }
  }

  /** A socket was lost (not by our request): `reconnectDecision` says what next. */
  #lost(code: number, reason: string, token: string | null, tokenReplaced?: boolean): void {
    const closed = { lastCloseCode: code, lastCloseReason: reason }
    if (this.#disposed || this.#subscribers.size === 0) return this.#show('idle', { ...closed, attempt: 0 })
    this.#repeats = code === this.#lastLoss ? this.#repeats + 1 : 1
    this.#lastLoss = code
    const decision = reconnectDecision({ code, attempt: this.#attempt, online: this.#host.isOnline(), tokenReplaced, repeats: this.#repeats, serverRetryMs: this.#serverRetryMs }, this.options)
    if (decision.state !== 'reconnecting') {
      if (decision.state !== 'unauthorized') return this.#show(decision.state, closed)
      this.#attempt = 0
      this.#refused = token
      this.#show('unauthorized', { ...closed, attempt: 0 })
      this.#host.reportAuthError(token, { url: this.url, code, reason: reason || 'access token rejected' })
      this.#askAgain()
      return
    }
    const { attempt, delayMs } = decision
    this.#attempt = attempt
    this.#show('reconnecting', { ...closed, attempt, nextRetryAt: Date.now() + delayMs })
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined
      this.#connect()
    }, delayMs)
  }

  /**
   * Stops listening to the current socket and asks it to close, and cancels any retry; nothing
   * either does later counts.
   */
  #abandon(code: 1000 | typeof LOCAL_TIMEOUT_CODE, reason: string): void {
    this.#generation++
    this.#tokenPending = false
    this.#clearRetry()
    const socket = this.#socket
    this.#detach()
    if (!socket) return
    try {
      // Browsers accept only 1000 and 3000–4999 from the client: every caller passes 1000 or 4000.
      socket.close(code, reason)
    } catch {
      // Already closing, or an implementation that throws on close while CONNECTING.
    }
  }

  #detach(): void {
    const socket = this.#socket
    this.#socket = null
    this.#serverRetryMs = socket?.retryMs ?? this.#serverRetryMs
    clearTimeout(this.#socketTimer)
    this.#heartbeat?.stop()
    this.#heartbeat = undefined
    if (!socket) return
    // No-ops rather than null: `ws` throws on an 'error' event nobody listens to.
    socket.onopen = socket.onmessage = socket.onerror = socket.onclose = () => {}
  }

  #clearRetry(): void {
    clearTimeout(this.#retryTimer)
    this.#retryTimer = undefined
  }
}
