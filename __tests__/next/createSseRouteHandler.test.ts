/**
 * Issue 23, item 3: the Next.js route handler speaks the SSE contract of docs/sse.md. Called
 * directly, as Next.js calls it, with a `Request` and the route's params; the streamed body read.
 */
import { expect, test, vi } from 'vitest'
import { createSseRouteHandler, SourceError, type ProjectEventSource, type SourceContext } from '../../src/next'
import { aborted, bodyReader, dataOf, deferred, handler, paramsOf, streamRequest, TOKEN } from './support'

/** A source that yields `events` and then waits for the client to leave. */
const staying =
  (events: { seq?: number; event: object }[], seen: SourceContext[] = []): ProjectEventSource =>
  async function* (_projectId, context) {
    seen.push(context)
    yield* events
    await aborted(context.signal)
  }

test('401 without a Bearer token, with a refused one, or with a token in the URL; 403 for another project; nothing streamed', async () => {
  const source = vi.fn(staying([]))
  const { GET } = handler({ source })
  const cases = [
    [streamRequest('/api/live/p1', { token: null }), 401],
    [streamRequest('/api/live/p1', { token: 'wrong-token' }), 401],
    [streamRequest('/api/live/p1', { headers: { Authorization: `Basic ${TOKEN}` }, token: null }), 401],
    [streamRequest(`/api/live/p1?token=${TOKEN}`), 401],
    [streamRequest(`/api/live/p1?access_token=${TOKEN}`, { token: null }), 401],
  ] as const
  for (const [request, status] of cases) {
    const response = await GET(request, paramsOf('p1'))
    expect(response.status).toBe(status)
    expect(response.headers.get('content-type')).toBe('application/json')
    expect(await response.text()).not.toContain(TOKEN)
  }
  const forbidden = await GET(streamRequest('/api/live/p2'), paramsOf('p2'))
  expect(forbidden.status).toBe(403)
  expect(await forbidden.json()).toEqual({ detail: 'not allowed to follow this project' })
  expect(source).not.toHaveBeenCalled()
})

test('a malformed project id is 404 before authenticate runs; a malformed Last-Event-ID is 400', async () => {
  const authenticate = vi.fn(() => ({ id: 'u1' }))
  const { GET } = handler({ source: staying([]), authenticate })
  expect((await GET(streamRequest('/api/live/x'), paramsOf('../etc'))).status).toBe(404)
  expect((await GET(streamRequest('/api/live/x'), paramsOf('a'.repeat(200)))).status).toBe(404)
  expect((await GET(streamRequest('/api/live/x'), { params: Promise.resolve({}) })).status).toBe(404)
  expect(authenticate).not.toHaveBeenCalled()
  for (const bad of ['abc', '-1', '1.5', '99999999999999999']) {
    expect((await GET(streamRequest('/api/live/p1', { headers: { 'Last-Event-ID': bad } }), paramsOf('p1'))).status, bad).toBe(400)
  }
})

test('authorize is required, and only `true` lets a user in (fails closed)', async () => {
  const options = { authenticate: () => ({ id: 'u1' }), source: staying([]) }
  expect(() => createSseRouteHandler(options as never)).toThrow(/`authorize\(user, projectId\)` is required/)
  const { GET } = handler({ source: staying([]), authorize: () => 'yes' as unknown as boolean })
  expect((await GET(streamRequest(), paramsOf('p1'))).status).toBe(403)
})

test('200 text/event-stream, retry first, then each event as id + data; a batch frame takes its last seq; no seq, no id line', async () => {
  const events = [
    { seq: 1, event: { type: 'progress', seq: 1, percent: 10 } },
    { event: { type: 'progress', seq: 2, percent: 20 } },
    { event: { type: 'batch', events: [{ type: 'progress', seq: 3 }, { type: 'progress', seq: 4 }] } },
    { event: { type: 'hello' } },
    { seq: 7, event: { type: 'line\nbreak', text: 'a\r\nb' } },
  ]
  const { GET } = handler({ source: staying(events), retryMs: 1500 })
  const response = await GET(streamRequest(), paramsOf('p1'))
  expect(response.status).toBe(200)
  expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8')
  expect(response.headers.get('cache-control')).toContain('no-store')
  expect(response.headers.get('x-accel-buffering')).toBe('no')
  const body = bodyReader(response)
  const text = await body.until((t) => t.includes('line\\nbreak'))
  expect(text).toBe(
    'retry: 1500\n\n' +
      'id: 1\ndata: {"type":"progress","seq":1,"percent":10}\n\n' +
      'id: 2\ndata: {"type":"progress","seq":2,"percent":20}\n\n' +
      'id: 4\ndata: {"type":"batch","events":[{"type":"progress","seq":3},{"type":"progress","seq":4}]}\n\n' +
      'data: {"type":"hello"}\n\n' +
      'id: 7\ndata: {"type":"line\\nbreak","text":"a\\r\\nb"}\n\n',
  )
  expect(dataOf(text).map((e) => e.type)).toEqual(['progress', 'progress', 'batch', 'hello', 'line\nbreak'])
  await body.cancel()
})

test('Last-Event-ID reaches the source as since (so does ?since= for a first connection); none gives undefined', async () => {
  const seen: SourceContext[] = []
  // A plain function, not a generator: it sees its context when called, before the body is read.
  const source: ProjectEventSource = async (_projectId, context) => {
    seen.push(context)
    return staying([])(_projectId, context)
  }
  const { GET } = handler({ source })
  for (const request of [
    streamRequest('/api/live/p1', { headers: { 'Last-Event-ID': '41' } }),
    // The reference server's seqs are microsecond clocks: 16 digits.
    streamRequest('/api/live/p1', { headers: { 'Last-Event-ID': '1796415495383528' } }),
    streamRequest('/api/live/p1?since=7'),
    streamRequest('/api/live/p1?since=7', { headers: { 'Last-Event-ID': '9' } }),
    streamRequest('/api/live/p1'),
  ]) {
    const response = await GET(request, paramsOf('p1'))
    await response.body!.cancel()
  }
  expect(seen.map((context) => context.since)).toEqual([41, 1796415495383528, 7, 9, undefined])
  expect(seen.every((context) => context.signal.aborted)).toBe(true)
})

test('a comment line goes out after heartbeatMs without events', async () => {
  const { GET } = handler({ source: staying([{ event: { type: 'progress', seq: 1 } }]), heartbeatMs: 20 })
  const body = bodyReader(await GET(streamRequest(), paramsOf('p1')))
  const text = await body.until((t) => (t.match(/^: ping$/gm) ?? []).length >= 2)
  expect(text.startsWith('retry: 2000\n\nid: 1\ndata: {"type":"progress","seq":1}\n\n: ping\n\n')).toBe(true)
  await body.cancel()
})

test('the client going away (request.signal, as Next.js aborts it) aborts the source and ends the body', async () => {
  const client = new AbortController()
  const seen: SourceContext[] = []
  const finished = deferred()
  const source: ProjectEventSource = async function* (_projectId, context) {
    seen.push(context)
    try {
      yield { event: { type: 'progress', seq: 1 } }
      await aborted(context.signal)
    } finally {
      finished.resolve()
    }
  }
  const { GET, errors } = handler({ source })
  const body = bodyReader(await GET(streamRequest('/api/live/p1', { signal: client.signal }), paramsOf('p1')))
  await body.until((t) => t.includes('"seq":1'))
  expect(seen[0]!.signal.aborted).toBe(false)
  client.abort()
  await finished.promise
  expect(seen[0]!.signal.aborted).toBe(true)
  await body.rest()
  expect(errors).toEqual([])
})

test('the body cancelled (the response socket closed) aborts the source too', async () => {
  const seen: SourceContext[] = []
  const { GET } = handler({ source: staying([{ event: { type: 'progress', seq: 1 } }], seen) })
  const body = bodyReader(await GET(streamRequest(), paramsOf('p1')))
  await body.until((t) => t.includes('"seq":1'))
  await body.cancel()
  await aborted(seen[0]!.signal)
})

test('a source that throws mid-stream ends the stream; the report names the project and masks the token', async () => {
  const source: ProjectEventSource = async function* () {
    yield { event: { type: 'progress', seq: 1 } }
    throw new Error(`database said: bad credentials for Bearer ${TOKEN} (${TOKEN.slice(3, 20)})`)
  }
  const { GET, errors } = handler({ source })
  const text = await bodyReader(await GET(streamRequest(), paramsOf('p1'))).rest()
  expect(dataOf(text)).toEqual([{ type: 'progress', seq: 1 }])
  expect(text).not.toContain('database')
  expect(errors).toHaveLength(1)
  expect(errors[0]).toMatch(/^\[live-status\] SSE route, project p1: the source failed.*database said: bad credentials/)
  expect(errors[0]).not.toContain(TOKEN.slice(3, 11))
})

test('the default report goes to console.error, without the token', async () => {
  const error = vi.spyOn(console, 'error').mockImplementation(() => {})
  const { GET } = createSseRouteHandler({
    authenticate: () => ({ id: 'u1' }),
    authorize: () => true,
    // eslint-disable-next-line require-yield
    source: async function* () {
      throw new Error(`token ${TOKEN} expired`)
    },
  })
  await bodyReader(await GET(streamRequest(), paramsOf('p1'))).rest()
  expect(error).toHaveBeenCalledTimes(1)
  expect(String(error.mock.calls[0]![0])).toContain('token *** expired')
})

test('a source that fails before the stream: 502, or 503 with Retry-After for a SourceError(…, 503); authenticate throwing: 500', async () => {
  const failing = (error: unknown): ProjectEventSource => async () => {
    throw error
  }
  const down = handler({ source: failing(new Error(`connect ECONNREFUSED with ${TOKEN}`)) })
  const response = await down.GET(streamRequest(), paramsOf('p1'))
  expect(response.status).toBe(502)
  expect(await response.text()).not.toMatch(/ECONNREFUSED|secret/)
  expect(down.errors[0]).toMatch(/the source could not start: connect ECONNREFUSED with \*\*\*/)

  const busy = handler({ source: failing(new SourceError('upstream said 503', 503)), retryMs: 2500 })
  const later = await busy.GET(streamRequest(), paramsOf('p1'))
  expect(later.status).toBe(503)
  expect(later.headers.get('retry-after')).toBe('3')

  const broken = handler({
    source: staying([]),
    authenticate: (token) => {
      throw new Error(`cannot verify ${token}`)
    },
  })
  const failed = await broken.GET(streamRequest(), paramsOf('p1'))
  expect(failed.status).toBe(500)
  expect(broken.errors[0]).toContain('cannot verify ***')
  expect(broken.errors.join()).not.toContain(TOKEN)
})

test('an event that cannot be serialised is skipped and reported; the stream goes on', async () => {
  const cyclic: Record<string, unknown> = { type: 'progress' }
  cyclic.self = cyclic
  const { GET, errors } = handler({ source: staying([{ event: cyclic }, { event: { type: 'progress', seq: 2 } }]) })
  const body = bodyReader(await GET(streamRequest(), paramsOf('p1')))
  const text = await body.until((t) => t.includes('"seq":2'))
  expect(dataOf(text)).toEqual([{ type: 'progress', seq: 2 }])
  expect(errors[0]).toMatch(/an event could not be written \(skipped\): TypeError/)
  await body.cancel()
})

test('a slow client slows the source: events are pulled as the body is read, not buffered ahead', async () => {
  let produced = 0
  const source: ProjectEventSource = async function* (_projectId, { signal }) {
    while (!signal.aborted) yield { event: { type: 'progress', seq: ++produced } }
  }
  const { GET } = handler({ source })
  const body = bodyReader(await GET(streamRequest(), paramsOf('p1')))
  await body.until((t) => t.includes('"seq":3'))
  // The stream's own queue holds at most a frame or two beyond what was read.
  expect(produced).toBeLessThan(10)
  await body.cancel()
})

test('a source that gives no async iterable, or a SourceError whose status is no error, is answered 502 and reported; GET never rejects', async () => {
  const sources = [async () => [{ event: { a: 1 } }], async () => null, function* () {}] as unknown as ProjectEventSource[]
  for (const source of sources) {
    const { GET, errors } = handler({ source })
    const response = await GET(streamRequest(), paramsOf('p1'))
    expect(response.status).toBe(502)
    expect(errors[0]).toMatch(/the source could not start: .*no async iterable/)
  }
  for (const status of [0, 101, 200, 204, 999, 1.5]) {
    const { GET } = handler({ source: async () => { throw new SourceError('nope', status) } })
    expect((await GET(streamRequest(), paramsOf('p1'))).status, String(status)).toBe(502)
  }
  expect(() => handler({ source: staying([]), retryMs: Number.NaN })).toThrow(/`retryMs` must be a whole number/)
  expect(() => handler({ source: staying([]), retryMs: Infinity })).toThrow(/`retryMs`/)
})
