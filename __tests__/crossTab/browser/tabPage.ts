// What one tab runs in the cross-tab browser tests: sockets shared through createCrossTab, each
// reopened after a loss the way a connection would, with everything it saw kept for the test.
import { createCrossTab } from '../../../src/transport/crossTab/crossTab'
import type { WebSocketLike } from '../../../src/transport/types'

interface Shared {
  socket: WebSocketLike | null
  opened: number
  closes: { code: number; reason: string }[]
  frames: string[]
  receivedAt: number[]
  wanted: boolean
}

const crossTab = createCrossTab({ key: 'browser-test' })
const shared = new Map<string, Shared>()

function open(url: string, token: string, entry: Shared): void {
  const request = { url: `${url}?token=${token}`, protocols: undefined, firstMessage: undefined, identity: `${url}|${token}` }
  const socket: WebSocketLike = crossTab ? crossTab.open(request, WebSocket) : new WebSocket(request.url)
  entry.socket = socket
  socket.onopen = () => entry.opened++
  // A frame, or a list of frames that arrived together (a relayed batch).
  socket.onmessage = (event) => {
    for (const frame of [event.data].flat()) {
      entry.frames.push(String(frame))
      entry.receivedAt.push(Date.now())
    }
  }
  socket.onclose = (event) => {
    entry.closes.push({ code: event.code, reason: event.reason })
    if (entry.socket !== socket) return
    entry.socket = null
    // A connection reconnects after a loss (its backoff is not the point here).
    if (entry.wanted) setTimeout(() => open(url, token, entry), 50)
  }
}

Object.assign(globalThis, {
  liveTab: {
    supported: crossTab !== null,
    open(name: string, url: string, token: string) {
      const entry: Shared = { socket: null, opened: 0, closes: [], frames: [], receivedAt: [], wanted: true }
      shared.set(name, entry)
      open(url, token, entry)
    },
    close(name: string) {
      const entry = shared.get(name)
      if (!entry) return
      entry.wanted = false
      entry.socket?.close(1000)
    },
    send(name: string, data: string) {
      shared.get(name)?.socket?.send(data)
    },
    state(name: string) {
      const entry = shared.get(name)
      return entry && { open: entry.socket?.readyState === 1, opened: entry.opened, closes: entry.closes, frames: entry.frames, receivedAt: entry.receivedAt }
    },
    /** A connection's heartbeat: a chained timer, as browsers throttle them in hidden tabs. */
    heartbeat(name: string, tag: string, intervalMs: number) {
      const beat = () => {
        const socket = shared.get(name)?.socket
        if (socket?.readyState === 1) socket.send(`ping:${tag}:${Date.now()}`)
        setTimeout(beat, intervalMs)
      }
      setTimeout(beat, intervalMs)
    },
    leading: () => crossTab?.roles().some((role) => role.leading) ?? false,
    visibility: () => document.visibilityState,
  },
})
