import { vi } from 'vitest'
import { createMockLiveBackend } from '../../src/testing'

/**
 * One socket endpoint of the package's mock backend, for the core's unit tests: pings are not
 * answered (the heartbeat tests decide what the server says), and closes resolve once mock-socket
 * has delivered them (4 ms later) so fake-timer arithmetic stays exact.
 */
export function createMockEndpoint() {
  const backend = createMockLiveBackend({ answerPings: false })
  const path = '/ws'
  backend.socketAt(path)
  return {
    url: `${backend.wsUrl}${path}`,
    WebSocket: backend.WebSocket,
    created: backend.created,
    get received() {
      return backend.received(path)
    },
    /** Tokens sent as the reference protocol's first message. */
    get tokens() {
      return backend.tokens(path)
    },
    get clients() {
      return backend.clients(path)
    },
    /** Sockets the client holds in CONNECTING or OPEN. */
    live: backend.live,
    send: (message: unknown) => backend.send(path, message),
    async closeClients(code: number, reason = '') {
      backend.closeClients(path, code, reason)
      await vi.advanceTimersByTimeAsync(4)
    },
    /** Takes the server away: open sockets close (1006, 4 ms later), new ones fail. */
    stop: () => backend.drop(path),
    restart: () => backend.restore(path),
  }
}

/** Lets mock-socket's 4 ms delays (open, close, delivery to the server) and pending promises run. */
export const flush = (ms = 10) => vi.advanceTimersByTimeAsync(ms)
