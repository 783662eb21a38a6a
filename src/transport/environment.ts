/** What live-status needs of TanStack Query's `onlineManager`. */
export interface OnlineSource {
  isOnline(): boolean
  subscribe(listener: (online: boolean) => void): () => void
}

/** What live-status needs of TanStack Query's `focusManager`. */
export interface FocusSource {
  isFocused(): boolean
  subscribe(listener: (focused: boolean) => void): () => void
}

/**
 * The hub's own online and visibility sources, for hubs used without TanStack Query. The sync
 * layer hands TanStack's `onlineManager` and `focusManager` in instead, so an app that set their
 * event listeners (React Native, tests) steers its sockets through them.
 */
function listen(target: EventTarget | undefined, events: string[], handler: () => void): () => void {
  for (const type of events) target?.addEventListener(type, handler)
  return () => {
    for (const type of events) target?.removeEventListener(type, handler)
  }
}

/** `navigator.onLine` and the window's `online` / `offline` events; always online where there is no window. */
export const browserOnline: OnlineSource = {
  isOnline: () => globalThis.navigator?.onLine !== false,
  subscribe: (listener) => listen(globalThis.window, ['online', 'offline'], () => listener(browserOnline.isOnline())),
}

/** The document's visibility; always visible where there is no document. */
export const browserFocus: FocusSource = {
  isFocused: () => globalThis.document?.visibilityState !== 'hidden',
  subscribe: (listener) => listen(globalThis.document, ['visibilitychange'], () => listener(browserFocus.isFocused())),
}
