/**
 * The one listener mechanism of the package (status stores, the hub's lifecycle, the client's
 * token, activity and polling news, devtools), with hooks for the first subscriber and the last
 * one leaving: work that runs only while someone listens overrides `onSubscribe` /
 * `onUnsubscribe` (TanStack Query's `Subscribable`). `emit` calls each listener once, on a copy of
 * the set, so a listener may unsubscribe while it runs; what a listener throws goes to `onError`
 * and the others are still called (without `onError`, it is thrown, and the rest are not).
 */
export class Listeners<TArgs extends unknown[] = []> {
  #listeners = new Set<(...args: TArgs) => void>()

  subscribe = (listener: (...args: TArgs) => void): (() => void) => {
    this.#listeners.add(listener)
    if (this.#listeners.size === 1) this.onSubscribe()
    return () => {
      if (this.#listeners.delete(listener) && this.#listeners.size === 0) this.onUnsubscribe()
    }
  }

  get size(): number {
    return this.#listeners.size
  }

  emit(onError: ((error: unknown) => void) | undefined, ...args: TArgs): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(...args)
      } catch (error) {
        if (!onError) throw error
        onError(error)
      }
    }
  }

  protected onSubscribe(): void {}

  protected onUnsubscribe(): void {}
}
