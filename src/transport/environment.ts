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
 * The browser's online state, `navigator.onLine` and the window's `online` / `offline` events, for
 * a hub used without TanStack Query: `new SocketHub({ onlineManager: browserOnline })`. Opt-in, so
 * a bare hub carries none of it; the sync layer hands TanStack's `onlineManager` and
 * `focusManager` in, so an app that set their event listeners (React Native, tests) steers its
 * sockets through them.
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
 * A bare hub's default sources: always online, always visible, never changing. A connection that
 * gave up (`closed`) then comes back on `reconnect()`, a new token or a new subscriber.
 */
export const steady: OnlineSource & FocusSource = { isOnline: () => true, isFocused: () => true, subscribe: () => () => {} }
