import type { FocusSource, OnlineSource } from '../../src/core'

/** A controllable stand-in for TanStack's onlineManager / focusManager. */
export function fakeSource(initial = true) {
  let value = initial
  const listeners = new Set<(value: boolean) => void>()
  const source: OnlineSource & FocusSource & { set(value: boolean): void; listenerCount(): number } = {
    isOnline: () => value,
    isFocused: () => value,
    subscribe(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    set(next) {
      value = next
      for (const listener of [...listeners]) listener(next)
    },
    listenerCount: () => listeners.size,
  }
  return source
}
