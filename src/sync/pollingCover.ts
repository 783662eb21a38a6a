import type { SocketHub, StatusSource } from '../transport/socketHub'
import { initialStatus } from '../transport/statusStore'
import { Listeners } from '../transport/subscribable'
import { isDown, type ConnectionSnapshot } from '../transport/types'

/** @deprecated The one status shape is `ConnectionSnapshot`, which carries `polling`. */
/** The 0.2 name of `ConnectionSnapshot`, which now carries `polling` everywhere. @deprecated Use `ConnectionSnapshot`. */
export type LiveConnectionStatus = ConnectionSnapshot

/** Whether a socket may open yet: `LiveStatusClient` answers. */
export interface TokenGate {
  canConnect(url: string): boolean
  subscribeCanRequest(listener: () => void): () => void
}

/** A socket that no one may open before sign-in: what the indicator says while the token is missing. */
const waitingForToken: ConnectionSnapshot = Object.freeze({ ...initialStatus, state: 'signed-out' })

/**
 * Which sockets polling covers for: per socket URL, the queries whose polling has refreshed them
 * since the socket went down and that still poll (their job is active). What a connection
 * indicator needs to say "Offline — updating every 5 s" rather than only "Reconnecting…".
 */
export class PollingCover {
  #hub: SocketHub
  #gate: TokenGate
  #covers = new Map<string, Set<string>>()
  #listeners = new Listeners<[url: string]>()

  constructor(hub: SocketHub, gate: TokenGate) {
    this.#hub = hub
    this.#gate = gate
  }

  /** The status of `url`'s connection plus whether polling covers for it. */
  status(url: string | null): { subscribe(listener: () => void): () => void; getSnapshot(): LiveConnectionStatus } {
    const source: StatusSource | null = url ? this.#hub.watchStatus(url) : null
    let last: LiveConnectionStatus | undefined
    let lastStatus: ConnectionSnapshot | undefined
    return {
      subscribe: (listener) => {
        const offStatus = source?.subscribe(listener)
        const offPolling = this.#listeners.subscribe((changed) => changed === url && listener())
        const offGate = this.#gate.subscribeCanRequest(listener)
        return () => {
          offStatus?.()
          offPolling()
          offGate()
        }
      },
      getSnapshot: () => {
        let status = source?.getSnapshot() ?? initialStatus
        // The hooks open no socket before the token exists: no connection to say so, but that is
        // why there is none (an indicator showed nothing at all before the first sign-in).
        if (status === initialStatus && url !== null && !this.#gate.canConnect(url)) status = waitingForToken
        // No URL: nothing covers it.
        const polling = status.state !== 'open' && this.#covers.has(url!)
        // Snapshots are new objects only when something in them changed.
        if (!last || last.polling !== polling || lastStatus !== status) last = { ...(lastStatus = status), polling }
        return last
      },
    }
  }

  /**
   * After a successful REST fetch of a query (`key`) whose socket is `url`: while that socket is
   * down and some query of it still polls (`polling`: its job is active), polling covers for it.
   */
  note(url: string | null, key: string, polling: boolean): void {
    if (!url) return
    const covers = this.#covers.get(url)
    if (!polling) {
      if (covers?.delete(key) && covers.size === 0) {
        this.#covers.delete(url)
        this.#listeners.emit(undefined, url)
      }
      return
    }
    if (covers?.has(key)) return
    // Only a socket that is down (not one still making its first connection, nor none) needs covering.
    const state = this.#hub.get(url)?.getStatus().state
    if (!isDown(state!)) return
    if (covers) {
      covers.add(key)
      return
    }
    this.#covers.set(url, new Set([key]))
    this.#listeners.emit(undefined, url)
    // Covered until the socket is back (possibly as a new connection for the same URL).
    const source = this.#hub.watchStatus(url)
    const off = source.subscribe(() => {
      if (source.getSnapshot().state !== 'open') return
      off()
      this.#covers.delete(url)
      this.#listeners.emit(undefined, url)
    })
  }
}
