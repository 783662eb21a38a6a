/**
 * What the page costs, counted in this tab: WebSockets open, frames received, React commits. Both
 * versions of the page (live-status and the hand-written one) open their sockets through
 * `CountingWebSocket` and render inside one `<Profiler>`, so the figures compare like for like.
 */
type Listener = () => void

const counts = { socketsOpen: 0, socketsMade: 0, frames: 0, commits: 0 }
const listeners = new Set<Listener>()
const notify = () => listeners.forEach((listener) => listener())

export const meter = {
  subscribe(listener: Listener) {
    listeners.add(listener)
    return () => void listeners.delete(listener)
  },
  /** Totals since the page loaded (rates are taken by the reader, per second). */
  read: () => ({ ...counts }),
  /** For `<Profiler onRender>`: one call per commit of the profiled tree. */
  countCommit() {
    counts.commits++
  },
}

/** The browser's WebSocket, counting sockets while open (CONNECTING or OPEN) and frames received. */
export class CountingWebSocket extends WebSocket {
  constructor(url: string | URL, protocols?: string | string[]) {
    super(url, protocols)
    counts.socketsOpen++
    counts.socketsMade++
    notify()
    this.addEventListener('message', () => counts.frames++)
    this.addEventListener('close', () => {
      counts.socketsOpen--
      notify()
    })
  }
}
