// Issue 23, item 2: `GET /sse/projects/{projectId}` on the reference server, beside the socket
// endpoint and from the same admission, fan-out and replay. Real servers on free loopback ports,
// read with Node's fetch and the small SSE reader below (no dependency).
import { createServer, get as httpGet, type IncomingHttpHeaders } from 'node:http'
import { connect as netConnect, type AddressInfo } from 'node:net'
import { afterEach, describe, expect, test } from 'vitest'
import { SCRIPT_TOKEN } from '../../demo/tokens'
import { createWorld, PROJECT } from '../../demo/world'
import { createLiveStatusServer, InMemoryEventBus, type SequencedEvent } from '../../src/server'
import { disposeAll, startServer } from './support/serverHarness'
import { startTestDemo } from './support/demoHarness'
import { capture } from './support/captureLog'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  // The servers first: their drain ends the streams, which the aborts below then find ended.
  await disposeAll()
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/**
 * For tests that abort a stream: after an aborted fetch, Node's fetch (undici) opens a spare
 * connection that sends no request, and `http.Server#close` waits for such a connection until the
 * drain's `closeTimeoutMs` cuts it. Not what these tests are about: their teardown is kept short.
 */
const ABORTING = { closeTimeoutMs: 200 }

// ---- a small SSE reader (the event-stream format of the HTML standard) -------------------------

type SseEvent = { id: string | undefined; data: string }

/**
 * Opens `path` with fetch and parses the stream as it comes: events (`id`, `data`), comments,
 * `retry` fields, the raw text, and whether it has ended. The token goes in `Authorization`.
 */
async function openSse(base: string, path: string, options: { token?: string; headers?: Record<string, string> } = {}) {
  const controller = new AbortController()
  cleanups.push(() => controller.abort())
  const headers = { ...(options.token === undefined ? {} : { Authorization: `Bearer ${options.token}` }), ...options.headers }
  const response = await fetch(base + path, { headers, signal: controller.signal })
  const events: SseEvent[] = []
  const comments: string[] = []
  const retries: number[] = []
  const waiters: (() => void)[] = []
  const state = { raw: '', ended: false }
  const notify = () => waiters.splice(0).forEach((fn) => fn())

  let pending = ''
  let id: string | undefined
  let data: string[] = []
  const line = (text: string) => {
    if (text === '') {
      if (data.length > 0) events.push({ id, data: data.join('\n') })
      data = []
      id = undefined
      return
    }
    if (text.startsWith(':')) return void comments.push(text.slice(1).trim())
    const colon = text.indexOf(':')
    const field = colon === -1 ? text : text.slice(0, colon)
    const value = colon === -1 ? '' : text.slice(colon + 1).replace(/^ /, '')
    if (field === 'data') data.push(value)
    else if (field === 'id') id = value
    else if (field === 'retry') retries.push(Number(value))
  }
  const read = async () => {
    const reader = response.body!.getReader()
    const decoder = new TextDecoder()
    try {
      for (;;) {
        const { done, value } = await reader.read()
        if (done) break
        const text = decoder.decode(value, { stream: true })
        state.raw += text
        pending += text
        const lines = pending.split(/\r\n|\r|\n/)
        pending = lines.pop()!
        lines.forEach(line)
        notify()
      }
    } catch {
      // Aborted, or the server cut the connection.
    }
    state.ended = true
    notify()
  }
  if (response.status === 200) void read()
  const until = (predicate: () => boolean) =>
    new Promise<void>((resolve) => {
      const check = () => (predicate() ? resolve() : waiters.push(check))
      check()
    })
  /** Frames, as the socket would have sent them. */
  const frames = () => events.map((event) => JSON.parse(event.data) as SequencedEvent & { events?: SequencedEvent[] })
  return {
    response,
    events,
    comments,
    retries,
    get raw() {
      return state.raw
    },
    get ended() {
      return state.ended
    },
    frames,
    /** Every event received, batches unpacked. */
    unpacked: () => frames().flatMap((frame) => (frame.type === 'batch' ? frame.events! : [frame])),
    until,
    abort: () => controller.abort(),
  }
}

/** A refusal: its status and `{detail}` body, read whole. */
async function refusal(base: string, path: string, init: RequestInit = {}) {
  const response = await fetch(base + path, init)
  return { status: response.status, type: response.headers.get('content-type'), body: (await response.json()) as { detail: string } }
}

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` })
const lastSeqOf = (frame: SequencedEvent & { events?: SequencedEvent[] }) => (frame.type === 'batch' ? frame.events!.at(-1)!.seq : frame.seq)
const fileCompleted = (n: number) => ({ type: 'file_completed', operation_id: 'op1', n })


// ---- the contract -----------------------------------------------------------------------------

describe('GET /sse/projects/{projectId}', () => {
  test('answers 200 with the event-stream headers at once, then `retry:` before anything else', async () => {
    const { url, port } = await startServer({ sseRetryMs: 1234 })
    // node:http, not fetch: fetch hides hop-by-hop headers such as Connection.
    const headers = await new Promise<{ status: number; headers: IncomingHttpHeaders; first: string }>((resolve, reject) => {
      const request = httpGet({ host: '127.0.0.1', port, path: '/sse/projects/p1', headers: bearer('tok-alice') }, (response) => {
        response.once('data', (chunk: Buffer) => {
          resolve({ status: response.statusCode!, headers: response.headers, first: chunk.toString() })
          request.destroy()
        })
      })
      request.on('error', reject)
    })
    expect(headers.status).toBe(200)
    expect(headers.headers).toMatchObject({ 'content-type': 'text/event-stream', 'cache-control': 'no-store', 'x-accel-buffering': 'no', connection: 'keep-alive' })
    expect(headers.first).toBe('retry: 1234\n\n')

    const stream = await openSse(url, '/sse/projects/p1', { token: 'tok-alice' })
    await stream.until(() => stream.retries.length === 1)
    expect(stream.retries).toEqual([1234])
  })

  test('the default retry is 2000 ms', async () => {
    const { url } = await startServer()
    const stream = await openSse(url, '/sse/projects/p1', { token: 'tok-alice' })
    await stream.until(() => stream.retries.length === 1)
    expect(stream.raw.startsWith('retry: 2000\n\n')).toBe(true)
  })

  test('every refusal is a plain HTTP status with a JSON {detail}, before any stream', async () => {
    const { url } = await startServer()
    const cases: [string, RequestInit, number][] = [
      ['/sse/projects/..%2Fetc', { headers: bearer('tok-alice') }, 404],
      ['/sse/projects/%E0%A4%A', { headers: bearer('tok-alice') }, 404],
      ['/sse/projects/', { headers: bearer('tok-alice') }, 404],
      ['/sse/projects/p1/more', { headers: bearer('tok-alice') }, 404],
      ['/sse/projects/p1', {}, 401],
      ['/sse/projects/p1', { headers: { Authorization: 'Basic dG9rLWFsaWNl' } }, 401],
      ['/sse/projects/p1', { headers: bearer('not-a-token') }, 401],
      ['/sse/projects/p1?token=tok-alice', {}, 401],
      // Refused whatever the header says: the token is in some access log already.
      ['/sse/projects/p1?token=tok-alice', { headers: bearer('tok-alice') }, 401],
      ['/sse/projects/p1', { headers: bearer('tok-bob') }, 403],
      ['/sse/projects/p1', { method: 'POST', headers: bearer('tok-alice') }, 405],
    ]
    const answers = []
    for (const [path, init] of cases) answers.push(await refusal(url, path, init))
    expect(answers.map((a) => a.status)).toEqual(cases.map(([, , status]) => status))
    for (const answer of answers) {
      expect(answer.type).toBe('application/json')
      expect(answer.body).toEqual({ detail: expect.any(String) })
    }
    expect(answers[7]!.body.detail).toContain('Authorization: Bearer')
  })

  test('fails closed like a socket join: no `authorize` option → 403', async () => {
    const { url } = await startServer({ authorize: undefined })
    expect((await refusal(url, '/sse/projects/p1', { headers: bearer('tok-alice') })).status).toBe(403)
  })

  test('with allowTokenInQuery, a token in the query is accepted', async () => {
    const { url } = await startServer({ allowTokenInQuery: true })
    const stream = await openSse(url, '/sse/projects/p1?token=tok-alice')
    expect(stream.response.status).toBe(200)
  })

  test('503 when the shared bus cannot be read (rather than an empty stream)', async () => {
    const bus = Object.assign(new InMemoryEventBus(), {
      retained: async () => {
        throw new Error('redis is down')
      },
    })
    const { url } = await startServer({ bus })
    const answer = await refusal(url, '/sse/projects/p1', { headers: bearer('tok-alice') })
    expect(answer).toEqual({ status: 503, type: 'application/json', body: { detail: 'project state unavailable' } })
  })

  test('a hung authenticate is answered 500 after twice authTimeoutMs, not held open', async () => {
    const { url, server } = await startServer({ authenticate: () => new Promise(() => {}), authTimeoutMs: 20 })
    const answer = await refusal(url, '/sse/projects/p1', { headers: bearer('tok-alice') })
    expect(answer.status).toBe(500)
    expect(answer.body.detail).toBe('authentication timed out')
    expect(server.metrics().drops.auth_timeout).toBe(1)
    expect(server.metrics().authenticating).toBe(0)
  })

  test('an embedding server answers 503 through handleRequest once close() has begun', async () => {
    const server = createLiveStatusServer({ authenticate: (token) => (token === 'tok' ? { id: 'u' } : null), authorize: 'any-authenticated-user', log: () => {} })
    const http = createServer((request, response) => {
      if (!server.handleRequest(request, response)) response.writeHead(404).end()
    })
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
    cleanups.push(() => new Promise<void>((resolve) => (http.closeAllConnections(), http.close(() => resolve()))))
    const base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`
    await server.close()
    expect(await refusal(base, '/sse/projects/p1', { headers: bearer('tok') })).toEqual({ status: 503, type: 'application/json', body: { detail: 'server shutting down' } })
    expect(server.metrics().drops.closing).toBe(1)
  })

  test('a request still being authenticated when close() begins is answered 503', async () => {
    let letIn: (user: { id: string }) => void = () => {}
    const { url, server } = await startServer<{ id: string }>({ authenticate: () => new Promise<{ id: string }>((resolve) => (letIn = resolve)), authorize: 'any-authenticated-user' })
    const answer = refusal(url, '/sse/projects/p1', { headers: bearer('tok-alice') })
    await expect.poll(() => server.metrics().authenticating).toBe(1)
    const closed = server.close()
    expect((await answer).status).toBe(503)
    letIn({ id: 'alice' })
    await closed
    expect(server.stats.connections).toBe(0)
  })
})

describe('the same fan-out as sockets', () => {
  test('a socket client and an SSE client get the same JSON, frame for frame, the SSE id being the last seq of each frame', async () => {
    // A batch of exactly five: one batch envelope, whatever the timing.
    const { server, url, connect } = await startServer({ batchIntervalMs: 60_000, batchMaxEvents: 5 })
    await server.publish('p1', { type: 'operation_started', operation_id: 'op1', operation_type: 'index', total_files: 10 })
    const socket = connect('/ws/projects/p1', { token: 'tok-alice' })
    const stream = await openSse(url, '/sse/projects/p1', { token: 'tok-alice' })
    await expect.poll(() => server.metrics().replays.count).toBe(2)
    for (let n = 1; n <= 5; n++) await server.publish('p1', fileCompleted(n))
    await socket.until(() => socket.frames.length === 2)
    await stream.until(() => stream.events.length === 2)

    expect(stream.events.map((event) => event.data)).toEqual(socket.frames.map((frame) => JSON.stringify(frame)))
    expect(stream.events.map((event) => Number(event.id))).toEqual(socket.frames.map(lastSeqOf))
    expect(socket.frames[0]).toMatchObject({ type: 'current_state', operation_id: 'op1' })
    expect(socket.frames[1]).toMatchObject({ type: 'batch' })
    expect(socket.frames[1].events.map((event: { n: number }) => event.n)).toEqual([1, 2, 3, 4, 5])
  })

  test('Last-Event-ID resumes with exactly the missed events, then live ones, no duplicates', async () => {
    const { server, url } = await startServer({ batchMaxEvents: 1, ...ABORTING })
    const first = await openSse(url, '/sse/projects/p1', { token: 'tok-alice' })
    await expect.poll(() => server.metrics().replays.count).toBe(1)
    for (let n = 1; n <= 3; n++) await server.publish('p1', fileCompleted(n))
    await first.until(() => first.events.length === 3)
    const lastEventId = first.events.at(-1)!.id!
    expect(Number(lastEventId)).toBe(first.unpacked().at(-1)!.seq)
    first.abort()
    await expect.poll(() => server.stats.connections).toBe(0)

    for (let n = 4; n <= 6; n++) await server.publish('p1', fileCompleted(n))
    // `?since=0` too: the header wins, as a reconnecting browser sends it.
    const resumed = await openSse(url, '/sse/projects/p1?since=0', { token: 'tok-alice', headers: { 'Last-Event-ID': lastEventId } })
    await resumed.until(() => resumed.unpacked().length === 3)
    await server.publish('p1', fileCompleted(7))
    await resumed.until(() => resumed.unpacked().some((event) => event.n === 7))
    const received = resumed.unpacked()
    expect(received.map((event) => event.n)).toEqual([4, 5, 6, 7])
    const seqs = received.map((event) => event.seq)
    expect(seqs.every((seq, i) => i === 0 || seq > seqs[i - 1]!)).toBe(true)
    expect(seqs[0]).toBeGreaterThan(Number(lastEventId))
    expect(server.metrics().replays).toMatchObject({ count: 2, events: 3 })
  })

  test('?since= resumes the same way when there is no Last-Event-ID', async () => {
    const { server, url } = await startServer({ batchMaxEvents: 1 })
    const seqs = []
    for (let n = 1; n <= 4; n++) seqs.push((await server.publish('p1', fileCompleted(n))).seq)
    const stream = await openSse(url, `/sse/projects/p1?since=${seqs[1]}`, { token: 'tok-alice' })
    await stream.until(() => stream.unpacked().length === 2)
    expect(stream.unpacked().map((event) => event.n)).toEqual([3, 4])
  })

  test('a resume point older than the history gets a snapshot, as on sockets', async () => {
    const { server, url } = await startServer({ bus: new InMemoryEventBus({ historySize: 2 }) })
    await server.publish('p1', { type: 'operation_started', operation_id: 'op1', operation_type: 'index', total_files: 10 })
    let last = 0
    for (let n = 1; n <= 5; n++) last = (await server.publish('p1', fileCompleted(n))).seq
    const stream = await openSse(url, '/sse/projects/p1', { token: 'tok-alice', headers: { 'Last-Event-ID': '1' } })
    await stream.until(() => stream.events.length === 1)
    expect(stream.frames()[0]).toMatchObject({ type: 'current_state', operation_id: 'op1', seq: last })
    expect(stream.events[0]!.id).toBe(String(last))
    expect(server.metrics().replays.count).toBe(1)
  })

  test('heartbeat comments arrive every sseHeartbeatMs', async () => {
    const { url } = await startServer({ sseHeartbeatMs: 20 })
    const stream = await openSse(url, '/sse/projects/p1', { token: 'tok-alice' })
    await stream.until(() => stream.comments.length >= 3)
    expect(new Set(stream.comments)).toEqual(new Set(['ping']))
    expect(stream.raw).toContain('\n\n: ping\n\n')
  })
})

describe('limits, shared with sockets', () => {
  test('the per-user limit counts sockets and SSE streams together; a freed slot lets the next one in', async () => {
    const { server, url, connect } = await startServer({ maxConnectionsPerUser: 2, ...ABORTING })
    const socket = connect('/ws/projects/p1', { token: 'tok-alice' })
    await socket.opened()
    const stream = await openSse(url, '/sse/projects/p2', { token: 'tok-alice' })
    expect(stream.response.status).toBe(200)
    await expect.poll(() => server.stats.connections).toBe(2)

    const third = await refusal(url, '/sse/projects/p1', { headers: bearer('tok-alice') })
    expect(third).toEqual({ status: 429, type: 'application/json', body: { detail: 'too many connections' } })
    const thirdSocket = connect('/ws/projects/p1', { token: 'tok-alice' })
    expect((await thirdSocket.untilClosed()).code).toBe(4429)
    // Another user is not affected.
    expect((await openSse(url, '/sse/projects/p2', { token: 'tok-bob' })).response.status).toBe(200)

    stream.abort()
    await expect.poll(() => server.stats.connections).toBe(2)
    const next = await openSse(url, '/sse/projects/p1', { token: 'tok-alice' })
    expect(next.response.status).toBe(200)
    expect(server.metrics().drops.too_many_connections).toBe(2)
  })

  test('a client that disconnects releases its subscription and its slot', async () => {
    const { server, url } = await startServer({ maxConnectionsPerUser: 1, ...ABORTING })
    const stream = await openSse(url, '/sse/projects/p1', { token: 'tok-alice' })
    await expect.poll(() => server.stats.connections).toBe(1)
    expect(server.retained).toMatchObject({ projects: 1, users: 1 })
    stream.abort()
    await expect.poll(() => server.retained).toMatchObject({ projects: 0, users: 0 })
    expect(server.stats.connections).toBe(0)
    expect((await openSse(url, '/sse/projects/p1', { token: 'tok-alice' })).response.status).toBe(200)
  })

  test('a client that does not read is dropped once its buffer passes maxBufferedBytes, and counted', async () => {
    const { lines, logger } = capture()
    const { server, port } = await startServer({ maxBufferedBytes: 64 * 1024, batchMaxEvents: 1, bus: new InMemoryEventBus({ historySize: 4 }), logger })
    // A raw connection that sends the request and never reads a byte.
    const socket = netConnect(port, '127.0.0.1')
    cleanups.push(() => void socket.destroy())
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()))
    socket.on('error', () => {})
    socket.write('GET /sse/projects/p1 HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer tok-alice\r\n\r\n')
    await expect.poll(() => server.stats.connections).toBe(1)
    await expect.poll(() => server.metrics().replays.count).toBe(1)
    const blob = 'x'.repeat(200 * 1024)
    // Loopback buffers take a few MB before anything backs up in the server.
    for (let i = 0; i < 500 && server.metrics().drops.slow_consumer === 0; i++) await server.publish('p1', { type: 'blob', blob })
    expect(server.metrics().drops.slow_consumer).toBe(1)
    // Reading now drains what the kernel holds, then finds the end.
    socket.resume()
    await closed
    await expect.poll(() => server.retained.users).toBe(0)
    expect(lines.find((line) => line.message.includes('does not keep up'))?.fields).toMatchObject({ projectId: 'p1', transport: 'sse' })
  })

  test('close() ends every stream at once (no wait for closeTimeoutMs) and resolves', async () => {
    const { server, url } = await startServer({ closeTimeoutMs: 60_000 })
    const a = await openSse(url, '/sse/projects/p1', { token: 'tok-alice' })
    const b = await openSse(url, '/sse/projects/p2', { token: 'tok-bob' })
    await expect.poll(() => server.stats.connections).toBe(2)
    await server.close()
    await a.until(() => a.ended)
    await b.until(() => b.ended)
    expect(server.stats.connections).toBe(0)
    expect(server.retained.users).toBe(0)
  })
})

describe('origins', () => {
  test('allowed origins get CORS headers and a preflight; a refused origin gets 403, logged once', async () => {
    const { lines, logger } = capture()
    const { server, url } = await startServer({ allowedOrigins: ['https://app.example.com'], logger })
    const app = 'https://app.example.com'

    const preflight = await fetch(`${url}/sse/projects/p1`, { method: 'OPTIONS', headers: { Origin: app, 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'authorization, last-event-id' } })
    expect(preflight.status).toBe(204)
    expect(Object.fromEntries(preflight.headers)).toMatchObject({
      'access-control-allow-origin': app,
      'access-control-allow-methods': 'GET',
      'access-control-allow-headers': 'Authorization, Last-Event-ID',
    })
    const allowed = await openSse(url, '/sse/projects/p1', { token: 'tok-alice', headers: { Origin: app } })
    expect(allowed.response.status).toBe(200)
    expect(allowed.response.headers.get('access-control-allow-origin')).toBe(app)
    expect(allowed.response.headers.get('vary')).toBe('Origin')

    for (const init of [{ headers: { Origin: 'https://evil.example', ...bearer('tok-alice') } }, { headers: { Origin: 'https://evil.example', ...bearer('tok-alice') } }, { method: 'OPTIONS', headers: { Origin: 'https://evil.example' } }]) {
      const answer = await refusal(url, '/sse/projects/p1', init)
      expect(answer.status).toBe(403)
      expect(answer.body.detail).toContain('allowedOrigins')
    }
    const warnings = lines.filter((line) => line.level === 'warn' && /origin/i.test(line.message))
    expect(warnings).toEqual([{ level: 'warn', fields: { origin: 'https://evil.example', where: 'SSE' }, message: expect.stringContaining('SSE stream answered 403') }])
    expect(server.metrics().drops.origin).toBe(3)

    // A same-origin GET carries no Origin: not a refusal (the token is still checked).
    expect((await openSse(url, '/sse/projects/p1', { token: 'tok-alice' })).response.status).toBe(200)
  })
})

describe('metrics', () => {
  test('connections are counted by transport; existing names keep their meaning for the total', async () => {
    const { server, url, connect } = await startServer(ABORTING)
    const socket = connect('/ws/projects/p1', { token: 'tok-alice' })
    await socket.opened()
    const stream = await openSse(url, '/sse/projects/p1', { token: 'tok-alice' })
    await expect.poll(() => server.stats.connections).toBe(2)
    expect(server.metrics()).toMatchObject({
      connections: 2,
      connectionsByTransport: { websocket: 1, sse: 1 },
      connectionsAccepted: 2,
      connectionsAcceptedByTransport: { websocket: 1, sse: 1 },
    })
    const text = await (await fetch(`${url}/metrics`)).text()
    expect(text).toContain('live_status_connections 2\n')
    expect(text).toContain('live_status_connections_by_transport{transport="websocket"} 1\n')
    expect(text).toContain('live_status_connections_by_transport{transport="sse"} 1\n')
    expect(text).toContain('live_status_connections_accepted_by_transport_total{transport="sse"} 1\n')
    stream.abort()
    await expect.poll(() => server.metrics().connectionsByTransport).toEqual({ websocket: 1, sse: 0 })
  })
})

test('no token in any log line or response body', async () => {
  const SECRET = 'sse-secret-token-0123456789abcdef'
  const { lines, logger } = capture()
  const { server, url } = await startServer({
    logger,
    authenticate: (token) => {
      if (token.startsWith('throw-')) throw new Error(`token store refused ${token}`)
      return token === SECRET ? { id: 'alice', projects: ['p1'] } : null
    },
    authorize: (user, projectId) => {
      if (projectId === 'p9') throw new Error(`authorize broke for ${JSON.stringify(user)} with ${SECRET}`)
      return (user as { projects: string[] }).projects.includes(projectId)
    },
    batchMaxEvents: 1,
    ...ABORTING,
  })
  const bodies: string[] = []
  for (const [path, headers] of [
    ['/sse/projects/p1', bearer(`throw-${SECRET}`)],
    ['/sse/projects/p1', bearer(`wrong-${SECRET}`)],
    [`/sse/projects/p1?token=${SECRET}`, {}],
    [`/sse/projects/p1?token=${SECRET}`, bearer(SECRET)],
    ['/sse/projects/p2', bearer(SECRET)],
    ['/sse/projects/p9', bearer(SECRET)],
    [`/sse/projects/${SECRET}%2F`, bearer(SECRET)],
  ] as [string, Record<string, string>][]) {
    const response = await fetch(url + path, { headers })
    expect(response.status).not.toBe(200)
    bodies.push(await response.text())
  }
  const stream = await openSse(url, '/sse/projects/p1', { token: SECRET })
  await expect.poll(() => server.metrics().replays.count).toBe(1)
  await server.publish('p1', fileCompleted(1))
  await stream.until(() => stream.events.length === 1)
  stream.abort()
  await expect.poll(() => server.stats.connections).toBe(0)
  bodies.push(stream.raw)

  expect(lines.some((line) => line.level === 'error')).toBe(true)
  for (const text of [...bodies, ...lines.map((line) => `${line.message} ${JSON.stringify(line.fields)}`)]) expect(text).not.toContain(SECRET.slice(4, 16))
})

test('the demo (npm start) serves /sse/projects/{id} through handleRequest, with no code of its own', async () => {
  const world = createWorld()
  const http = await startTestDemo(world, cleanups)
  const stream = await openSse(http.url, `/sse/projects/${PROJECT}`, { token: SCRIPT_TOKEN })
  expect(stream.response.headers.get('content-type')).toBe('text/event-stream')
  await stream.until(() => stream.events.length > 0)
  expect(stream.frames()[0]).toMatchObject({ type: 'index_status', project_id: PROJECT })
})
