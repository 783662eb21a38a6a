import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { WebSocket, WebSocketServer } from 'ws'
import type { QueryClient, QueryKey } from '@tanstack/query-core'

type RestHandler = (req: IncomingMessage, url: URL) => { status: number; body?: unknown }
type SocketHandler = (socket: WebSocket, req: IncomingMessage, url: URL) => void

/**
 * A real HTTP + WebSocket server on a free loopback port, routed by path, for speaking one
 * backend's dialect in integration tests.
 */
export async function startDialectServer(options: {
  rest?: Record<string, RestHandler>
  sockets: { match: (path: string) => boolean; handle: SocketHandler }[]
  /** The subprotocol the server picks (`false`: none, which `ws` clients that offered one refuse). */
  handleProtocols?: (protocols: Set<string>, req: IncomingMessage) => string | false
  /** Refuses the upgrade with this HTTP status before accepting it (a browser sees a bare 1006). */
  rejectUpgrade?: (req: IncomingMessage, url: URL) => number | undefined
}) {
  const http = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost')
    const handler = options.rest?.[`${req.method} ${url.pathname}`]
    const answer = handler ? handler(req, url) : { status: 404, body: { detail: 'Not Found' } }
    res.writeHead(answer.status, { 'Content-Type': 'application/json' })
    res.end(answer.body === undefined ? '' : JSON.stringify(answer.body))
  })
  const wss = new WebSocketServer({ noServer: true, handleProtocols: options.handleProtocols })
  const sockets = new Set<WebSocket>()
  let upgrades = 0
  http.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://localhost')
    const route = options.sockets.find((r) => r.match(url.pathname))
    upgrades++
    if (!route) {
      socket.end('HTTP/1.1 404 Not Found\r\n\r\n')
      return
    }
    const refused = options.rejectUpgrade?.(req, url)
    if (refused) {
      socket.end(`HTTP/1.1 ${refused} Refused\r\nConnection: close\r\n\r\n`)
      return
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws)
      ws.on('close', () => sockets.delete(ws))
      route.handle(ws, req, url)
    })
  })
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  const port = (http.address() as AddressInfo).port
  return {
    apiUrl: `http://127.0.0.1:${port}`,
    sockets,
    get upgrades() {
      return upgrades
    },
    async close() {
      for (const socket of sockets) socket.terminate()
      wss.close()
      http.closeAllConnections()
      await new Promise<void>((resolve) => http.close(() => resolve()))
    },
  }
}

export const bearer = (req: IncomingMessage) => (req.headers.authorization ?? '').replace(/^Bearer /, '')

/** Resolves with the cached data once `predicate` holds, re-checked on every cache event. */
export function waitForData<T>(queryClient: QueryClient, queryKey: QueryKey, predicate: (data: T | undefined) => boolean): Promise<T> {
  return new Promise((resolve) => {
    const check = () => {
      const data = queryClient.getQueryData<T>(queryKey)
      if (!predicate(data)) return false
      off()
      resolve(data as T)
      return true
    }
    const off = queryClient.getQueryCache().subscribe(() => void check())
    check()
  })
}
