import { Server, WebSocket as MockWebSocket, type Client } from 'mock-socket'
import { vi } from 'vitest'
import type { WebSocketConstructor } from '../../src/core'

let counter = 0

export interface RestCall {
  method: string
  path: string
  query: URLSearchParams
  authorization: string | null
}

type RestHandler = (call: RestCall) => { status: number; body?: unknown } | Promise<{ status: number; body?: unknown }>

/**
 * A whole fake backend for hook tests: mock-socket servers by path (created on demand) and a REST
 * router behind a stubbed `fetch`. Every client socket and REST call is recorded.
 */
export function createMockBackend() {
  const host = `backend-${++counter}.test`
  const apiUrl = `http://${host}`
  const wsUrl = `ws://${host}`
  const sockets = new Map<string, { server: Server; clients: Client[]; received: unknown[] }>()
  const routes = new Map<string, RestHandler>()
  const calls: RestCall[] = []
  const created: { socket: MockWebSocket; url: string; protocols?: string | string[] }[] = []

  class RecordingWebSocket extends MockWebSocket {
    constructor(target: string, protocols?: string | string[]) {
      super(target, protocols)
      created.push({ socket: this, url: target, protocols })
    }
  }

  const socketAt = (path: string) => {
    let entry = sockets.get(path)
    if (entry) return entry
    const server = new Server(`${wsUrl}${path}`)
    const created = { server, clients: [] as Client[], received: [] as unknown[] }
    server.on('connection', (client) => {
      created.clients.push(client)
      client.on('message', (data) => {
        const message = JSON.parse(String(data)) as { type?: string }
        created.received.push(message)
        // Like the real servers: application-level pings get an answer.
        if (message.type === 'ping') client.send('{"type":"pong"}')
      })
    })
    sockets.set(path, created)
    entry = created
    return entry
  }

  const fetch = vi.fn(async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(String(input))
    const method = (init?.method ?? 'GET').toUpperCase()
    const headers = new Headers(init?.headers)
    const call = { method, path: url.pathname, query: url.searchParams, authorization: headers.get('Authorization') }
    calls.push(call)
    const handler = routes.get(`${method} ${url.pathname}`)
    if (!handler) return new Response(JSON.stringify({ detail: 'not found' }), { status: 404 })
    const { status, body } = await handler(call)
    return new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } })
  })

  return {
    apiUrl,
    wsUrl,
    fetch,
    calls,
    created,
    WebSocket: RecordingWebSocket as unknown as WebSocketConstructor,
    /** Sockets the client holds in CONNECTING or OPEN. */
    live: () => created.filter(({ socket }) => socket.readyState <= 1).length,
    socketAt,
    /** Sends to every open client of `path` (synchronously: same tick). */
    send(path: string, message: unknown) {
      for (const client of socketAt(path).clients) {
        if (client.readyState === 1) client.send(typeof message === 'string' ? message : JSON.stringify(message))
      }
    },
    /** Closes the open clients of `path` from the server side; the close lands 4 ms later. */
    closeClients(path: string, code: number, reason = '') {
      for (const client of socketAt(path).clients) if (client.readyState === 1) client.close({ code, reason, wasClean: true })
    },
    /** Takes the socket server at `path` away (new connections fail) or brings it back. */
    stopSocket(path: string) {
      const entry = sockets.get(path)
      entry?.server.stop()
      sockets.delete(path)
    },
    route(method: string, path: string, handler: RestHandler | { status: number; body?: unknown }) {
      routes.set(`${method} ${path}`, typeof handler === 'function' ? handler : () => handler)
    },
    callsTo: (method: string, path: string) => calls.filter((c) => c.method === method && c.path === path),
    stopAll() {
      for (const { server } of sockets.values()) server.stop()
      sockets.clear()
    },
  }
}

export type MockBackend = ReturnType<typeof createMockBackend>
