/**
 * Probes of the SSE client (`live-status/sse`) against a real `node:http` server on a loopback
 * port that writes the stream by hand: what a demanding user and an attacker would try.
 */
import fc from 'fast-check'
import { afterEach, expect, test, vi } from 'vitest'
import { keepAlive, SocketHub } from '../../src/transport'
import { sse } from '../../src/transport/sse/sse'
import { SseSocket, sseSocketConstructor } from '../../src/transport/sse/sseSocket'
import { closeRawSseServers, disposeSseTestHubs, openStream, rawSseServer, sseTestHub } from '../helpers/rawSseServer'

const TOKEN = 'eyJhbGciOiJIUzI1NiJ9.probe-sse-secret-token'
const NEW_TOKEN = 'eyJhbGciOiJIUzI1NiJ9.probe-sse-rotated-token'

afterEach(async () => {
  disposeSseTestHubs()
  await closeRawSseServers()
})

const hub = (options: ConstructorParameters<typeof SocketHub>[0] = {}) => sseTestHub({ token: TOKEN, endpointOptions: () => sse(), ...options })

test.each([429, 503])('probe: HTTP %i with Retry-After: the client waits at least that long before the next attempt', async (status) => {
  const server = await rawSseServer((_request, response, index) => {
    if (index === 0) return void response.writeHead(status, { 'Content-Type': 'application/json', 'Retry-After': '3' }).end('{"detail":"later"}')
    openStream(response)
  })
  const h = hub()
  const lease = h.acquire(server.url)
  // The first loss as the status showed it, whenever the test looks.
  let refused: { nextRetryAt: number | null; at: number } | undefined
  lease.connection.status.subscribe((status) => {
    if (!refused && status.lastCloseCode === 1013) refused = { nextRetryAt: status.nextRetryAt, at: Date.now() }
  })
  await vi.waitFor(() => expect(refused).toBeDefined())
  // The backoff alone waits ≤ 20 ms here; the server said 3 s. Before, the next attempt went at once.
  expect(refused!.nextRetryAt! - refused!.at).toBeGreaterThan(2000)
  expect(server.requests).toHaveLength(1)
  lease.release()
})

test('probe: after the token rotates, commands posted to sendUrl carry the current token, not the one the stream opened with', async () => {
  const server = await rawSseServer((_request, response) => openStream(response))
  const h = hub({ endpointOptions: () => sse({ sendUrl: (stream) => stream.replace('/sse/', '/api/commands/') }) })
  const lease = h.acquire(server.url)
  await vi.waitFor(() => expect(lease.connection.getStatus().state).toBe('open'))
  h.setToken(NEW_TOKEN)
  expect(lease.connection.send({ action: 'cancel' })).toBe(true)
  await vi.waitFor(() => expect(server.posts).toHaveLength(1))
  // The old token may be revoked by now (that is why it rotated): the REST route answers 401, and
  // `send` said true.
  expect(server.posts[0]!.headers.authorization).toBe(`Bearer ${NEW_TOKEN}`)
  lease.release()
})

test('probe: the keep-alive ping of a hub whose discriminator is not `type` is never POSTed to the command route', async () => {
  const server = await rawSseServer((_request, response) => openStream(response))
  const fetches: { url: string; method: string; body: unknown }[] = []
  const fetchSpy: typeof fetch = (input, init) => {
    fetches.push({ url: String(input), method: init?.method ?? 'GET', body: init?.body })
    return fetch(input, init)
  }
  const sent = vi.spyOn(SseSocket.prototype, 'send')
  const h = hub({
    discriminator: 'op',
    heartbeat: keepAlive({ intervalMs: 20, timeoutMs: 5000 }),
    endpointOptions: () => sse({ fetch: fetchSpy, sendUrl: (stream) => stream.replace('/sse/', '/api/commands/') }),
  })
  const lease = h.acquire(server.url)
  await vi.waitFor(() => expect(lease.connection.getStatus().state).toBe('open'))
  // The keep-alive pings after 20 ms of silence: `{"op":"ping"}`.
  await vi.waitFor(() => expect(sent).toHaveBeenCalledWith('{"op":"ping"}'))
  sent.mockRestore()
  // A ping is no command: a server that answers with comments needs none. Before, it was POSTed.
  expect(fetches.filter((f) => f.method === 'POST')).toEqual([])
  lease.release()
})

test('probe: a cross-origin redirect never carries the token to the other origin', async () => {
  const other = await rawSseServer((_request, response) => openStream(response))
  const server = await rawSseServer((_request, response) => void response.writeHead(307, { Location: `${other.http}/sse/projects/p1` }).end())
  const h = hub()
  const lease = h.acquire(server.url)
  await vi.waitFor(() => expect(other.requests.length).toBeGreaterThan(0))
  expect(other.requests[0]!.headers.authorization).toBeUndefined()
  lease.release()
})

/**
 * The bytes of a stream cut at generated places, fed through the real `SseSocket` (its `fetch`
 * replaced by one answering a `ReadableStream` of exactly those chunks): every event must arrive,
 * whatever the cuts, the line endings, the BOM and the multi-byte characters.
 */
test('probe: generated streams (CR/LF/CRLF, BOM, multi-byte UTF-8, comments, id with NUL, absurd retry) cut at every byte boundary lose no event', async () => {
  const payload = fc.constantFrom('a', 'é', '€', '𝄞', '日本', ' ', ':', '\u2028', 'x'.repeat(5))
  const line = fc.constantFrom('\n', '\r', '\r\n')
  const noise = fc.oneof(
    fc.constant(': ping'),
    fc.constant(':'),
    fc.constant('id: 4\u00002'),
    fc.constant('id'),
    fc.constant('event: progress'),
    fc.constant('retry: 99999999999999999999999'),
    fc.constant('retry: -1'),
    fc.constant('retry'),
    fc.constant('unknown: field'),
  )
  const eventArb = fc.record({ text: fc.array(payload, { maxLength: 4 }).map((parts) => parts.join('')), noise: fc.array(noise, { maxLength: 2 }), nospace: fc.boolean(), eol: line })
  await fc.assert(
    fc.asyncProperty(fc.boolean(), fc.array(eventArb, { minLength: 1, maxLength: 6 }), fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 40 }), async (bom, events, cuts) => {
      let text = bom ? '\uFEFF' : ''
      events.forEach(({ text: t, noise: n, nospace, eol }, seq) => {
        for (const l of n) text += l + eol
        text += `data:${nospace ? '' : ' '}${JSON.stringify({ type: 'progress', seq: seq + 1, t })}${eol}${eol}`
      })
      const bytes = new TextEncoder().encode(text)
      const chunks: Uint8Array[] = []
      for (let at = 0, i = 0; at < bytes.length; i++) {
        const size = cuts[i % cuts.length]!
        chunks.push(bytes.slice(at, at + size))
        at += size
      }
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          for (const chunk of chunks) controller.enqueue(chunk)
          controller.close()
        },
      })
      const fetch = async () => new Response(body, { status: 200, headers: { 'Content-Type': 'text/event-stream' } })
      const got: unknown[] = []
      const socket = new SseSocket('http://x.test/sse/projects/p1', ['bearer', TOKEN], { fetch })
      socket.onmessage = ({ data }) => got.push(...(data as string[]).filter((frame) => frame !== '{"type":"pong"}').map((frame) => JSON.parse(frame)))
      await new Promise<void>((closed) => (socket.onclose = () => closed()))
      expect(got).toEqual(events.map(({ text: t }, seq) => ({ type: 'progress', seq: seq + 1, t })))
    }),
    { seed: 20261206, numRuns: 300 },
  )
})

test('probe (held): a server that never answers the headers is given up on by connectTimeoutMs; each refusal shows its step, never the token', async () => {
  const server = await rawSseServer((request, response, index) => {
    if (index === 0) return // never answers
    const echo = `{"detail":"bad ${request.headers.authorization}"}`
    if (index === 1) return void response.writeHead(500, { 'Content-Type': 'application/json', 'X-Echo': String(request.headers.authorization) }).end(echo)
    if (index === 2) return void response.writeHead(200, { 'Content-Type': 'text/html' }).end(echo)
    if (index === 3) return void response.writeHead(404).end(echo)
    if (index === 4) return void response.writeHead(401, { 'WWW-Authenticate': `Bearer error="${request.headers.authorization}"` }).end(echo)
  })
  const onHandshakeError = vi.fn()
  const onAuthError = vi.fn()
  const h = hub({ connectTimeoutMs: 100, onHandshakeError, onAuthError })
  const lease = h.acquire(server.url)
  const seen: unknown[] = []
  lease.connection.status.subscribe((status) => seen.push(status))
  await vi.waitFor(() => expect(lease.connection.getStatus().state).toBe('unauthorized'), { timeout: 5000 })
  const closes = seen.map((status) => (status as { lastCloseCode: number | null; lastCloseReason: string | null; state: string })).filter((s) => s.state === 'reconnecting' || s.state === 'unauthorized')
  expect(closes.map((s) => [s.lastCloseCode, s.lastCloseReason])).toEqual(expect.arrayContaining([[4000, 'connect timeout'], [1006, 'HTTP 500'], [1006, 'HTTP 200'], [1006, 'HTTP 404'], [4401, 'HTTP 401']]))
  expect(JSON.stringify([seen, onHandshakeError.mock.calls, onAuthError.mock.calls])).not.toContain(TOKEN.slice(8, 24))
  expect(onAuthError).toHaveBeenCalledTimes(1)
  lease.release()
})

test('probe (held): a stream that stalls after its headers (no bytes, no comments) is closed by the keep-alive and resumed', async () => {
  const server = await rawSseServer((_request, response, index) => {
    openStream(response)
    if (index === 0) response.write('id: 5\ndata: {"type":"progress","seq":5}\n\n')
  })
  const h = hub({ heartbeat: keepAlive({ intervalMs: 40, timeoutMs: 40 }) })
  const lease = h.acquire(server.url, { onEvents: () => {} })
  await vi.waitFor(() => expect(server.requests).toHaveLength(2), { timeout: 5000 })
  expect(lease.connection.getStatus().lastCloseReason).toBe('heartbeat timeout')
  expect(server.requests[1]!.headers['last-event-id']).toBe('5')
  lease.release()
})

test("probe: a stream's ids of any shape (NUL, non-ASCII, a number) never reach Last-Event-ID: the position is the frames' seq; a new connection is not resumed", async () => {
  const server = await rawSseServer((_request, response, index) => {
    openStream(response)
    if (index === 0) response.end('id: 7\ndata: {"type":"progress","seq":1}\n\nid: 8\u00009\ndata: {"type":"progress","seq":2}\n\nid: 日本\ndata: {"type":"progress","seq":3}\n\n')
    if (index === 1) response.write('id: 12\ndata: {"type":"progress","seq":4}\n\n')
  })
  const h = hub({ idleCloseMs: 0 })
  const seqs: number[] = []
  const lease = h.acquire(server.url, { onEvents: (events) => seqs.push(...events.map((e) => (e as { seq: number }).seq)) })
  await vi.waitFor(() => expect(seqs).toEqual([1, 2, 3, 4]))
  // The last seq taken, whatever the `id:` lines said (one shared by every connection of the
  // constructor resumed one hub's stream from another's: a review of bfee74e).
  expect(server.requests[1]!.headers['last-event-id']).toBe('3')
  lease.release()
  await vi.waitFor(() => expect(lease.connection.getStatus().state).toBe('idle'))
  const again = h.acquire(server.url)
  await vi.waitFor(() => expect(server.requests).toHaveLength(3))
  expect(server.requests[2]!.headers['last-event-id']).toBeUndefined()
  again.release()
})

test("a refusal's Retry-After is a floor for the next attempt only; a stream's retry: stays from stream to stream", async () => {
  const answers = [
    new Response('{"detail":"later"}', { status: 429, headers: { 'Retry-After': '3' } }),
    new Response(': hello\n\n', { headers: { 'Content-Type': 'text/event-stream' } }),
    new Response('retry: 50\n\n', { headers: { 'Content-Type': 'text/event-stream' } }),
    new Response(': hello\n\n', { headers: { 'Content-Type': 'text/event-stream' } }),
  ]
  const Socket = sseSocketConstructor({ fetch: async () => answers.shift()! })
  const waits: (number | undefined)[] = []
  for (let i = 0; i < 4; i++) {
    const socket = new Socket('ws://127.0.0.1:1/sse/projects/p1') as SseSocket
    await new Promise<void>((closed) => (socket.onclose = () => closed()))
    waits.push(socket.retryMs)
  }
  // Before: 3000 for every later attempt too (the connection keeps a socket's wait while the next
  // one names none), though the server that refused once then answered.
  expect(waits).toEqual([3000, 0, 50, 50])
})
