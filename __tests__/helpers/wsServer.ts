import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { WebSocket, WebSocketServer } from 'ws'

export interface TestServerOptions {
  /** Called for each accepted socket; may close it (e.g. 4401) or start streaming. */
  onConnection?: (socket: WebSocket, request: IncomingMessage) => void
  /** Reject the upgrade with this HTTP status (a browser sees a bare 1006). */
  rejectUpgrade?: (request: IncomingMessage) => number | undefined
  port?: number
}

/**
 * A real `ws` server on a free loopback port, in the spirit of graphql-ws's `tservers.ts`: counts
 * connections and lets a test wait for events instead of sleeping.
 */
export async function startWsServer(options: TestServerOptions = {}) {
  const http: Server = createServer((_req, res) => res.writeHead(404).end())
  const wss = new WebSocketServer({ noServer: true })
  const sockets = new Set<WebSocket>()
  const messages: unknown[] = []
  let connections = 0
  const waiters: (() => void)[] = []
  const notify = () => waiters.splice(0).forEach((fn) => fn())

  http.on('upgrade', (request, socket, head) => {
    const status = options.rejectUpgrade?.(request)
    if (status) {
      socket.end(`HTTP/1.1 ${status} Rejected\r\nConnection: close\r\n\r\n`)
      connections++
      notify()
      return
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      connections++
      sockets.add(ws)
      ws.on('message', (data) => {
        try {
          messages.push(JSON.parse(String(data)))
        } catch {
          messages.push(String(data))
        }
        notify()
      })
      ws.on('close', () => {
        sockets.delete(ws)
        notify()
      })
      options.onConnection?.(ws, request)
      notify()
    })
  })
  await new Promise<void>((resolve) => http.listen(options.port ?? 0, '127.0.0.1', resolve))
  const port = (http.address() as AddressInfo).port

  const server = {
    port,
    url: `ws://127.0.0.1:${port}`,
    sockets,
    messages,
    /** Upgrades attempted so far (accepted or rejected). */
    get connections() {
      return connections
    },
    broadcast(message: unknown) {
      const text = typeof message === 'string' ? message : JSON.stringify(message)
      for (const socket of sockets) if (socket.readyState === WebSocket.OPEN) socket.send(text)
    },
    /** Resolves once `predicate` holds, re-checked on every server event. */
    waitFor(predicate: () => boolean): Promise<void> {
      return new Promise((resolve) => {
        const check = () => (predicate() ? resolve() : waiters.push(check))
        check()
      })
    },
    /** Kills every connection without a close frame and stops listening, like a crashed process. */
    async kill() {
      for (const socket of sockets) socket.terminate()
      sockets.clear()
      wss.close()
      http.closeAllConnections()
      await new Promise<void>((resolve) => http.close(() => resolve()))
    },
  }
  return server
}

export type TestServer = Awaited<ReturnType<typeof startWsServer>>

/**
 * `ws`'s WebSocket, recording every socket made; `violations` counts constructions that happened
 * while an earlier socket for the same URL path was still CONNECTING or OPEN.
 */
export function recordingWebSocket() {
  const created: WebSocket[] = []
  let violations = 0
  const key = (url: string) => new URL(url).pathname
  class Recording extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      const target = key(url)
      if (created.some((s) => key(s.url) === target && s.readyState <= WebSocket.OPEN)) violations++
      super(url, protocols)
      created.push(this)
    }
  }
  return {
    WebSocket: Recording,
    created,
    get violations() {
      return violations
    },
    live: () => created.filter((s) => s.readyState <= WebSocket.OPEN).length,
  }
}

/** Resolves when the store's snapshot satisfies `predicate`, checked on each change it reports. */
export function waitForStatus<T>(
  store: { subscribe(listener: () => void): () => void; getSnapshot(): T },
  predicate: (value: T) => boolean,
): Promise<T> {
  return new Promise((resolve) => {
    if (predicate(store.getSnapshot())) return resolve(store.getSnapshot())
    const off = store.subscribe(() => {
      const value = store.getSnapshot()
      if (!predicate(value)) return
      off()
      resolve(value)
    })
  })
}
