import { Connection, type ConnectionHost, type ConnectionSubscriber } from './connection'
import { warnNotStandardSchema } from './devWarnings'
import { initialStatus } from './statusStore'
import { Listeners } from './subscribable'
import type { ConnectionSnapshot } from './types'
import { maskError } from './redact'
import { isPresentToken, resolveHubOptions, type AccessToken, type ResolvedHubOptions, type SocketHubOptions } from './options'

/** A read-only view of one URL's status that outlives its connections (for UI). */
export interface StatusSource {
  subscribe(listener: () => void): () => void
  getSnapshot(): ConnectionSnapshot
}

/** A hold on a shared connection; `release()` it when done (safe to call twice). */
export interface Lease {
  readonly connection: Connection
  release(): void
}

/**
 * Hands out shared, ref-counted connections keyed by endpoint URL: any number of subscribers to the
 * same URL share one WebSocket, opened on the first `acquire` (once a token is there) and closed
 * `idleCloseMs` after the last `release`.
 */
export class SocketHub {
  declare readonly options: ResolvedHubOptions
  #connections = new Map<string, Connection>()
  #token: AccessToken
  #authErrorReportedFor: string | null | undefined
  #unsubscribeManagers: (() => void) | undefined
  #host: ConnectionHost
  /** Told the URL whose connection was created or disposed. */
  #lifecycle = new Listeners<[url: string]>()

  constructor(options: SocketHubOptions = {}) {
    const resolved = (this.options = resolveHubOptions(options))
    this.#token = options.token
    const report = resolved.onCallbackError
    // Every app error passes here, whichever layer caught it: a reducer's or a validator's text may
    // quote a server message that echoed a token, the one a socket uses now or one used before.
    resolved.onCallbackError = (error) => {
      try {
        report(maskError(error, this.#maskedTokens()))
      } catch {
        // An app's `onCallbackError` that throws: nowhere left to report it, and the socket's life
        // or the cache write that caught the error goes on.
      }
    }
    this.#host = {
      options: this.options,
      resolveToken: () => (this.options.getToken ? this.options.getToken() : this.#token),
      recentTokens: () => this.#maskedTokens(),
      tokenUsed: (token) => {
        if (token) this.#recentTokens = [token, ...this.#recentTokens.filter((known) => known !== token)].slice(0, 4)
      },
      isOnline: () => this.options.onlineManager.isOnline(),
      reportAuthError: (token, info) => {
        if (this.#authErrorReportedFor === token) return
        this.#authErrorReportedFor = token
        try {
          this.options.onAuthError?.(info)
        } catch (error) {
          this.options.onCallbackError(error)
        }
      },
      release: (connection) => {
        if (this.#connections.get(connection.url) !== connection) return
        this.#connections.delete(connection.url)
        if (this.#connections.size === 0) {
          this.#unsubscribeManagers?.()
          this.#unsubscribeManagers = undefined
        }
        this.#lifecycle.emit(this.options.onCallbackError, connection.url)
      },
    }
  }

  /**
   * Subscribes to the connection for `url` (created on first use). The URL must not contain the
   * token: the auth transport adds it on each connect. Each call is its own subscription, until its
   * lease is released: one subscriber object acquired twice gets every event twice.
   */
  acquire<T = unknown>(url: string, subscriber: ConnectionSubscriber<T> = {}): Lease {
    if (process.env.NODE_ENV !== 'production') warnNotStandardSchema(subscriber.schema, url)
    let connection = this.#connections.get(url)
    if (!connection) {
      connection = new Connection(url, this.#host)
      this.#connections.set(url, connection)
      // The first connection: online and focus are listened to until the last one goes (`release`).
      if (this.#connections.size === 1) {
        const offOnline = this.options.onlineManager.subscribe((online) => {
          for (const each of [...this.#connections.values()]) each.onlineChanged(online)
        })
        const offFocus = this.options.focusManager.subscribe((focused) => {
          for (const each of [...this.#connections.values()]) each.focusChanged(focused)
        })
        this.#unsubscribeManagers = () => {
          offOnline()
          offFocus()
        }
      }
      this.#lifecycle.emit(this.options.onCallbackError, url)
    }
    // One subscription per lease: one object acquired twice is two, and releasing one leaves the
    // other. Releasing it again does nothing.
    return { connection, release: connection.addSubscriber(subscriber as ConnectionSubscriber<unknown>) }
  }

  /** The live connection for `url`, if any. */
  get(url: string): Connection | undefined {
    return this.#connections.get(url)
  }

  /**
   * The status of whatever connection `url` has now or will have: `idle` while there is none. Does
   * not open anything. For indicators that should not keep a socket alive by themselves.
   */
  watchStatus(url: string): StatusSource {
    return {
      getSnapshot: () => this.#connections.get(url)?.getStatus() ?? initialStatus,
      subscribe: (listener) => {
        let offStatus: (() => void) | undefined
        const attach = () => {
          offStatus?.()
          offStatus = this.#connections.get(url)?.status.subscribe(() => listener())
        }
        attach()
        const offLifecycle = this.#lifecycle.subscribe((changed) => {
          if (changed !== url) return
          attach()
          listener()
        })
        return () => {
          offStatus?.()
          offLifecycle()
        }
      },
    }
  }

  /** Number of live connections (including those in their idle grace period). */
  get size(): number {
    return this.#connections.size
  }

  /**
   * Gives, rotates or removes the access token. Absent → every socket closes now and none opens;
   * present → waiting connections connect; an open socket stays open on rotation.
   */
  setToken(token: AccessToken): void {
    if (token === this.#token) return
    this.#token = token
    this.#authErrorReportedFor = undefined
    for (const connection of [...this.#connections.values()]) connection.tokenChanged(token)
  }

  /**
   * Marks every connection `unauthorized` (a REST call with the same token answered 401): sockets
   * close and stop retrying until the token changes. `onAuthError` is called once per token.
   */
  markUnauthorized(reason?: string): void {
    // One refusal, one report: each connection would report the token its own socket used (an
    // older one, still taken, among them), so one REST 401 made as many calls as there were sockets.
    this.#host.reportAuthError(isPresentToken(this.#token) ? this.#token : null, { url: null, code: null, reason: reason ?? 'access token rejected' })
    for (const connection of [...this.#connections.values()]) connection.markUnauthorized(reason, false)
  }

  /** `reconnect()` on every connection. */
  reconnect(): void {
    for (const connection of [...this.#connections.values()]) connection.reconnect()
  }

  /** Closes everything now. The hub can be used again afterwards. */
  dispose(): void {
    for (const connection of [...this.#connections.values()]) connection.dispose()
  }

  /**
   * The last tokens sockets were opened with, newest first: masked in every app error. A
   * rotated-out token stays valid a while, and an error that quotes it may be flushed after the
   * rotation, or after its socket is gone.
   */
  #recentTokens: string[] = []

  /**
   * What can come back in a server's words: the hub's token (an open socket stays on the old one,
   * and an app that re-authenticates on it may hear the new one echoed), the tokens its live
   * connections opened with (however many rotations ago), and the last ones its sockets used.
   */
  #maskedTokens(): string[] {
    const tokens = new Set(this.#recentTokens)
    if (isPresentToken(this.#token)) tokens.add(this.#token)
    for (const connection of this.#connections.values()) if (connection.tokenInUse) tokens.add(connection.tokenInUse)
    return [...tokens]
  }
}

/** Creates a `SocketHub`. */
export function createSocketHub(options?: SocketHubOptions): SocketHub {
  return new SocketHub(options)
}
