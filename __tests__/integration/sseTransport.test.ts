/**
 * Issue 23, item 1: the SSE transport keeps the socket layer's promises — one shared stream per
 * key, nothing before the token, the token in a header and never in the URL, resume by
 * `Last-Event-ID`, the server's `retry:` honoured, comment lines as the heartbeat, HTTP refusals as
 * the close codes a socket server would use, `send` only where a REST route is given. Against a
 * real HTTP server on a loopback port, read by the real `fetch`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, expect, test, vi } from 'vitest'
import { keepAlive, SocketHub } from '../../src/transport'
import { sse } from '../../src/transport/sse/sse'
import { fakeSource } from '../helpers/fakeSources'

const TOKEN = 'sse-secret-token-0123456789'

interface Stream {
  request: IncomingMessage
  response: ServerResponse
  send(seq: number, data?: Record<string, unknown>): void
}

const servers: Server[] = []
const hubs: SocketHub[] = []
afterEach(async () => {
  hubs.splice(0).forEach((hub) => hub.dispose())
  await Promise.all(servers.splice(0).map((server) => new Promise((closed) => (server.closeAllConnections(), server.close(closed)))))
})

/** A server whose answer to each stream request the test decides (`onStream`); it records every request. */
async function sseServer(onStream: (stream: Stream, index: number) => void | { status: number }) {
  const streams: Stream[] = []
  const posts: { headers: IncomingMessage['headers']; body: string; url: string }[] = []
  const server = createServer((request, response) => {
    if (request.method === 'POST') {
      let body = ''
      request.on('data', (chunk: Buffer) => (body += chunk))
      request.on('end', () => {
        posts.push({ headers: request.headers, body, url: request.url ?? '' })
        response.writeHead(202).end()
      })
      return
    }
    const stream: Stream = {
      request,
      response,
      send: (seq, data = {}) => response.write(`id: ${seq}\ndata: ${JSON.stringify({ type: 'progress', seq, ...data })}\n\n`),
    }
    streams.push(stream)
    const refusal = onStream(stream, streams.length - 1)
    if (refusal) return void response.writeHead(refusal.status, { 'Content-Type': 'application/json' }).end('{"detail":"no"}')
    response.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store' })
    response.flushHeaders()
  })
  servers.push(server)
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening))
  const { port } = server.address() as AddressInfo
  return { streams, posts, url: `ws://127.0.0.1:${port}/sse/projects/p1` }
}

function hub(options: ConstructorParameters<typeof SocketHub>[0] = {}) {
  const made = new SocketHub({
    token: TOKEN,
    endpointOptions: () => sse({ sendUrl: (stream) => stream.replace('/sse/', '/api/commands/') }),
    reconnect: { initialDelayMs: 5, maxDelayMs: 20 },
    onlineManager: fakeSource(true),
    focusManager: fakeSource(true),
    ...options,
  })
  hubs.push(made)
  return made
}

test('one stream per key, the token in a header and never in the URL, events to every subscriber', async () => {
  const server = await sseServer(() => {})
  const h = hub()
  const seen: number[][] = [[], []]
  const a = h.acquire(server.url, { onEvents: (events) => seen[0]!.push(...events.map((e) => (e as { seq: number }).seq)) })
  const b = h.acquire(server.url, { onEvents: (events) => seen[1]!.push(...events.map((e) => (e as { seq: number }).seq)) })
  await vi.waitFor(() => expect(a.connection.getStatus().state).toBe('open'))
  expect(server.streams).toHaveLength(1)
  const { request } = server.streams[0]!
  expect(request.headers.authorization).toBe(`Bearer ${TOKEN}`)
  expect(request.headers.accept).toBe('text/event-stream')
  expect(request.url).toBe('/sse/projects/p1')
  expect(JSON.stringify(request.headers)).not.toContain('sec-websocket-protocol')
  for (let seq = 1; seq <= 3; seq++) server.streams[0]!.send(seq)
  await vi.waitFor(() => expect(seen).toEqual([[1, 2, 3], [1, 2, 3]]))
  a.release()
  b.release()
})

test('nothing is requested before the token exists; the stream opens once it is given', async () => {
  const server = await sseServer(() => {})
  const h = hub({ token: null })
  const lease = h.acquire(server.url)
  await vi.waitFor(() => expect(lease.connection.getStatus().state).toBe('signed-out'))
  expect(server.streams).toHaveLength(0)
  h.setToken(TOKEN)
  await vi.waitFor(() => expect(lease.connection.getStatus().state).toBe('open'))
  expect(server.streams[0]!.request.headers.authorization).toBe(`Bearer ${TOKEN}`)
  lease.release()
})

test('a dropped stream resumes with Last-Event-ID = the last seq, after at least the retry the server asked for', async () => {
  const server = await sseServer(() => {})
  const h = hub()
  const seqs: number[] = []
  const lease = h.acquire(server.url, { onEvents: (events) => seqs.push(...events.map((e) => (e as { seq: number }).seq)) })
  await vi.waitFor(() => expect(server.streams).toHaveLength(1))
  server.streams[0]!.response.write('retry: 300\n\n')
  for (let seq = 1; seq <= 4; seq++) server.streams[0]!.send(seq)
  await vi.waitFor(() => expect(seqs).toEqual([1, 2, 3, 4]))
  server.streams[0]!.response.end()
  await vi.waitFor(() => expect(lease.connection.getStatus().state).toBe('reconnecting'))
  const status = lease.connection.getStatus()
  // The backoff alone would wait ≤ 20 ms here: the server's 300 ms wins.
  expect(status.nextRetryAt! - Date.now()).toBeGreaterThan(200)
  await vi.waitFor(() => expect(server.streams).toHaveLength(2), { timeout: 5000 })
  const again = server.streams[1]!.request
  expect(again.headers['last-event-id']).toBe('4')
  expect(again.url).toBe('/sse/projects/p1')
  server.streams[1]!.send(5)
  await vi.waitFor(() => expect(seqs).toEqual([1, 2, 3, 4, 5]))
  lease.release()
})

test("the server's retry: is kept across attempts: an attempt refused before its stream (503) still waits at least that long", async () => {
  const server = await sseServer((_stream, index) => (index === 1 ? { status: 503 } : undefined))
  const h = hub()
  const lease = h.acquire(server.url)
  await vi.waitFor(() => expect(server.streams).toHaveLength(1))
  server.streams[0]!.response.write('retry: 400\n\n')
  server.streams[0]!.send(1)
  await vi.waitFor(() => expect(lease.connection.getStatus().state).toBe('open'))
  server.streams[0]!.response.end()
  // The second attempt is answered 503: that socket never read a retry: of its own.
  await vi.waitFor(() => expect(server.streams).toHaveLength(2), { timeout: 5000 })
  await vi.waitFor(() => expect(lease.connection.getStatus()).toMatchObject({ state: 'reconnecting', lastCloseCode: 1013 }))
  // The backoff alone would wait ≤ 20 ms here.
  expect(lease.connection.getStatus().nextRetryAt! - Date.now()).toBeGreaterThan(300)
  lease.release()
})

test.each([
  [401, 'unauthorized'],
  [403, 'unauthorized'],
])('HTTP %i before the stream: the token is refused (%s), onAuthError once, no retry loop', async (status, state) => {
  const server = await sseServer(() => ({ status }))
  const onAuthError = vi.fn()
  const h = hub({ onAuthError })
  const lease = h.acquire(server.url)
  await vi.waitFor(() => expect(lease.connection.getStatus().state).toBe(state))
  expect(onAuthError).toHaveBeenCalledTimes(1)
  expect(JSON.stringify(onAuthError.mock.calls)).not.toContain(TOKEN)
  const requests = server.streams.length
  await new Promise((settled) => setImmediate(settled))
  expect(server.streams.length).toBe(requests)
  lease.release()
})

test('HTTP 503 and 404 are retried with backoff like a failed handshake', async () => {
  const server = await sseServer((_stream, index) => (index < 2 ? { status: index === 0 ? 503 : 404 } : undefined))
  const h = hub()
  const lease = h.acquire(server.url)
  await vi.waitFor(() => expect(lease.connection.getStatus().state).toBe('open'), { timeout: 5000 })
  expect(server.streams).toHaveLength(3)
  expect(lease.connection.getStatus().lastCloseCode).toBe(1006)
  lease.release()
})

test("the server's comment lines keep the stream alive; silence is noticed by the heartbeat", async () => {
  const server = await sseServer(() => {})
  const h = hub({ endpointOptions: () => ({ ...sse(), heartbeat: keepAlive({ intervalMs: 60, timeoutMs: 60 }) }) })
  const lease = h.acquire(server.url)
  await vi.waitFor(() => expect(server.streams).toHaveLength(1))
  await vi.waitFor(() => expect(lease.connection.getStatus().state).toBe('open'))
  // Comments every 20 ms for 10 heartbeat intervals: it stays open.
  let comments = 0
  await new Promise<void>((done) => {
    const timer = setInterval(() => {
      server.streams[0]!.response.write(': ping\n\n')
      if (++comments === 30) {
        clearInterval(timer)
        done()
      }
    }, 20)
  })
  expect(lease.connection.getStatus().state).toBe('open')
  expect(server.streams).toHaveLength(1)
  // Then silence, the connection still up (a half-open link): the heartbeat gives up on it.
  await vi.waitFor(() => expect(lease.connection.getStatus().lastCloseReason).toBe('heartbeat timeout'), { timeout: 5000 })
  lease.release()
})

test('send goes to the REST route given, with the token in its header; without one it answers false', async () => {
  const server = await sseServer(() => {})
  const h = hub()
  const lease = h.acquire(server.url)
  await vi.waitFor(() => expect(lease.connection.getStatus().state).toBe('open'))
  expect(lease.connection.send({ action: 'cancel' })).toBe(true)
  await vi.waitFor(() => expect(server.posts).toHaveLength(1))
  expect(server.posts[0]).toMatchObject({ url: '/api/commands/projects/p1', body: '{"action":"cancel"}' })
  expect(server.posts[0]!.headers.authorization).toBe(`Bearer ${TOKEN}`)
  lease.release()

  const bare = hub({ endpointOptions: () => sse() })
  const other = bare.acquire(server.url.replace('p1', 'p2'))
  await vi.waitFor(() => expect(other.connection.getStatus().state).toBe('open'))
  expect(other.connection.send({ action: 'cancel' })).toBe(false)
  other.release()
})

test("a chunk's events reach each subscriber in one call, in order, with its heartbeat comments counted as frames", async () => {
  const server = await sseServer(() => {})
  const h = hub()
  const calls: number[][] = []
  const a = h.acquire(server.url, { onEvents: (events) => calls.push(events.map((e) => (e as { seq: number }).seq)) })
  await vi.waitFor(() => expect(a.connection.getStatus().state).toBe('open'))
  // One write: it arrives as one chunk on loopback.
  const frame = (seq: number) => `id: ${seq}\ndata: ${JSON.stringify({ type: 'progress', seq })}\n\n`
  server.streams[0]!.response.write(`${frame(1)}: ping\n\n${frame(2)}${frame(3)}`)
  await vi.waitFor(() => expect(calls.flat()).toEqual([1, 2, 3]))
  expect(calls).toEqual([[1, 2, 3]])
  expect(a.connection.stats.framesReceived).toBe(4)
  expect(a.connection.stats.eventsDelivered).toBe(3)
  a.release()
})
