import { focusManager, onlineManager } from '@tanstack/query-core'
import { afterEach, describe, expect, test, vi } from 'vitest'
import { z } from 'zod'
import { SocketHub } from '../../src/core'
import { keepAlive } from '../../src/transport'
import { recordingWebSocket, startWsServer, waitForStatus, type TestServer } from '../helpers/wsServer'

const servers: TestServer[] = []
const hubs: SocketHub[] = []
afterEach(async () => {
  vi.useRealTimers()
  hubs.splice(0).forEach((hub) => hub.dispose())
  await Promise.all(servers.splice(0).map((s) => s.kill().catch(() => {})))
})

async function serve(options: Parameters<typeof startWsServer>[0] = {}) {
  const server = await startWsServer(options)
  servers.push(server)
  return server
}

function hubFor(options: ConstructorParameters<typeof SocketHub>[0] = {}) {
  // The token on the URL: these servers count every message they receive.
  const hub = new SocketHub({ token: 'good', auth: { type: 'query' }, ...options })
  hubs.push(hub)
  return hub
}

const progress = z.object({ type: z.literal('progress'), seq: z.number() })

test('server killed and restarted 20 times while events stream: one live socket per key at every moment, ends connected', async () => {
  const recorder = recordingWebSocket()
  let seq = 0
  let server = await serve()
  const port = server.port
  const url = `ws://127.0.0.1:${port}/ws/projects/p1`
  const hub = hubFor({ WebSocket: recorder.WebSocket, reconnect: { initialDelayMs: 10, maxDelayMs: 80, maxAttempts: 1000 } })
  const received: number[] = []
  const lease = hub.acquire(url, { schema: progress, onEvents: (events) => received.push(...events.map((e) => e.seq)) })
  // A second and third subscriber on the same key must not add sockets.
  hub.acquire(url)
  hub.acquire(url, { schema: progress })

  let seed = 1234
  const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647
  const stream = setInterval(() => server.broadcast({ type: 'progress', seq: ++seq }), 2)
  try {
    for (let round = 0; round < 20; round++) {
      // Each server instance is reached by the client before it dies, then dies at a random point:
      // mid-stream, or before the client has even seen the open.
      await server.waitFor(() => server.sockets.size > 0)
      await new Promise((resolve) => setTimeout(resolve, Math.floor(random() * 30)))
      await server.kill()
      servers.splice(servers.indexOf(server), 1)
      server = await serve({ port })
    }
    const final = await waitForStatus(lease.connection.status, (s) => s.state === 'open')
    expect(final.state).toBe('open')
    const before = received.length
    await new Promise<void>((resolve) => {
      const check = setInterval(() => received.length > before + 5 && (clearInterval(check), resolve()), 1)
    })
  } finally {
    clearInterval(stream)
  }
  expect(recorder.violations).toBe(0)
  expect(recorder.live()).toBe(1)
  expect(server.sockets.size).toBe(1)
  expect(recorder.created.length).toBeGreaterThanOrEqual(21)
  // Events are in order within the life of each socket: never a value twice.
  expect(new Set(received).size).toBe(received.length)
})

test('a server that goes silent without closing is detected after interval + timeout, then the client reconnects', async () => {
  let silent = true
  const server = await serve({
    onConnection: (socket) => {
      socket.on('message', (data) => {
        if (!silent && JSON.parse(String(data)).type === 'ping') socket.send('{"type":"pong"}')
      })
    },
  })
  // Fake only the clock: the sockets are real, the heartbeat's timers are virtual and exact.
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
  const hub = hubFor({ WebSocket: recordingWebSocket().WebSocket, heartbeat: keepAlive({ intervalMs: 25_000, timeoutMs: 10_000 }) })
  const lease = hub.acquire(`${server.url}/ws`)
  await waitForStatus(lease.connection.status, (s) => s.state === 'open')
  await vi.advanceTimersByTimeAsync(25_000)
  await server.waitFor(() => server.messages.length === 1)
  expect(server.messages).toEqual([{ type: 'ping' }])
  await vi.advanceTimersByTimeAsync(9_999)
  expect(lease.connection.getStatus().state).toBe('open')
  await vi.advanceTimersByTimeAsync(1)
  expect(lease.connection.getStatus()).toMatchObject({ state: 'reconnecting', lastCloseReason: 'heartbeat timeout' })
  silent = false
  await vi.advanceTimersByTimeAsync(1000)
  await waitForStatus(lease.connection.status, (s) => s.state === 'open')
  await server.waitFor(() => server.connections === 2)
  // Answered pings keep it open.
  await vi.advanceTimersByTimeAsync(25_000)
  await server.waitFor(() => server.messages.length === 2)
  await new Promise((resolve) => setImmediate(resolve))
  await vi.advanceTimersByTimeAsync(10_000)
  expect(lease.connection.getStatus().state).toBe('open')
})

describe('auth rejection', () => {
  test('close 4401 after the upgrade: exactly one attempt, unauthorized, zero further sockets until the token changes', async () => {
    const server = await serve({
      onConnection: (socket, request) => {
        const token = new URL(request.url!, 'http://x').searchParams.get('token')
        if (token !== 'good') socket.close(4401, 'invalid token')
        else socket.send('{"type":"progress","seq":1}')
      },
    })
    const onAuthError = vi.fn()
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
    const hub = hubFor({ token: 'bad', onAuthError, WebSocket: recordingWebSocket().WebSocket })
    const lease = hub.acquire(`${server.url}/ws`)
    const status = await waitForStatus(lease.connection.status, (s) => s.state === 'unauthorized')
    expect(status).toMatchObject({ lastCloseCode: 4401, lastCloseReason: 'invalid token' })
    await vi.advanceTimersByTimeAsync(30 * 60_000)
    expect(server.connections).toBe(1)
    expect(onAuthError).toHaveBeenCalledTimes(1)
    expect(JSON.stringify(onAuthError.mock.calls)).not.toContain('bad')
    hub.setToken('good')
    await waitForStatus(lease.connection.status, (s) => s.state === 'open')
    expect(server.connections).toBe(2)
  })

  test('an upgrade refused with HTTP 401 looks like 1006: backoff continues until REST marks it unauthorized', async () => {
    const server = await serve({ rejectUpgrade: () => 401 })
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
    const hub = hubFor({ WebSocket: recordingWebSocket().WebSocket, random: () => 1 })
    const lease = hub.acquire(`${server.url}/ws`)
    await waitForStatus(lease.connection.status, (s) => s.state === 'reconnecting')
    expect(lease.connection.getStatus()).toMatchObject({ attempt: 1, lastCloseCode: 1006 })
    await vi.advanceTimersByTimeAsync(1000)
    await waitForStatus(lease.connection.status, (s) => s.state === 'reconnecting' && s.attempt === 2)
    expect(server.connections).toBe(2)
    hub.markUnauthorized('REST answered 401')
    expect(lease.connection.getStatus().state).toBe('unauthorized')
    await vi.advanceTimersByTimeAsync(30 * 60_000)
    expect(server.connections).toBe(2)
  })
})

test('50 subscribers → 1 server connection, each gets every event', async () => {
  const server = await serve()
  const hub = hubFor({ WebSocket: recordingWebSocket().WebSocket })
  const counts = new Array(50).fill(0)
  const leases = counts.map((_, i) => hub.acquire(`${server.url}/ws/projects/p1`, { schema: progress, onEvents: (e) => (counts[i] += e.length) }))
  await waitForStatus(leases[0]!.connection.status, (s) => s.state === 'open')
  server.broadcast({ type: 'batch', events: [1, 2, 3].map((seq) => ({ type: 'progress', seq })) })
  await new Promise<void>((resolve) => {
    const check = () => (counts.every((c) => c === 3) ? resolve() : setImmediate(check))
    check()
  })
  expect(server.connections).toBe(1)
  expect(server.sockets.size).toBe(1)
})

test('1,000 subscribe/release cycles leave 0 sockets, 0 timers and 0 listeners', async () => {
  const server = await serve()
  const recorder = recordingWebSocket()
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] })
  const hub = hubFor({ WebSocket: recorder.WebSocket })
  const url = `${server.url}/ws/projects/p1`
  for (let cycle = 0; cycle < 1000; cycle++) {
    const lease = hub.acquire(url, { schema: progress, onEvents: () => {} })
    if (cycle % 50 === 0) await waitForStatus(lease.connection.status, (s) => s.state === 'open')
    lease.release()
    // Every tenth cycle lets the idle grace period run out, so sockets really close and reopen.
    if (cycle % 10 === 9) await vi.advanceTimersByTimeAsync(1000)
  }
  await vi.advanceTimersByTimeAsync(1000)
  expect(hub.size).toBe(0)
  expect(recorder.created.length).toBe(100)
  await server.waitFor(() => server.sockets.size === 0)
  await new Promise<void>((resolve) => {
    const check = () => (recorder.live() === 0 ? resolve() : setImmediate(check))
    check()
  })
  expect(recorder.live()).toBe(0)
  expect(vi.getTimerCount()).toBe(0)
  expect(onlineManager.hasListeners()).toBe(false)
  expect(focusManager.hasListeners()).toBe(false)
  expect(recorder.violations).toBe(0)
})
