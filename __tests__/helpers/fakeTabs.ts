import { WebSocket } from 'ws'
import type { WebSocketConstructor } from '../../src/core'
import type { BroadcastChannelConstructor, BroadcastChannelLike, LockManagerLike } from '../../src/transport/crossTab/tabGroup'

interface Waiter {
  tab: string
  name: string
  grant: () => void
}

/**
 * Web Locks for several simulated tabs of one browser profile: exclusive locks granted in request
 * order, released when the callback's promise settles or the tab "crashes" (as a browser frees the
 * locks of a closed tab).
 */
export class FakeLocks {
  #held = new Map<string, { tab: string; release: () => void }>()
  #queue: Waiter[] = []
  #crashed = new Set<string>()

  forTab(tab: string): LockManagerLike {
    return {
      request: (name, options, callback) =>
        new Promise((resolve, reject) => {
          // A crashed tab runs nothing more (the simulation's callbacks may still try).
          if (this.#crashed.has(tab)) return
          const signal = options.signal
          if (signal?.aborted) return reject(new DOMException('aborted', 'AbortError'))
          const waiter: Waiter = {
            tab,
            name,
            grant: () => {
              signal?.removeEventListener('abort', onAbort)
              let released = false
              const release = () => {
                if (released) return
                released = true
                if (this.#held.get(name)?.tab === tab) this.#held.delete(name)
                this.#next(name)
              }
              this.#held.set(name, { tab, release })
              Promise.resolve()
                .then(() => callback({ name }))
                .then(resolve, reject)
                .finally(release)
            },
          }
          const onAbort = () => {
            const index = this.#queue.indexOf(waiter)
            if (index < 0) return
            this.#queue.splice(index, 1)
            reject(new DOMException('aborted', 'AbortError'))
          }
          signal?.addEventListener('abort', onAbort)
          this.#queue.push(waiter)
          this.#next(name)
        }),
      query: async () => ({
        held: [...this.#held].map(([name]) => ({ name })),
        pending: this.#queue.map((waiter) => ({ name: waiter.name })),
      }),
    }
  }

  /** The tab is gone: its locks are freed and its queued requests dropped. */
  crash(tab: string): void {
    this.#crashed.add(tab)
    this.#queue = this.#queue.filter((waiter) => waiter.tab !== tab)
    for (const [, held] of [...this.#held]) if (held.tab === tab) held.release()
  }

  holder(name: string): string | undefined {
    return this.#held.get(name)?.tab
  }

  #next(name: string): void {
    if (this.#held.has(name)) return
    const index = this.#queue.findIndex((waiter) => waiter.name === name)
    if (index < 0) return
    const [waiter] = this.#queue.splice(index, 1)
    waiter!.grant()
  }
}

/**
 * One simulated tab: its own BroadcastChannels (Node's real ones, which deliver across instances)
 * and WebSockets (`ws`), all closed at once by `crash()` like a closed tab's.
 */
export function fakeTab(locks: FakeLocks, tab: string) {
  const channels = new Set<BroadcastChannelLike>()
  const sockets = new Set<WebSocket>()
  let crashed = false
  class TabChannel extends BroadcastChannel {
    constructor(name: string) {
      super(name)
      channels.add(this as unknown as BroadcastChannelLike)
      if (crashed) this.close()
    }
  }
  class TabWebSocket extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      if (crashed) throw new Error('this tab crashed')
      super(url, protocols)
      sockets.add(this)
    }
  }
  return {
    tab,
    locks: locks.forTab(tab),
    BroadcastChannel: TabChannel as unknown as BroadcastChannelConstructor,
    WebSocket: TabWebSocket as unknown as WebSocketConstructor,
    crash() {
      crashed = true
      for (const channel of channels) channel.close()
      for (const socket of sockets) socket.terminate()
      locks.crash(tab)
    },
  }
}
