/**
 * The relay: the route handler with `referenceServerSource`, against a small real SSE server on a
 * loopback port that speaks the reference server's contract (`GET /sse/projects/{id}`, Bearer
 * header, `Last-Event-ID`, `id:` + `data:` lines, comment pings, `retry:`).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, expect, test, vi } from 'vitest'
import { referenceServerSource } from '../../src/next'
import { bodyReader, dataOf, handler, paramsOf, streamRequest, TOKEN } from './support'

const SERVICE_TOKEN = 'service-token-abcdefghijklmnop'

interface Upstream {
  request: IncomingMessage
  response: ServerResponse
  closed: boolean
}

const servers: Server[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((closed) => (server.closeAllConnections(), server.close(closed)))))
})

/** An upstream whose answer to each stream request `answer` decides (a refusal status, or the stream). */
async function upstreamServer(answer: (upstream: Upstream) => void | { status: number } = () => {}) {
  const streams: Upstream[] = []
  const server = createServer((request, response) => {
    const upstream: Upstream = { request, response, closed: false }
    streams.push(upstream)
    request.on('close', () => (upstream.closed = true))
    response.on('close', () => (upstream.closed = true))
    const refusal = answer(upstream)
    if (refusal) return void response.writeHead(refusal.status, { 'Content-Type': 'application/json' }).end('{"detail":"no"}')
    response.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store' })
    response.write('retry: 2000\n\n')
  })
  servers.push(server)
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening))
  const { port } = server.address() as AddressInfo
  return { streams, url: `http://127.0.0.1:${port}` }
}

const send = (upstream: Upstream, seq: number, extra: Record<string, unknown> = {}) =>
  upstream.response.write(`id: ${seq}\ndata: ${JSON.stringify({ type: 'progress', seq, ...extra })}\n\n`)

test('relays the upstream events with their ids; the service token goes upstream, the user token never does', async () => {
  const server = await upstreamServer()
  const { GET, errors } = handler({ source: referenceServerSource({ url: server.url, token: SERVICE_TOKEN }) })
  const body = bodyReader(await GET(streamRequest('/api/live/p1'), paramsOf('p1')))
  await vi.waitFor(() => expect(server.streams).toHaveLength(1))
  const { request } = server.streams[0]!
  expect(request.url).toBe('/sse/projects/p1')
  expect(request.headers.authorization).toBe(`Bearer ${SERVICE_TOKEN}`)
  expect(request.headers.accept).toBe('text/event-stream')
  expect(request.headers['last-event-id']).toBeUndefined()
  expect(JSON.stringify(request.headers)).not.toContain(TOKEN)

  const upstream = server.streams[0]!
  send(upstream, 1, { percent: 10 })
  // An event cut across writes, a comment, a CRLF event, a batch frame.
  upstream.response.write('id: 2\ndata: {"type":"progress",')
  upstream.response.write('"seq":2}\n\n: ping\n\n')
  upstream.response.write('id: 3\r\ndata: {"type":"progress","seq":3}\r\n\r\n')
  upstream.response.write(`id: 5\ndata: ${JSON.stringify({ type: 'batch', events: [{ type: 'progress', seq: 4 }, { type: 'progress', seq: 5 }] })}\n\n`)
  const text = await body.until((t) => t.includes('"seq":5'))
  expect(text).toMatch(/^retry: 2000\n\nid: 1\ndata: \{"type":"progress","seq":1,"percent":10\}\n\nid: 2\ndata: \{"type":"progress","seq":2\}\n\nid: 3\n/)
  expect(text).toContain('id: 5\ndata: {"type":"batch"')
  // Upstream pings stay upstream: the handler sends its own heartbeat.
  expect(text).not.toContain(': ping')
  expect(dataOf(text).map((event) => event.seq ?? 'batch')).toEqual([1, 2, 3, 'batch'])
  await body.cancel()
  await vi.waitFor(() => expect(upstream.closed).toBe(true))
  expect(errors).toEqual([])
})

test('Last-Event-ID goes upstream as Last-Event-ID; getToken is asked for each stream; a base URL with a path keeps it', async () => {
  const server = await upstreamServer()
  const getToken = vi.fn(async (projectId: string) => `${SERVICE_TOKEN}-${projectId}`)
  const { GET } = handler({ source: referenceServerSource({ url: `${server.url}/live/`, getToken }) })
  const response = await GET(streamRequest('/api/live/p1', { headers: { 'Last-Event-ID': '41' } }), paramsOf('p1'))
  await vi.waitFor(() => expect(server.streams).toHaveLength(1))
  const { request } = server.streams[0]!
  expect(request.url).toBe('/live/sse/projects/p1')
  expect(request.headers['last-event-id']).toBe('41')
  expect(request.headers.authorization).toBe(`Bearer ${SERVICE_TOKEN}-p1`)
  expect(getToken).toHaveBeenCalledWith('p1')
  await response.body!.cancel()
})

test('the upstream ending ends the response (the browser reconnects, not the relay)', async () => {
  const server = await upstreamServer((upstream) => {
    setImmediate(() => {
      send(upstream, 1)
      upstream.response.end()
    })
  })
  const { GET, errors } = handler({ source: referenceServerSource({ url: server.url, token: SERVICE_TOKEN }) })
  const text = await bodyReader(await GET(streamRequest(), paramsOf('p1'))).rest()
  expect(dataOf(text)).toEqual([{ type: 'progress', seq: 1 }])
  expect(server.streams).toHaveLength(1)
  expect(errors).toEqual([])
})

test('the client going away closes the upstream request', async () => {
  const server = await upstreamServer()
  const client = new AbortController()
  const { GET } = handler({ source: referenceServerSource({ url: server.url, token: SERVICE_TOKEN }) })
  const body = bodyReader(await GET(streamRequest('/api/live/p1', { signal: client.signal }), paramsOf('p1')))
  await vi.waitFor(() => expect(server.streams).toHaveLength(1))
  send(server.streams[0]!, 1)
  await body.until((t) => t.includes('"seq":1'))
  client.abort()
  await vi.waitFor(() => expect(server.streams[0]!.closed).toBe(true))
})

test('an upstream refusal is answered before the stream: 503 for try-later, 502 otherwise (a refused service token too); no token in the report', async () => {
  for (const [upstreamStatus, status] of [
    [401, 502],
    [403, 502],
    [404, 502],
    [429, 503],
    [503, 503],
  ] as const) {
    const server = await upstreamServer(() => ({ status: upstreamStatus }))
    const { GET, errors } = handler({ source: referenceServerSource({ url: server.url, token: SERVICE_TOKEN }) })
    const response = await GET(streamRequest(), paramsOf('p1'))
    expect(response.status, `upstream ${upstreamStatus}`).toBe(status)
    expect(response.headers.get('content-type')).toBe('application/json')
    expect(errors[0]).toContain(`answered ${upstreamStatus}`)
    if (upstreamStatus === 401) expect(errors[0]).toContain('the service token was refused')
    expect(errors.join() + (await response.text())).not.toMatch(/service-token|user-secret/)
  }
})

test('an unreachable upstream or a missing url is a 502 that names what to fix', async () => {
  const server = await upstreamServer()
  const closedPort = new URL(server.url).port
  await new Promise((closed) => servers.pop()!.close(closed))
  const unreachable = handler({ source: referenceServerSource({ url: `http://127.0.0.1:${closedPort}`, token: SERVICE_TOKEN }) })
  expect((await unreachable.GET(streamRequest(), paramsOf('p1'))).status).toBe(502)
  expect(unreachable.errors[0]).toMatch(/could not be reached/)

  const unset = handler({ source: referenceServerSource({ url: undefined, token: SERVICE_TOKEN }) })
  expect((await unset.GET(streamRequest(), paramsOf('p1'))).status).toBe(502)
  expect(unset.errors[0]).toMatch(/no `url` \(is LIVE_STATUS_API_URL set/)
})

test('an upstream that breaks mid-stream ends the response with a report', async () => {
  const server = await upstreamServer((upstream) => {
    setImmediate(() => {
      send(upstream, 1)
      // A half-written event, then the connection torn down.
      upstream.response.write('data: {"type":"pro')
      setImmediate(() => upstream.response.destroy())
    })
  })
  const { GET, errors } = handler({ source: referenceServerSource({ url: server.url, token: SERVICE_TOKEN }) })
  const text = await bodyReader(await GET(streamRequest(), paramsOf('p1'))).rest()
  expect(dataOf(text)).toEqual([{ type: 'progress', seq: 1 }])
  expect(errors).toHaveLength(1)
  expect(errors[0]).toMatch(/the source failed.*upstream stream broke/)
})
