/**
 * Listener set with hooks for the first subscriber and the last one leaving: the ref-counting that
 * starts and stops work (taken from TanStack Query's `Subscribable`).
 */
export class Subscribable<TListener extends (...args: never[]) => void> {
  protected listeners = new Set<TListener>()

  subscribe = (listener: TListener): (() => void) => {
    this.listeners.add(listener)
    if (this.listeners.size === 1) this.onSubscribe()
    return () => {
      if (!this.listeners.delete(listener)) return
      if (this.listeners.size === 0) this.onUnsubscribe()
    }
  }

  hasListeners(): boolean {
    return this.listeners.size > 0
  }

  protected onSubscribe(): void {}

  protected onUnsubscribe(): void {}
}
