/**
 * Review of bfee74e (SSE client): the per-URL state it shared between a constructor's sockets (the
 * `id:` it kept, since dropped: the position is the connection's), a refusal's `Retry-After`, and the
 * ping filter of `send`. Real `node:http` servers
 * on loopback, the real `SocketHub` and `sse()`; no sleeps (events and `vi.waitFor`).
 */
import type { ServerResponse } from 'node:http'
import { afterEach, expect, test, vi } from 'vitest'
import { keepAlive } from '../../src/transport'
import { sse } from '../../src/transport/sse/sse'
import { SseSocket } from '../../src/transport/sse/sseSocket'
import { sseTransport } from '../../src/sync/sseTransport'
import { closeRawSseServers, disposeSseTestHubs, openStream, rawSseServer, sseTestHub } from '../helpers/rawSseServer'

const TOKEN_A = 'eyJhbGciOiJIUzI1NiJ9.review-user-a-token'
const TOKEN_B = 'eyJhbGciOiJIUzI1NiJ9.review-user-b-token'

afterEach(async () => {
  disposeSseTestHubs()
  await closeRawSseServers()
})

/** What the package's own route handler (`resumePosition`, src/next/httpAnswers.ts) accepts as `Last-Event-ID`. */
const acceptedResume = (value: string | undefined) => value === undefined || (/^\d{1,16}$/.test(value) && Number.isSafeInteger(Number(value)))

// ---------------------------------------------------------------------------------------------
// What one `sse()` (one `sseTransport()`) keeps per URL is shared by everything made from it.

test("review: two hubs (two users) sharing one sseTransport(): the second user's first stream does not resume from the first user's stream", async () => {
  const server = await rawSseServer((request, response) => {
    openStream(response)
    // User A's stream has seen up to seq 10; user B's stream has seen nothing yet.
    if (request.headers.authorization === `Bearer ${TOKEN_A}`) response.write('id: 10\ndata: {"type":"progress","seq":10}\n\n')
  })
  // One transport spread into two providers (or two per-user clients in one Node process): the
  // documented `{...sseTransport()}` made once at module level.
  const transport = sseTransport()
  transport.endpoints.indexSocket!('p1')
  const shared = transport.endpointOptions(server.url)!
  expect(shared).toBeDefined()
  const a = sseTestHub({ token: TOKEN_A, endpointOptions: () => shared })
  const b = sseTestHub({ token: TOKEN_B, endpointOptions: () => shared })
  const gotA: unknown[] = []
  const leaseA = a.acquire(server.url, { onEvents: (events) => gotA.push(...events) })
  await vi.waitFor(() => expect(gotA).toHaveLength(1))
  const leaseB = b.acquire(server.url, { onEvents: () => {} })
  await vi.waitFor(() => expect(server.requests).toHaveLength(2))
  const second = server.requests[1]!
  expect(second.headers.authorization).toBe(`Bearer ${TOKEN_B}`)
  // B's connection never received a frame (its decoder's maxSeq is 0): a first connection, which
  // asks for a snapshot. It went with A's position: the server replays after A's seq 10 instead of
  // sending B's state, and B's own position is never asked for.
  expect(second.headers['last-event-id']).toBeUndefined()
  leaseA.release()
  leaseB.release()
})

test('review: a second hub on the same sse() endpoint whose stream dropped resumes from its own position, not from the other hub that read further', async () => {
  let bCut!: () => void
  let aResponse!: ServerResponse
  const server = await rawSseServer((request, response, index) => {
    openStream(response)
    if (request.headers.authorization === `Bearer ${TOKEN_A}`) {
      aResponse = response
      response.write('id: 3\ndata: {"type":"progress","seq":3}\n\n')
      return
    }
    if (index === 1) {
      // B's first stream: seq 3, then dropped.
      response.write('id: 3\ndata: {"type":"progress","seq":3}\n\n')
      bCut = () => response.destroy()
    }
  })
  const shared = sse()
  const a = sseTestHub({ token: TOKEN_A, endpointOptions: () => shared })
  const b = sseTestHub({ token: TOKEN_B, endpointOptions: () => shared })
  const gotA: unknown[] = []
  const gotB: unknown[] = []
  const leaseA = a.acquire(server.url, { onEvents: (events) => gotA.push(...events) })
  await vi.waitFor(() => expect(gotA).toHaveLength(1))
  const leaseB = b.acquire(server.url, { onEvents: (events) => gotB.push(...events) })
  await vi.waitFor(() => expect(gotB).toHaveLength(1))
  // A reads on (seq 10 on A's stream only: another user's jobs, or B is slower).
  aResponse.write('id: 10\ndata: {"type":"progress","seq":10}\n\n')
  await vi.waitFor(() => expect(gotA).toHaveLength(2))
  bCut()
  await vi.waitFor(() => expect(server.requests.length).toBeGreaterThanOrEqual(3))
  // B took seq 3 and nothing after: its resume point is 3. Sending A's 10 skips 4..10 on B.
  expect(server.requests[2]!.headers.authorization).toBe(`Bearer ${TOKEN_B}`)
  expect(server.requests[2]!.headers['last-event-id']).toBe('3')
  leaseA.release()
  leaseB.release()
})

test('review: a connection disposed while it waits to reconnect leaves no position behind: the next, fresh connection to that URL (no position of its own) does not resume', async () => {
  const server = await rawSseServer((_request, response, index) => {
    openStream(response)
    // The first stream says seq 5 and ends (a deploy, a host's cap on a function's duration).
    if (index === 0) response.end('id: 5\ndata: {"type":"progress","seq":5}\n\n')
  })
  const shared = sse()
  // A long backoff: the connection sits in `reconnecting` with no socket when its view leaves.
  const h = sseTestHub({ token: TOKEN_A, endpointOptions: () => shared, idleCloseMs: 0, reconnect: { initialDelayMs: 60_000, maxDelayMs: 60_000 } })
  const got: unknown[] = []
  const lease = h.acquire(server.url, { onEvents: (events) => got.push(...events) })
  await vi.waitFor(() => expect(lease.connection.getStatus().state).toBe('reconnecting'))
  expect(got).toHaveLength(1)
  lease.release()
  await vi.waitFor(() => expect(lease.connection.getStatus().state).toBe('idle'))
  // Later (minutes, hours: the map lives as long as the transport), the project is opened again.
  const again = h.acquire(server.url, { onEvents: () => {} })
  expect(again.connection).not.toBe(lease.connection)
  await vi.waitFor(() => expect(server.requests).toHaveLength(2))
  // A new connection asks for a snapshot (no `since`), as it does when its stream was closed with
  // 1000. The entry was deleted only by `close(1000)`, which a connection without a socket never calls.
  expect(server.requests[1]!.headers['last-event-id']).toBeUndefined()
  again.release()
})

// ---------------------------------------------------------------------------------------------
// An `id:` the client keeps but no server takes back wedges the endpoint.

test.each([
  ['a 64-bit seq (20 digits, past 2^53)', '18446744073709551615'],
  ['20,000 digits (past any server header limit)', '9'.repeat(20_000)],
])("review: one `id:` of %s that no server takes back as Last-Event-ID: the client still gets its stream back", async (_name, id) => {
  const server = await rawSseServer((request, response, index) => {
    // The package's own route handler answers 400 for a Last-Event-ID it cannot read (node:http
    // itself answers 431 for a header past 16 KiB, before this handler).
    if (!acceptedResume(request.headers['last-event-id'] as string | undefined)) return void response.writeHead(400, { 'Content-Type': 'application/json' }).end('{"detail":"bad Last-Event-ID"}')
    openStream(response)
    // The frames carry their own safe seq; the stream's `id:` is another position (a relay's, a
    // snowflake) and the stream ends.
    if (index === 0) response.end(`id: ${id}\ndata: {"type":"progress","seq":1}\n\n`)
  })
  const shared = sse()
  const h = sseTestHub({ token: TOKEN_A, endpointOptions: () => shared, reconnect: { initialDelayMs: 5, maxDelayMs: 20, maxAttempts: 4 } })
  const states: string[] = []
  const lease = h.acquire(server.url, { onEvents: () => {} })
  lease.connection.status.subscribe((status) => states.push(status.state))
  // (A header past 16 KiB is answered 431 by node:http itself: such a request never reaches `requests`.)
  // Either it reopens, or it gives up for good (every attempt sends the same id: no stream opens,
  // so nothing replaces it, and only `close(1000)` deletes it).
  await vi.waitFor(() => expect(states.filter((s) => s === 'open' || s === 'closed').length).toBeGreaterThanOrEqual(2), { timeout: 5000 })
  expect(states.filter((s) => s === 'open' || s === 'closed').slice(0, 2)).toEqual(['open', 'open'])
  lease.release()
})

// ---------------------------------------------------------------------------------------------
// Retry-After: "a floor for the next attempt only".

test("review: a refusal's Retry-After is a floor for the next attempt only, not for the attempts after it that fail without one", async () => {
  const server = await rawSseServer((_request, response, index) => {
    if (index === 0) return void response.writeHead(503, { 'Content-Type': 'application/json', 'Retry-After': '1' }).end('{"detail":"later"}')
    // The next attempt reaches a proxy that answers 502 with no Retry-After.
    if (index === 1) return void response.writeHead(502).end()
    openStream(response)
  })
  const h = sseTestHub({ token: TOKEN_A, endpointOptions: () => sse() })
  const lease = h.acquire(server.url, { onEvents: () => {} })
  const losses: { code: number | null; wait: number }[] = []
  lease.connection.status.subscribe((status) => {
    if (status.state === 'reconnecting' && status.nextRetryAt !== null && losses.length < 2 && losses.at(-1)?.code !== status.lastCloseCode) losses.push({ code: status.lastCloseCode, wait: status.nextRetryAt - Date.now() })
  })
  await vi.waitFor(() => expect(losses).toHaveLength(2), { timeout: 5000 })
  expect(losses[0]!.wait).toBeGreaterThan(900)
  // The backoff alone is ≤ 20 ms here. The 503's 1 s was for the attempt after it.
  expect(losses[1]!.wait).toBeLessThan(500)
  lease.release()
})

// ---------------------------------------------------------------------------------------------
// `send`'s ping filter: `/^\{"\w+":"ping"\}$/`.

test("review: the keep-alive ping of a hub whose discriminator is `@type` (JSON-LD) is not POSTed as a command", async () => {
  const server = await rawSseServer((_request, response) => openStream(response))
  const sent = vi.spyOn(SseSocket.prototype, 'send')
  const h = sseTestHub({
    token: TOKEN_A,
    discriminator: '@type',
    heartbeat: keepAlive({ intervalMs: 20, timeoutMs: 5000 }),
    endpointOptions: () => sse({ sendUrl: (stream) => stream.replace('/sse/', '/api/commands/') }),
  })
  const lease = h.acquire(server.url, { onEvents: () => {} })
  await vi.waitFor(() => expect(lease.connection.getStatus().state).toBe('open'))
  // 20 ms of silence: the keep-alive pings, `{"@type":"ping"}`.
  await vi.waitFor(() => expect(sent).toHaveBeenCalledWith('{"@type":"ping"}'))
  sent.mockRestore()
  // Let a POST, if any, reach the server: one more command that must arrive, after the ping.
  lease.connection.send({ '@type': 'cancel' })
  await vi.waitFor(() => expect(server.posts.some((post) => post.body.includes('cancel'))).toBe(true))
  expect(server.posts.map((post) => post.body).filter((body) => body.includes('ping'))).toEqual([])
  lease.release()
})
