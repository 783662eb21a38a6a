import { Listeners } from './subscribable'
import type { ConnectionSnapshot } from './types'

export const initialStatus: ConnectionSnapshot = Object.freeze({
  state: 'idle',
  attempt: 0,
  nextRetryAt: null,
  lastCloseCode: null,
  lastCloseReason: null,
  polling: false,
})

/**
 * A connection's status as an external store: `getSnapshot` returns the same object until a field
 * changes, which is what `useSyncExternalStore` needs to skip renders.
 */
export class StatusStore extends Listeners<[status: ConnectionSnapshot]> {
  #status: ConnectionSnapshot = initialStatus
  #onCallbackError: (error: unknown) => void

  constructor(onCallbackError: (error: unknown) => void) {
    super()
    this.#onCallbackError = onCallbackError
  }

  getSnapshot = (): ConnectionSnapshot => this.#status

  set(patch: Partial<ConnectionSnapshot>): void {
    const next = { ...this.#status, ...patch }
    const changed = (Object.keys(next) as (keyof ConnectionSnapshot)[]).some((key) => next[key] !== this.#status[key])
    if (!changed) return
    this.#status = Object.freeze(next)
    this.emit(this.#onCallbackError, this.#status)
  }
}
