// The token in reports after a rotation, and in an error's symbol-keyed fields (an attacker's probe, 2026-12-06).
import { inspect } from 'node:util'
import { afterEach, expect, test, vi } from 'vitest'
import { WebSocket } from 'ws'
import { SocketHub, type EventError } from '../../src/core'
import { startWsServer, waitForStatus, type TestServer } from '../helpers/wsServer'

const TOKEN = 'eyJhbGciOiJIUzI1NiJ9.probe-secret-token-value'
const ROTATED = 'gho_R0t4t3dS3cr3tT0k3nV4lu3xyzQW'
let server: TestServer | undefined
const hubs: SocketHub[] = []
afterEach(async () => {
  for (const hub of hubs.splice(0)) hub.dispose()
  await server?.kill()
  server = undefined
})

/** The first run of 8+ characters of `token` that `text` shows, or null. */
function leaked(text: string, token: string): string | null {
  for (let i = 0; i + 8 <= token.length; i++) if (text.includes(token.slice(i, i + 8))) return token.slice(i, i + 8)
  return null
}

function hub(extra: ConstructorParameters<typeof SocketHub>[0] = {}) {
  const h = new SocketHub({ token: TOKEN, WebSocket, auth: { type: 'query' }, heartbeat: false, reconnect: { initialDelayMs: 10000, maxDelayMs: 10000, maxAttempts: 3, stableAfterMs: 5000 }, ...extra })
  hubs.push(h)
  return h
}

test('after setToken(new) on an open socket, the new token is masked in event-error reports and in the close reason', async () => {
  server = await startWsServer()
  const errors: EventError[] = []
  const h = hub({ onEventError: (e) => errors.push(e) })
  const url = `${server.url}/ws/projects/p1`
  const lease = h.acquire(url, { onEvents: () => {} })
  await waitForStatus(h.watchStatus(url), (s) => s.state === 'open')
  // Rotation: the open socket stays; the app re-authenticates on it (a common server feature),
  // or the server learned the new token from a REST call.
  h.setToken(ROTATED)
  lease.connection.send({ type: 'reauth', token: ROTATED })
  await server.waitFor(() => server!.messages.length === 1)
  const [socket] = server.sockets
  socket!.send(JSON.stringify({ type: 'client_error', messageType: 'reauth', reason: `token ${ROTATED} not accepted` }))
  await vi.waitFor(() => expect(errors).toHaveLength(1))
  socket!.close(4000, `bad token ${ROTATED}`)
  await waitForStatus(h.watchStatus(url), (s) => s.lastCloseCode === 4000)
  // Before, only tokens a socket was opened with were masked; the hub's current token was not among them yet.
  expect({
    eventError: leaked(JSON.stringify(errors), ROTATED),
    lastCloseReason: leaked(String(h.watchStatus(url).getSnapshot().lastCloseReason), ROTATED),
  }).toEqual({ eventError: null, lastCloseReason: null })
})

test('a callback error holding the token under a symbol key is masked (util.inspect / console.error print symbol keys)', async () => {
  server = await startWsServer({ onConnection: (socket, request) => socket.send(JSON.stringify({ type: 'hello', echo: request.url })) })
  const reported: unknown[] = []
  const h = hub({ onCallbackError: (e) => reported.push(e) })
  const url = `${server.url}/ws/projects/p1`
  h.acquire(url, {
    onEvents: (events) => {
      // e.g. a library error that keeps its input under a symbol (Node's own errors do for some fields).
      throw Object.assign(new Error('cannot apply event'), { [Symbol('event')]: events[0] })
    },
  })
  await vi.waitFor(() => expect(reported.length).toBeGreaterThan(0))
  expect(leaked(inspect(reported[0], { depth: 5 }), TOKEN)).toBeNull()
})

const OPENED_WITH = 'eyJhbGciOiJIUzI1NiJ9.socket-opened-with-this-secret'
const ROTATIONS = ['gho_R0t4t3dS3cr3tT0k3nV4lu3aaaaa1', 'gho_R0t4t3dS3cr3tT0k3nV4lu3bbbbb2', 'gho_R0t4t3dS3cr3tT0k3nV4lu3ccccc3', 'gho_R0t4t3dS3cr3tT0k3nV4lu3ddddd4']

test('the token an open socket was opened with stays masked after four rotations (short-lived access tokens)', async () => {
  server = await startWsServer()
  const h = hub({ token: OPENED_WITH })
  const url = `${server.url}/ws/projects/p1`
  h.acquire(url, { onEvents: () => {} })
  await waitForStatus(h.watchStatus(url), (s) => s.state === 'open')
  // The provider refreshes its access token every few minutes; the socket stays open on the first.
  for (const token of ROTATIONS) h.setToken(token)
  expect(h.watchStatus(url).getSnapshot().state).toBe('open')
  const [socket] = server.sockets
  // The server quotes the credential this socket authenticated with (it is in its ?token=).
  socket!.close(4000, `session for ${OPENED_WITH} expired`)
  await waitForStatus(h.watchStatus(url), (s) => s.lastCloseCode === 4000)
  // A review found it evicted by the four rotated-in tokens (only the last four were masked).
  expect(String(h.watchStatus(url).getSnapshot().lastCloseReason)).not.toContain(OPENED_WITH)
})
