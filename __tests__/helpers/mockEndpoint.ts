import { Server, WebSocket as MockWebSocket, type Client } from 'mock-socket'
import { vi } from 'vitest'
import type { WebSocketConstructor } from '../../src/core'

let counter = 0

/**
 * A mock-socket server at a unique URL plus a WebSocket constructor that records every socket the
 * client creates, so tests can count live sockets and read the URL and protocols each one used.
 */
export function createMockEndpoint(options: { verifyClient?: () => boolean } = {}) {
  const url = `ws://mock-${++counter}.test/ws`
  const created: { socket: MockWebSocket; url: string; protocols: string | string[] | undefined }[] = []
  const received: unknown[] = []
  const clients: Client[] = []
  let server: Server | null = null

  const start = () => {
    server = new Server(url, options.verifyClient ? { verifyClient: options.verifyClient } : {})
    server.on('connection', (client) => {
      clients.push(client)
      client.on('message', (data) => received.push(typeof data === 'string' ? JSON.parse(data) : data))
    })
  }
  start()

  class RecordingWebSocket extends MockWebSocket {
    constructor(target: string, protocols?: string | string[]) {
      super(target, protocols)
      created.push({ socket: this, url: target, protocols })
    }
  }

  return {
    url,
    WebSocket: RecordingWebSocket as unknown as WebSocketConstructor,
    created,
    received,
    clients,
    /** Sockets the client holds in CONNECTING or OPEN. */
    live: () => created.filter(({ socket }) => socket.readyState <= 1).length,
    openClients: () => clients.filter((client) => client.readyState === 1),
    send(message: unknown) {
      for (const client of clients) if (client.readyState === 1) client.send(typeof message === 'string' ? message : JSON.stringify(message))
    },
    /** Closes every open server-side socket; resolves once mock-socket (4 ms later) delivered the close. */
    async closeClients(code: number, reason = '') {
      for (const client of clients) if (client.readyState === 1) client.close({ code, reason, wasClean: code === 1000 })
      await vi.advanceTimersByTimeAsync(4)
    },
    /** Takes the server away: new sockets fail to connect (open ones stay: close them first). */
    stop() {
      server?.stop()
      server = null
    },
    restart() {
      if (!server) start()
    },
  }
}

/** Lets mock-socket's 4 ms delays (open, close, delivery to the server) and pending promises run. */
export const flush = (ms = 10) => vi.advanceTimersByTimeAsync(ms)
