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
 * The hub's own online source, for hubs used without TanStack Query: `navigator.onLine` and the
 * window's `online` / `offline` events (always online where there is no window). The sync layer
 * hands TanStack's `onlineManager` and `focusManager` in instead, so an app that set their event
 * listeners (React Native, tests) steers its sockets through them.
 */
export const browserOnline: OnlineSource = {
  isOnline: () => globalThis.navigator?.onLine !== false,
  subscribe: (listener) => {
    const handler = () => listener(browserOnline.isOnline())
    const each = (method: 'addEventListener' | 'removeEventListener') => {
      for (const type of ['online', 'offline']) globalThis.window?.[method](type, handler)
    }
    each('addEventListener')
    return () => each('removeEventListener')
  },
}

/**
 * No focus source of its own: focus only revives a connection that gave up (`closed`), which a
 * bare hub leaves to `reconnect()`. `LiveStatusClient` passes TanStack's `focusManager`.
 */
export const noFocus: FocusSource = { isFocused: () => true, subscribe: () => () => {} }
