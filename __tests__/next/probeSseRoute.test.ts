/**
 * Probes of the route handler (`live-status/next`): mounted in a real `node:http` server (the way
 * Next.js's Node runtime serves it: `request.signal` aborted when the socket closes, the body
 * written with back-pressure), and read by the real `live-status/sse` client.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, expect, test, vi } from 'vitest'
import { createSseRouteHandler, jobSource, type ProjectEventSource, type SourceContext, type SseRouteHandler } from '../../src/next'
import { SocketHub } from '../../src/transport'
import { sse } from '../../src/transport/sse/sse'
import { disposeSseTestHubs, sseTestHub } from '../helpers/rawSseServer'
import { aborted, bodyReader, handler, paramsOf, streamRequest, TOKEN } from './support'

const servers: Server[] = []
afterEach(async () => {
  vi.useRealTimers()
  disposeSseTestHubs()
  await Promise.all(servers.splice(0).map((server) => new Promise((closed) => (server.closeAllConnections(), server.close(closed)))))
})

/** `GET` served by `node:http` at `/api/live/:projectId`, as Next.js's Node runtime serves a route handler. */
async function mount(route: SseRouteHandler) {
  const requests: IncomingMessage[] = []
  const server = createServer(async (req, res) => {
    requests.push(req)
    const client = new AbortController()
    res.on('close', () => client.abort())
    const headers = new Headers()
    for (const [name, value] of Object.entries(req.headers)) if (typeof value === 'string') headers.set(name, value)
    const request = new Request(`http://${req.headers.host}${req.url}`, { headers, signal: client.signal })
    const projectId = decodeURIComponent(/^\/api\/live\/([^/?]+)/.exec(req.url ?? '')?.[1] ?? '')
    const response = await route.GET(request, paramsOf(projectId))
    res.writeHead(response.status, Object.fromEntries(response.headers))
    res.flushHeaders()
    if (!response.body) return void res.end()
    const reader = response.body.getReader()
    client.signal.addEventListener('abort', () => void reader.cancel().catch(() => {}), { once: true })
    try {
      for (;;) {
        const { done, value } = await reader.read()
        if (done) break
        if (!res.write(value)) await new Promise((drained) => res.once('drain', drained))
      }
    } catch {
      // Cancelled: the client left.
    }
    res.end()
  })
  servers.push(server)
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening))
  const { port } = server.address() as AddressInfo
  return { requests, url: (projectId = 'p1') => `ws://127.0.0.1:${port}/api/live/${projectId}` }
}

const hub = (options: ConstructorParameters<typeof SocketHub>[0] = {}) => sseTestHub({ token: TOKEN, endpointOptions: () => sse(), ...options })

test("a source's own `seq`, put in its events as docs/sse.md says, comes back as Last-Event-ID on the live-status client's reconnect", async () => {
  // The recipe of docs/sse.md: `yield { seq: row.seq, event: { ...row.payload, seq: row.seq } }`. (The
  // client does not read `id:` lines: the position is the connection's, moved by events it took.)
  const rows = [
    { seq: 101, payload: { type: 'progress', jobId: 'j1', percent: 10 } },
    { seq: 102, payload: { type: 'progress', jobId: 'j1', percent: 20 } },
    { seq: 103, payload: { type: 'progress', jobId: 'j1', percent: 30 } },
  ]
  const seen: (number | undefined)[] = []
  const source: ProjectEventSource = async function* (_projectId, { since }) {
    seen.push(since)
    for (const row of rows) if (row.seq > (since ?? 0)) yield { seq: row.seq, event: { ...row.payload, seq: row.seq } }
    // The host's cap on a function's duration: the response ends, the client reconnects.
  }
  const route = createSseRouteHandler({ authenticate: (token) => (token === TOKEN ? { id: 'u1' } : null), authorize: () => true, source, retryMs: 0, onError: () => {} })
  const server = await mount(route)
  const h = hub()
  const got: unknown[] = []
  const lease = h.acquire(server.url(), { onEvents: (events) => got.push(...events) })
  await vi.waitFor(() => expect(seen.length).toBeGreaterThanOrEqual(2))
  lease.release()
  expect(got.slice(0, 3)).toEqual(rows.map((row) => ({ ...row.payload, seq: row.seq })))
  // The reconnect resumes after the last event taken.
  expect(server.requests[1]!.headers['last-event-id']).toBe('103')
  expect(seen[1]).toBe(103)
})

test('probe: a comment line goes out within heartbeatMs of the last event, not up to twice that', async () => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'setInterval', 'clearTimeout', 'clearInterval', 'Date'] })
  let emit!: () => void
  const source: ProjectEventSource = async function* (_projectId, { signal }) {
    for (let seq = 1; !signal.aborted; seq++) {
      await new Promise<void>((resolve) => (emit = resolve))
      yield { event: { type: 'progress', seq } }
    }
  }
  const { GET } = handler({ source, heartbeatMs: 1000 })
  const body = bodyReader(await GET(streamRequest(), paramsOf('p1')))
  await body.until((t) => t.startsWith('retry:'))
  // An event just after a heartbeat tick.
  await vi.advanceTimersByTimeAsync(1010)
  const pings = () => (body.text.match(/^: ping$/gm) ?? []).length
  // The tick's own ping (nothing was written before it), read before the event goes.
  await body.until(() => pings() === 1)
  const before = pings()
  emit()
  await body.until((t) => t.includes('"seq":1'))
  const eventAt = Date.now()
  // heartbeatMs (plus a tick's slack) of silence after it: a comment must have gone out, since the
  // docs promise `: ping` after heartbeatMs without events (kept under a proxy's idle timeout).
  const reading = body.until(() => pings() > before)
  await vi.advanceTimersByTimeAsync(1100)
  const late = await Promise.race([reading.then(() => false), new Promise<boolean>((resolve) => setImmediate(() => resolve(true)))])
  expect({ silentFor: Date.now() - eventAt, pinged: !late }).toEqual({ silentFor: 1100, pinged: true })
  await vi.advanceTimersByTimeAsync(1000)
  await reading
  await body.cancel()
})

test('probe (held?): a client disconnecting from a node:http-mounted route releases the source, its subscription and the user slot', async () => {
  const contexts: SourceContext[] = []
  let subscribed = 0
  const source = jobSource((_projectId, context) => {
    contexts.push(context)
    subscribed++
    return () => void subscribed--
  })
  const route = createSseRouteHandler({ authenticate: (token) => (token === TOKEN ? { id: 'u1' } : null), authorize: () => true, source, maxStreamsPerUser: 1, onError: () => {} })
  const server = await mount(route)
  const h = hub()
  const lease = h.acquire(server.url())
  await vi.waitFor(() => expect(lease.connection.getStatus().state).toBe('open'))
  expect(subscribed).toBe(1)
  lease.release()
  h.dispose()
  await vi.waitFor(() => expect(subscribed).toBe(0))
  await Promise.all(contexts.map((context) => aborted(context.signal)))
  // The slot is back: a second client of the same user opens at once.
  const again = hub()
  const second = again.acquire(server.url())
  await vi.waitFor(() => expect(second.connection.getStatus().state).toBe('open'))
  second.release()
})
