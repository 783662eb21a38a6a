// Issue #22, item 4 (server side): start and cancel operations over REST, the contract the client's
// `useStartOperation` / `useCancelOperation` mutations are built against.
import { afterEach, describe, expect, test } from 'vitest'
import type { CancelOperationRequest, StartOperationRequest } from '../../src/server'
import { disposeAll, rawExchange, startServer, type TestUser } from './support/serverHarness'
import { capture } from './support/captureLog'

afterEach(disposeAll)


const json = { 'Content-Type': 'application/json' }
const auth = (token: string) => ({ Authorization: `Bearer ${token}` })

/** A server whose hooks record what they were given; `connect` a socket to watch the project. */
async function withHooks(overrides: Parameters<typeof startServer<TestUser>>[0] = {}) {
  const started: StartOperationRequest<TestUser>[] = []
  const cancelled: CancelOperationRequest<TestUser>[] = []
  const { lines, logger } = capture()
  const harness = await startServer<TestUser>({
    logger,
    onStartOperation: (request) => void started.push(request),
    onCancelOperation: (request) => void cancelled.push(request),
    ...overrides,
  })
  const { url } = harness
  const start = (projectId: string, body: unknown, token = 'tok-alice') =>
    fetch(`${url}/api/projects/${projectId}/operations`, { method: 'POST', headers: { ...json, ...auth(token) }, body: typeof body === 'string' ? body : JSON.stringify(body) })
  const cancel = (operationId: string, token = 'tok-alice') => fetch(`${url}/api/operations/${operationId}/cancel`, { method: 'POST', headers: auth(token) })
  const get = (operationId: string, token = 'tok-alice') => fetch(`${url}/api/operations/${operationId}`, { headers: auth(token) })
  return { ...harness, started, cancelled, lines, start, cancel, get }
}

describe('POST /api/projects/{projectId}/operations', () => {
  test('201 with a server id and status pending; the operation is known (GET, sockets) when the POST answers; the hook gets the request', async () => {
    const { start, get, started, connect } = await withHooks()
    const watcher = connect('/ws/projects/p1', { token: 'tok-alice' })
    await watcher.opened()

    const response = await start('p1', { type: 'index', total_files: 12 })
    expect(response.status).toBe(201)
    const body = (await response.json()) as { operation_id: string; status: string }
    expect(body).toEqual({ operation_id: expect.stringMatching(/^[0-9a-f-]{36}$/), status: 'pending' })
    expect(response.headers.get('location')).toBe(`/api/operations/${body.operation_id}`)

    // Known the moment the POST answered: no wait.
    const rest = await get(body.operation_id)
    expect(rest.status).toBe(200)
    expect(await rest.json()).toMatchObject({ id: body.operation_id, project_id: 'p1', type: 'index', status: 'pending' })
    expect(started).toEqual([{ projectId: 'p1', operationId: body.operation_id, type: 'index', body: { type: 'index', total_files: 12 }, user: { id: 'alice', projects: ['p1', 'p2'] } }])

    await watcher.until(() => watcher.events().some((e) => e.operation_id === body.operation_id))
    expect(watcher.events().filter((e) => e.operation_id === body.operation_id)).toEqual([
      { type: 'operation_started', operation_id: body.operation_id, operation_type: 'index', status: 'pending', seq: expect.any(Number) },
    ])
  })

  test('a client-proposed `operation_id` is used as is; proposing it again is 409 (and the hook is not called again)', async () => {
    const { start, get, started } = await withHooks()
    const first = await start('p1', { type: 'append', operation_id: 'op-client-1' })
    expect([first.status, await first.json()]).toEqual([201, { operation_id: 'op-client-1', status: 'pending' }])
    expect((await get('op-client-1')).status).toBe(200)
    const again = await start('p1', { operation_id: 'op-client-1' })
    expect(again.status).toBe(409)
    expect(await again.json()).toEqual({ detail: expect.stringContaining('already exists') })
    // Ids are global (GET /api/operations/{id} names no project): another project cannot take it either.
    expect((await start('p2', { operation_id: 'op-client-1' })).status).toBe(409)
    expect(started.map((s) => s.operationId)).toEqual(['op-client-1'])
  })

  test('two requests proposing the same id at once: one 201, one 409', async () => {
    const { start, started } = await withHooks()
    const statuses = (await Promise.all([start('p1', { operation_id: 'op-race' }), start('p1', { operation_id: 'op-race' })])).map((r) => r.status)
    expect(statuses.sort()).toEqual([201, 409])
    expect(started).toHaveLength(1)
  })

  test('no type, no body: a server id, and `type` undefined for the hook', async () => {
    const { url, started } = await withHooks()
    const response = await fetch(`${url}/api/projects/p1/operations`, { method: 'POST', headers: auth('tok-alice') })
    expect(response.status).toBe(201)
    expect(started[0]).toMatchObject({ type: undefined, body: {} })
  })

  test('`__proto__`, `constructor` and `prototype` keys never reach the hook, at any depth', async () => {
    const { start, started } = await withHooks()
    const response = await start('p1', '{"type":"index","__proto__":{"polluted":true},"options":{"constructor":{"prototype":{"x":1}},"depth":2}}')
    expect(response.status).toBe(201)
    const body = started[0]!.body
    expect(Object.keys(body)).toEqual(['type', 'options'])
    expect(body.options).toEqual({ depth: 2 })
    expect(Object.getPrototypeOf(Object.assign({}, body))).toBe(Object.prototype)
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined()
  })

  test.each([
    ['not JSON', '{"type": ', 'body is not JSON'],
    ['an array', '[1, 2]', 'body must be a JSON object'],
    ['a number', '42', 'body must be a JSON object'],
    ['a non-string type', { type: 7 }, '`type`'],
    ['an empty type', { type: '' }, '`type`'],
    ['a type with a control character', { type: 'a\nb' }, '`type`'],
    ['an id with a slash', { operation_id: '../op' }, '`operation_id`'],
    ['an id that is not a string', { operation_id: 12 }, '`operation_id`'],
    ['an id of 200 characters', { operation_id: 'a'.repeat(200) }, '`operation_id`'],
    ['an empty id', { operation_id: '' }, '`operation_id`'],
  ])('400 for %s; nothing published, no hook', async (_name, body, detail) => {
    const { start, started, server } = await withHooks()
    const response = await start('p1', body)
    expect(response.status).toBe(400)
    expect(((await response.json()) as { detail: string }).detail).toContain(detail)
    expect(started).toEqual([])
    expect(server.state('p1').operations.size).toBe(0)
  })

  test('413 for a body over 64 KiB, declared or streamed', async () => {
    const { start, url, started } = await withHooks()
    expect((await start('p1', { type: 'index', padding: 'x'.repeat(70 * 1024) })).status).toBe(413)
    // Without a Content-Length (chunked): counted as it arrives.
    const chunked = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 80; i++) controller.enqueue(new TextEncoder().encode('x'.repeat(1024)))
        controller.close()
      },
    })
    const streamed = await fetch(`${url}/api/projects/p1/operations`, { method: 'POST', headers: auth('tok-alice'), body: chunked, duplex: 'half' } as RequestInit)
    expect(streamed.status).toBe(413)
    expect(started).toEqual([])
  })

  test('a client that resets mid-body: nothing started, nothing logged as an error, the server answers the next request', async () => {
    const { port, start, started, lines } = await withHooks()
    const head = `POST /api/projects/p1/operations HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer tok-alice\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"type":"ind`
    await rawExchange(port, Buffer.from(head), { resetAfter: head.length })
    expect((await start('p1', { type: 'index' })).status).toBe(201)
    expect(started).toHaveLength(1)
    expect(lines.filter((l) => l.level === 'error')).toEqual([])
  })

  test('401 without a valid token, 403 outside `authorize`, 400 for a bad project id, 405 for GET: before the body is read or anything is published', async () => {
    const { start, url, started, server } = await withHooks()
    expect((await fetch(`${url}/api/projects/p1/operations`, { method: 'POST', body: '{}' })).status).toBe(401)
    expect((await start('p1', {}, 'nope')).status).toBe(401)
    // bob may see p2 only.
    const forbidden = await start('p1', { operation_id: 'op-bob' }, 'tok-bob')
    expect([forbidden.status, await forbidden.json()]).toEqual([403, { detail: 'forbidden' }])
    expect((await start('bad%2Fid', {})).status).toBe(400)
    expect((await fetch(`${url}/api/projects/p1/operations`, { headers: auth('tok-alice') })).status).toBe(405)
    expect(started).toEqual([])
    expect(server.state('p1').operations.size).toBe(0)
    expect(server.retained.operations).toBe(0)
  })

  test('authorization fails closed: without `authorize` every start is 403', async () => {
    const { start, started } = await withHooks({ authorize: undefined })
    expect((await start('p1', { type: 'index' })).status).toBe(403)
    expect(started).toEqual([])
  })

  test('an `authorize` that throws is a 500, never a start', async () => {
    const { start, started } = await withHooks({
      authorize: () => {
        throw new Error('policy service down')
      },
    })
    expect((await start('p1', {})).status).toBe(500)
    expect(started).toEqual([])
  })

  test('501 without `onStartOperation` (after authentication and authorization)', async () => {
    const { start } = await withHooks({ onStartOperation: undefined })
    const response = await start('p1', { type: 'index' })
    expect(response.status).toBe(501)
    expect(await response.json()).toEqual({ detail: expect.stringContaining('onStartOperation') })
    expect((await start('p1', {}, 'tok-bob')).status).toBe(403)
  })

  test('a hook that throws: operation_failed is published, 500 answered, and the token never reaches the log or the body', async () => {
    const { start, get, lines, connect } = await withHooks({
      onStartOperation: () => {
        // An app error that quotes the request's token (a real-world mistake).
        throw new Error('queue refused job for Bearer tok-alice')
      },
    })
    const watcher = connect('/ws/projects/p1', { token: 'tok-alice' })
    await watcher.opened()
    const response = await start('p1', { type: 'index', operation_id: 'op-doomed' })
    const text = await response.text()
    expect(response.status).toBe(500)
    expect(JSON.parse(text)).toEqual({ detail: 'the operation could not be started' })

    expect(await (await get('op-doomed')).json()).toMatchObject({ status: 'failed', error_message: 'the operation could not be started' })
    await watcher.until(() => watcher.events().some((e) => e.type === 'operation_failed'))
    expect(watcher.events().map((e) => [e.type, e.operation_id, e.status ?? null])).toEqual([
      ['operation_started', 'op-doomed', 'pending'],
      ['operation_failed', 'op-doomed', null],
    ])

    const failure = lines.find((l) => l.message.startsWith('onStartOperation failed'))
    expect(failure).toMatchObject({ level: 'error', fields: { projectId: 'p1', operationId: 'op-doomed' } })
    const everything = JSON.stringify(lines) + text
    expect(everything).not.toContain('tok-alice')
    expect(everything).toContain('queue refused job')
  })

  test('a hook that rejects later is handled the same way', async () => {
    const { start, get } = await withHooks({ onStartOperation: async () => Promise.reject(new Error('later')) })
    expect((await start('p1', { operation_id: 'op-later' })).status).toBe(500)
    expect(((await (await get('op-later')).json()) as { status: string }).status).toBe('failed')
  })

  test('CORS: an allowed origin gets its preflight and headers on the POST', async () => {
    const { url } = await withHooks({ allowedOrigins: ['http://app.test'] })
    const preflight = await fetch(`${url}/api/projects/p1/operations`, {
      method: 'OPTIONS',
      headers: { Origin: 'http://app.test', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization, content-type' },
    })
    expect(preflight.status).toBe(204)
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST')
    expect(preflight.headers.get('access-control-allow-headers')).toContain('Content-Type')
    const cancelPreflight = await fetch(`${url}/api/operations/op-1/cancel`, { method: 'OPTIONS', headers: { Origin: 'http://app.test', 'Access-Control-Request-Method': 'POST' } })
    expect(cancelPreflight.status).toBe(204)
    const posted = await fetch(`${url}/api/projects/p1/operations`, { method: 'POST', headers: { Origin: 'http://app.test', ...json, ...auth('tok-alice') }, body: '{}' })
    expect(posted.status).toBe(201)
    expect(posted.headers.get('access-control-allow-origin')).toBe('http://app.test')
  })

  test('a refused origin is answered 403 and gets nothing done: no operation started, none cancelled, nothing reindexed (before, only the CORS headers were withheld, and the request ran)', async () => {
    const reindexed: string[] = []
    const { url, started, cancelled, server, start } = await withHooks({ allowedOrigins: ['http://app.test'], onReindex: (projectId) => void reindexed.push(projectId) })
    expect((await start('p1', { operation_id: 'op-ok' })).status).toBe(201)
    const evil = { Origin: 'http://evil.test', ...auth('tok-alice') }
    const answers = [
      await fetch(`${url}/api/projects/p1/operations`, { method: 'POST', headers: { ...evil, 'Content-Type': 'text/plain' }, body: '{"operation_id":"op-evil"}' }),
      await fetch(`${url}/api/operations/op-ok/cancel`, { method: 'POST', headers: evil }),
      await fetch(`${url}/api/projects/p1/index/reindex`, { method: 'POST', headers: evil }),
      await fetch(`${url}/api/operations/op-ok`, { headers: evil }),
      await fetch(`${url}/api/projects/p1/operations`, { method: 'OPTIONS', headers: { Origin: 'http://evil.test', 'Access-Control-Request-Method': 'POST' } }),
    ]
    for (const answer of answers) {
      expect(answer.status).toBe(403)
      expect(answer.headers.get('access-control-allow-origin')).toBeNull()
      expect(((await answer.json()) as { detail: string }).detail).toContain('allowedOrigins')
    }
    expect(started.map((r) => r.operationId)).toEqual(['op-ok'])
    expect(cancelled).toEqual([])
    expect(reindexed).toEqual([])
    expect(server.metrics().drops.origin).toBe(answers.length)
    // A request without Origin (a server-side client, curl) is not refused for it.
    expect((await fetch(`${url}/api/operations/op-ok`, { headers: auth('tok-alice') })).status).toBe(200)
  })
})

describe('POST /api/operations/{operationId}/cancel', () => {
  test('202 cancelling for a running operation; the hook gets the request; the worker\'s operation_cancelled ends it; then 409', async () => {
    const { start, cancel, get, cancelled, server, connect } = await withHooks()
    const watcher = connect('/ws/projects/p1', { token: 'tok-alice' })
    await watcher.opened()
    await start('p1', { operation_id: 'op-c' })
    await server.publish('p1', { type: 'operation_progress', operation_id: 'op-c', processed_files: 1, total_files: 4 })

    const response = await cancel('op-c')
    expect([response.status, await response.json()]).toEqual([202, { status: 'cancelling' }])
    expect(cancelled).toEqual([{ projectId: 'p1', operationId: 'op-c', user: { id: 'alice', projects: ['p1', 'p2'] } }])
    // The route does not end the operation: the worker does.
    expect(((await (await get('op-c')).json()) as { status: string }).status).toBe('processing')

    await server.publish('p1', { type: 'operation_cancelled', operation_id: 'op-c' })
    await watcher.until(() => watcher.events().some((e) => e.type === 'operation_cancelled'))
    expect(((await (await get('op-c')).json()) as { status: string }).status).toBe('cancelled')
    const late = await cancel('op-c')
    expect([late.status, await late.json()]).toEqual([409, { detail: 'the operation has already ended (cancelled)' }])
    expect(cancelled).toHaveLength(1)
  })

  test('409 for a completed or failed operation', async () => {
    const { cancel, server, cancelled } = await withHooks()
    await server.publish('p1', { type: 'operation_started', operation_id: 'op-done' })
    await server.publish('p1', { type: 'operation_completed', operation_id: 'op-done' })
    await server.publish('p1', { type: 'operation_started', operation_id: 'op-bad' })
    await server.publish('p1', { type: 'operation_failed', operation_id: 'op-bad', error: 'disk full' })
    expect(((await (await cancel('op-done')).json()) as { detail: string }).detail).toContain('completed')
    const failed = await cancel('op-bad')
    expect(failed.status).toBe(409)
    expect(((await failed.json()) as { detail: string }).detail).toContain('failed')
    expect(cancelled).toEqual([])
  })

  test('404 unknown (or malformed) id, 403 outside the operation\'s project, 401 without a token, 405 for GET', async () => {
    const { cancel, start, url, cancelled } = await withHooks()
    expect((await cancel('op-nowhere')).status).toBe(404)
    expect((await cancel('bad%00id')).status).toBe(404)
    await start('p1', { operation_id: 'op-p1' })
    const forbidden = await cancel('op-p1', 'tok-bob')
    expect([forbidden.status, await forbidden.json()]).toEqual([403, { detail: 'forbidden' }])
    expect((await cancel('op-p1', 'nope')).status).toBe(401)
    expect((await fetch(`${url}/api/operations/op-p1/cancel`, { method: 'POST' })).status).toBe(401)
    expect((await fetch(`${url}/api/operations/op-p1/cancel`, { headers: auth('tok-alice') })).status).toBe(405)
    expect(cancelled).toEqual([])
  })

  test('authorization fails closed: without `authorize` a cancel is 403', async () => {
    const { cancel, server, cancelled } = await withHooks({ authorize: undefined })
    await server.publish('p1', { type: 'operation_started', operation_id: 'op-x' })
    expect((await cancel('op-x')).status).toBe(403)
    expect(cancelled).toEqual([])
  })

  test('501 without `onCancelOperation`', async () => {
    const { cancel, start } = await withHooks({ onCancelOperation: undefined })
    await start('p1', { operation_id: 'op-y' })
    const response = await cancel('op-y')
    expect(response.status).toBe(501)
    expect(await response.json()).toEqual({ detail: expect.stringContaining('onCancelOperation') })
  })

  test('a hook that throws: 500, nothing published, the operation goes on; no token in the log or body', async () => {
    const { cancel, start, get, lines, server } = await withHooks({
      onCancelOperation: () => {
        throw new Error('worker unreachable (token tok-alice)')
      },
    })
    await start('p1', { operation_id: 'op-z' })
    const head = await server.bus.head('p1')
    const response = await cancel('op-z')
    const text = await response.text()
    expect([response.status, JSON.parse(text)]).toEqual([500, { detail: 'the cancellation could not be requested' }])
    expect(await server.bus.head('p1')).toBe(head)
    expect(((await (await get('op-z')).json()) as { status: string }).status).toBe('pending')
    expect(lines.find((l) => l.message.startsWith('onCancelOperation failed'))).toMatchObject({ level: 'error', fields: { operationId: 'op-z' } })
    expect(JSON.stringify(lines) + text).not.toContain('tok-alice')
  })
})
