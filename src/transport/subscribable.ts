/**
 * Listener set with hooks for the first subscriber and the last one leaving: the ref-counting that
 * starts and stops work (taken from TanStack Query's `Subscribable`).
 */
export class Subscribable<TListener extends (...args: any[]) => void> {
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

/**
 * A `Subscribable` that notifies: the one listener mechanism of the package (status stores, the
 * hub's lifecycle, the client's token, activity and polling news, devtools; work that runs only
 * while someone listens overrides `onSubscribe` / `onUnsubscribe`). `emit` calls each
 * listener once, on a copy of the set, so a listener may unsubscribe while it runs; what a
 * listener throws goes to `onError` and the others are still called.
 */
export class Listeners<TArgs extends unknown[] = []> extends Subscribable<(...args: TArgs) => void> {
  get size(): number {
    return this.listeners.size
  }

  emit(onError: ((error: unknown) => void) | undefined, ...args: TArgs): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(...args)
      } catch (error) {
        if (!onError) throw error
        onError(error)
      }
    }
  }
}
