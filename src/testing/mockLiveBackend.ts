import { Server, WebSocket as MockWebSocket, type Client } from 'mock-socket'
import type { WebSocketConstructor } from '../transport/types'

/** A REST request the mock backend received, as its handler and `calls` see it. */
export interface RestCall {
  method: string
  path: string
  query: URLSearchParams
  authorization: string | null
  body: unknown
}

/** What a REST handler answers: a status and a JSON body. */
export type RestAnswer = { status: number; body?: unknown }
/** Answers one REST request of the mock backend, at once or later. */
export type RestHandler = (call: RestCall) => RestAnswer | Promise<RestAnswer>

interface SocketEntry {
  server: Server
  clients: Client[]
  received: unknown[]
  /** Tokens that came in `{ type: 'auth', token }` first messages (the reference protocol's auth). */
  tokens: string[]
  silent: boolean
  /** mock-socket still opens a socket made just before `stop()`: such late arrivals are cut. */
  dropped: boolean
  rejectCode: number | null
  onMessage: ((message: any, client: Client) => void) | null
}

let counter = 0

/**
 * A whole fake backend in memory, for tests and stories, in Node or the browser: mock-socket
 * servers by path (made on first use) and a REST router behind a `fetch`. Faults are one call
 * away: drop the sockets, go silent, reject the token. `answerPings: false` makes every server a
 * silent one as far as the heartbeat can tell (default: pings get a pong, like real servers).
 *
 * @example
 * ```tsx
 * const backend = createMockLiveBackend()
 * backend.route('GET', '/api/projects/p1/index', { status: 404 })
 * <LiveStatusProvider apiUrl={backend.apiUrl} accessToken="t" WebSocket={backend.WebSocket} fetch={backend.fetch}>
 * backend.send('/ws/projects/p1', { type: 'index_started', project_id: 'p1' })
 * ```
 */
export function createMockLiveBackend(options: { host?: string; answerPings?: boolean } = {}) {
  const host = options.host ?? `backend-${++counter}.test`
  const answerPings = options.answerPings ?? true
  const apiUrl = `http://${host}`
  const wsUrl = `ws://${host}`
  const sockets = new Map<string, SocketEntry>()
  const routes = new Map<string, RestHandler>()
  const calls: RestCall[] = []
  const created: { socket: MockWebSocket; url: string; protocols?: string | string[] }[] = []
  let restDown = false

  class RecordingWebSocket extends MockWebSocket {
    constructor(target: string, protocols?: string | string[]) {
      super(target, protocols)
      created.push({ socket: this, url: target, protocols })
    }
  }
  // Checked, not cast: mock-socket's class is what the client's `WebSocket` option takes.
  const WebSocket: WebSocketConstructor = RecordingWebSocket

  const socketAt = (path: string): SocketEntry => {
    const existing = sockets.get(path)
    if (existing) return existing
    const server = new Server(`${wsUrl}${path}`)
    const entry: SocketEntry = { server, clients: [], received: [], tokens: [], silent: false, dropped: false, rejectCode: null, onMessage: null }
    server.on('connection', (client) => {
      if (entry.dropped) {
        client.close({ code: 1006, reason: '', wasClean: false })
        return
      }
      if (entry.rejectCode !== null) {
        client.close({ code: entry.rejectCode, reason: 'invalid token', wasClean: true })
        return
      }
      entry.clients.push(client)
      client.on('message', (data) => {
        let message: any
        try {
          message = JSON.parse(String(data))
        } catch {
          return
        }
        // The reference protocol's first message carries the token: it authenticates, it is not a message to the app.
        if (message?.type === 'auth' && typeof message.token === 'string') {
          entry.tokens.push(message.token)
          return
        }
        entry.received.push(message)
        if (entry.silent) return
        // Like the real servers: application-level pings get an answer.
        if (answerPings && message?.type === 'ping') client.send('{"type":"pong"}')
        entry.onMessage?.(message, client)
      })
    })
    sockets.set(path, entry)
    return entry
  }

  const fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(typeof input === 'string' || input instanceof URL ? String(input) : input.url)
    const method = (init?.method ?? 'GET').toUpperCase()
    const headers = new Headers(init?.headers)
    let body: unknown
    try {
      body = typeof init?.body === 'string' ? JSON.parse(init.body) : undefined
    } catch {
      body = init?.body
    }
    const call = { method, path: url.pathname, query: url.searchParams, authorization: headers.get('Authorization'), body }
    calls.push(call)
    if (restDown) throw new TypeError('Failed to fetch')
    const handler = routes.get(`${method} ${url.pathname}`)
    const answer = handler ? await handler(call) : { status: 404, body: { detail: 'not found' } }
    return new Response(answer.body === undefined ? null : JSON.stringify(answer.body), {
      status: answer.status,
      headers: { 'Content-Type': 'application/json' },
    })
  }

  return {
    apiUrl,
    wsUrl,
    /** For the provider's `fetch`; records every call in `calls`. */
    fetch,
    calls,
    created,
    /** For the provider's `WebSocket`: mock-socket's, recording every socket made. */
    WebSocket,
    /** Sockets the client holds in CONNECTING or OPEN. */
    live: () => created.filter(({ socket }) => socket.readyState <= 1).length,
    /** Makes sure a socket server exists at `path` (clients cannot connect before). */
    socketAt,
    /** Handles client messages at `path` (e.g. a scan action). */
    onMessage(path: string, handler: (message: any, client: Client) => void) {
      socketAt(path).onMessage = handler
    },
    /** Sends to every open client of `path`, synchronously. Nothing is sent while silent or dropped. */
    send(path: string, message: unknown) {
      const entry = sockets.get(path)
      if (!entry || entry.silent) return
      const text = typeof message === 'string' ? message : JSON.stringify(message)
      for (const client of entry.clients) if (client.readyState === 1) client.send(text)
    },
    /** Closes the open clients of `path` from the server side (mock-socket delivers it 4 ms later). */
    closeClients(path: string, code: number, reason = '') {
      for (const client of sockets.get(path)?.clients ?? []) if (client.readyState === 1) client.close({ code, reason, wasClean: true })
    },
    /** The socket server at `path` goes away: open sockets close, new ones fail until `restore`. */
    drop(path: string) {
      const entry = sockets.get(path)
      if (!entry) return
      entry.dropped = true
      for (const client of entry.clients) if (client.readyState === 1) client.close({ code: 1006, reason: '', wasClean: false })
      entry.server.stop()
      sockets.delete(path)
    },
    /** Brings a dropped socket server back. */
    restore(path: string) {
      socketAt(path)
    },
    /** A half-open link: sockets stay open, nothing is sent or answered. */
    silence(path: string, silent = true) {
      socketAt(path).silent = silent
    },
    /** Rejects the token: open sockets are closed with `code`, new ones too. `null` accepts again. */
    rejectAuth(path: string, code: number | null = 4401) {
      const entry = socketAt(path)
      entry.rejectCode = code
      if (code !== null) for (const client of entry.clients) if (client.readyState === 1) client.close({ code, reason: 'invalid token', wasClean: true })
    },
    /** REST answers for `method path`: a fixed answer or a function of the call. */
    route(method: string, path: string, handler: RestHandler | RestAnswer) {
      routes.set(`${method.toUpperCase()} ${path}`, typeof handler === 'function' ? handler : () => handler)
    },
    /** Every REST call fails like a network error while down. */
    setRestDown(down: boolean) {
      restDown = down
    },
    callsTo: (method: string, path: string) => calls.filter((c) => c.method === method && c.path === path),
    received: (path: string) => socketAt(path).received,
    /** Tokens a socket of `path` sent as the reference protocol's `{ type: 'auth', token }` first message. */
    tokens: (path: string) => socketAt(path).tokens,
    clients: (path: string) => socketAt(path).clients,
    /** Stops every socket server. */
    dispose() {
      for (const { server } of sockets.values()) server.stop()
      sockets.clear()
    },
  }
}

/** A mock backend: REST handlers and sockets an app's tests and stories drive (see `createMockLiveBackend`). */
export type MockLiveBackend = ReturnType<typeof createMockLiveBackend>
