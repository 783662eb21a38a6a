/**
 * A server that sends what it should not, found by reading the client as an attacker would (a
 * helper's probe of 2026-12-05, scripts ported here): values whose `toString` is not a function, an
 * app validator or reducer that throws, a `seq` no server can be asked for, the token echoed where
 * a status word or JSON was expected, an SSE event past the line limit, and a lagging REST answer
 * after the socket ended an index run. Each was an uncaught exception, lost events, a stuck stream
 * or a token in an error before. Real `ws` and HTTP servers on loopback ports, the real client and
 * a real QueryClient; the frame decoder alone for what only it decides.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { QueryClient, QueryObserver } from '@tanstack/query-core'
import fc from 'fast-check'
import { z } from 'zod'
import { afterEach, describe, expect, test } from 'vitest'
import { WebSocket } from 'ws'
import { defineChannel, indexStatusChannel, LiveStatusClient, operationProgressChannel, type IndexStatus, type LiveStatusClientOptions } from '../../src/core'
import { reduceScan } from '../../src/channels/directoryScan'
import { resumeBySeq, SocketHub } from '../../src/transport'
import { FrameDecoder, type FrameSubscriber } from '../../src/transport/frameDecoder'
import { redact } from '../../src/transport/redact'
import { sse } from '../../src/transport/sse/sse'
import type { EventError } from '../../src/transport/types'
import { startDialectServer, waitForData } from '../helpers/dialectServer'
import { fakeSource } from '../helpers/fakeSources'
import { waitForStatus } from '../helpers/wsServer'

const SEED = Number(process.env.MODEL_SEED ?? 20261205)
const TOKEN = 'Zk8+Qw3/Lp9=Rt5+Mn2/Xy7=Vb4+Hs6q'

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn()
})

/** Any run of 8 or more of the token's characters (docs/transport.md: what is always masked). */
function tokenPiece(text: string): string | null {
  for (let i = 0; i + 8 <= TOKEN.length; i++) if (text.includes(TOKEN.slice(i, i + 8))) return TOKEN.slice(i, i + 8)
  return null
}

/** A client whose flushes run in a microtask, recording anything that escapes one. */
function makeClient(options: Partial<LiveStatusClientOptions> & { apiUrl: string }) {
  const callbackErrors: unknown[] = []
  const eventErrors: EventError[] = []
  const escaped: unknown[] = []
  const client = new LiveStatusClient({
    WebSocket,
    accessToken: TOKEN,
    onCallbackError: (error) => callbackErrors.push(error),
    onEventError: (error) => eventErrors.push(error),
    scheduleFlush: (flush) => {
      queueMicrotask(() => {
        try {
          flush()
        } catch (error) {
          escaped.push(error)
        }
      })
      return () => {}
    },
    ...options,
  })
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } })
  cleanups.push(() => client.dispose(), () => queryClient.clear())
  return { client, queryClient, callbackErrors, eventErrors, escaped }
}

function decoder(onCallbackError: (error: unknown) => void = () => {}) {
  const reports: EventError[] = []
  const made = new FrameDecoder(
    { maxPayloadBytes: 1024 * 1024, discriminator: 'type', controlTypes: ['pong'], resumeParam: resumeBySeq('since'), onEventError: (error) => reports.push(error), onCallbackError },
    'ws://x/ws',
    () => TOKEN,
  )
  return { decoder: made, reports }
}

/** A Standard Schema taking one type, its issue path written the `{ key }` way. */
const accepts = (type: string) => ({
  '~standard': { version: 1 as const, vendor: 'test', validate: (value: unknown) => ((value as { type?: unknown }).type === type ? { value } : { issues: [{ path: [{ key: 'type' }], message: 'no' }] }) },
})

describe('values whose toString is not a function', () => {
  test('a client_error whose reason is {"toString":1} is counted as rejected; the valid event of its batch is delivered', () => {
    const { decoder: d, reports } = decoder()
    const delivered: unknown[] = []
    const frame = JSON.stringify({ type: 'batch', events: [{ type: 'client_error', messageType: { toString: 1 }, reason: { toString: 1 } }, { type: 'progress', n: 1 }] })
    expect(() => d.dispatch(frame, [{ schema: accepts('progress'), onEvents: (events) => delivered.push(...events) }])).not.toThrow()
    expect(delivered).toEqual([{ type: 'progress', n: 1 }])
    expect(d.stats.dropped.rejected).toBe(1)
    expect(reports[0]!.message).toBe('server rejected {"toString":1}: {"toString":1}')
  })

  test('a scan warning whose message is {"toString":1} is kept as text', () => {
    const scan = reduceScan(undefined, { type: 'completed', warnings: [{ message: { toString: 1 } }, { message: 'plain' }, 'bare'] } as never, 0)
    expect(scan.warnings).toEqual(['{"toString":1}', 'plain', 'bare'])
  })

  test('generated hostile messages (such keys at any depth, in batches): dispatch never throws, and each is delivered or counted', () => {
    const key = fc.constantFrom('type', 'reason', 'messageType', 'seq', 'events', 'toString', 'valueOf', 'toJSON', 'message', 'n')
    const { value } = fc.letrec((tie) => ({
      value: fc.oneof({ depthSize: 'small' }, fc.jsonValue({ maxDepth: 1 }), fc.dictionary(key, tie('value'), { maxKeys: 4 }), fc.array(tie('value'), { maxLength: 3 })),
    }))
    const message = fc.record({ type: fc.constantFrom('progress', 'client_error', 'pong', 'other', 'batch'), extra: fc.dictionary(key, value, { maxKeys: 4 }) }).map(({ type, extra }) => ({ ...extra, type }))
    const frame = fc.oneof(message, fc.array(message, { maxLength: 4 }).map((events) => ({ type: 'batch', events })))
    fc.assert(
      fc.property(frame, (sent) => {
        const { decoder: d } = decoder()
        let delivered = 0
        expect(() => d.dispatch(JSON.stringify(sent), [{ schema: accepts('progress'), onEvents: (events) => (delivered += events.length) }])).not.toThrow()
        const list = (sent as { events?: unknown }).events
        const messages = sent.type === 'batch' && Array.isArray(list) ? list.length : 1
        const controls = (sent.type === 'batch' && Array.isArray(list) ? list : [sent]).filter((m) => (m as { type?: unknown } | null)?.type === 'pong').length
        const dropped = Object.values(d.stats.dropped).reduce((a, b) => a + b, 0)
        expect(delivered + dropped + controls).toBe(messages)
      }),
      { seed: SEED, numRuns: 500 },
    )
  })
})

describe('an app validator or reducer that throws', () => {
  test('a validator that throws refuses that message only: reported to onCallbackError, counted, the rest of the batch delivered', () => {
    const errors: unknown[] = []
    const { decoder: d } = decoder((error) => errors.push(error))
    const throwing = {
      '~standard': {
        version: 1 as const,
        vendor: 'test',
        validate: (value: unknown) => {
          if ((value as { weird?: unknown }).weird) throw new TypeError('transform threw')
          return { value }
        },
      },
    }
    const delivered: unknown[] = []
    d.dispatch(JSON.stringify({ type: 'batch', events: [{ type: 'a' }, { type: 'a', weird: 1 }, { type: 'a' }] }), [{ schema: throwing, onEvents: (events) => delivered.push(...events) }])
    expect(delivered).toHaveLength(2)
    expect(errors.map(String)).toEqual(['TypeError: transform threw'])
    expect(d.stats.dropped.schema_mismatch).toBe(1)
  })

  test('a reducer that throws on one event: reported, that event left out and REST read again; the events after it and the other queries of the socket are written', async () => {
    const sockets = new Set<WebSocket>()
    const server = await startDialectServer({ sockets: [{ match: (path) => path === '/ws/shared', handle: (socket) => void sockets.add(socket) }] })
    cleanups.push(() => server.close())
    const fetches = { a: 0, b: 0 }
    const counter = (name: 'a' | 'b', throwOn?: string) =>
      defineChannel<{ id: string }, { type: string }, { n: number }>({
        name,
        queryKey: ({ id }) => [name, id],
        socket: () => '/ws/shared',
        schema: { '~standard': { version: 1, vendor: 'test', validate: (value: unknown) => ({ value: value as { type: string } }) } },
        reduce: (data, event) => {
          if (event.type === throwOn) throw new Error(`reducer of ${name} threw`)
          return { n: (data?.n ?? 0) + 1 }
        },
        fetch: async ({ previous }) => (fetches[name]++, previous ?? { n: 0 }),
        isActive: () => true,
      })
    const a = counter('a', 'boom')
    const b = counter('b')
    const { client, queryClient, callbackErrors, escaped } = makeClient({ apiUrl: server.apiUrl, quietCheckMs: false })
    for (const channel of [a, b]) {
      cleanups.push(client.live(queryClient, channel, { id: '1' }))
      // Observed, as a hook would: a refetch only runs for a query something shows.
      cleanups.push(new QueryObserver(queryClient, { queryKey: channel.queryKey({ id: '1' }), queryFn: ({ signal }) => client.fetchLive(queryClient, channel, { id: '1' }, signal) }).subscribe(() => {}))
    }
    await waitForData(queryClient, ['a', '1'], (data) => data !== undefined)
    await waitForData(queryClient, ['b', '1'], (data) => data !== undefined)
    await waitForStatus(client.hub.watchStatus(client.socketUrl('/ws/shared')), (status) => status.state === 'open')
    const [socket] = sockets
    socket!.send(JSON.stringify({ type: 'batch', events: [{ type: 'tick' }, { type: 'boom' }, { type: 'tick' }] }))
    await waitForData<{ n: number }>(queryClient, ['b', '1'], (data) => data?.n === 3)
    expect(queryClient.getQueryData(['a', '1'])).toEqual({ n: 2 })
    await waitForStatus({ subscribe: (fn) => queryClient.getQueryCache().subscribe(fn), getSnapshot: () => fetches.a }, (count) => count === 2)
    socket!.send(JSON.stringify({ type: 'tick' }))
    await waitForData<{ n: number }>(queryClient, ['b', '1'], (data) => data?.n === 4)
    expect(queryClient.getQueryData(['a', '1'])).toEqual({ n: 3 })
    expect(callbackErrors.map(String)).toEqual(['Error: reducer of a threw'])
    expect(escaped).toEqual([])
    expect(fetches.b).toBe(1)
  })
})

describe('the token in an app error', () => {
  test("a reducer's, a zod transform's and a thrown string's: masked before onCallbackError, whichever layer caught them (before: only the validator's)", async () => {
    const sockets = new Set<WebSocket>()
    const server = await startDialectServer({ sockets: [{ match: (path) => path === '/ws/echo', handle: (socket) => void sockets.add(socket) }] })
    cleanups.push(() => server.close())
    const channel = defineChannel<{ id: string }, { type: string; note: string }, { n: number }>({
      name: 'echo',
      queryKey: ({ id }) => ['echo', id],
      socket: () => '/ws/echo',
      schema: z.object({ type: z.string(), note: z.string() }).transform((event) => {
        if (event.type === 'transform') throw new Error(`transform cannot read ${event.note}`)
        return event
      }),
      reduce: (data, event) => {
        if (event.type === 'reduce') throw new Error(`reducer cannot read ${event.note}`)
        if (event.type === 'string') throw `reducer threw ${event.note}`
        return { n: (data?.n ?? 0) + 1 }
      },
      fetch: async ({ previous }) => previous ?? { n: 0 },
      isActive: () => true,
    })
    const { client, queryClient, callbackErrors } = makeClient({ apiUrl: server.apiUrl, quietCheckMs: false })
    cleanups.push(client.live(queryClient, channel, { id: '1' }))
    await waitForStatus(client.hub.watchStatus(client.socketUrl('/ws/echo')), (status) => status.state === 'open')
    const [socket] = sockets
    const note = `echo ${TOKEN.slice(0, 12)}`
    for (const type of ['transform', 'reduce', 'string']) socket!.send(JSON.stringify({ type, note }))
    socket!.send(JSON.stringify({ type: 'tick', note: 'done' }))
    await waitForData<{ n: number }>(queryClient, ['echo', '1'], (data) => data?.n === 1)
    // The transform's error comes from a rejected promise: settled before the next macrotask.
    await new Promise<void>((resolve) => setImmediate(resolve))
    const texts = callbackErrors.map((error) => (typeof error === 'string' ? error : (error as Error).message)).sort()
    expect(texts).toEqual(['reducer cannot read echo ***', 'reducer threw echo ***', 'transform cannot read echo ***'])
    for (const error of callbackErrors) expect(tokenPiece(String((error as Error).stack ?? error))).toBeNull()
  })
})

describe('a rotated-out token (a helper’s probe of 2026-12-06)', () => {
  const OLD = 'old-Hs6q+Vb4=Tt1/Uu9+Ww3-0123'
  const NEW = 'new-Lp9=Rt5+Mn2/Xy7=Vb4-4567'

  /** Errors as they reach `onCallbackError`, with a way to wait for them. */
  function recorder() {
    const errors: unknown[] = []
    const listeners = new Set<() => void>()
    return {
      errors,
      onCallbackError: (error: unknown) => (errors.push(error), listeners.forEach((listener) => listener())),
      store: { subscribe: (listener: () => void) => (listeners.add(listener), () => void listeners.delete(listener)), getSnapshot: () => errors.length },
    }
  }
  const oldPiece = (error: unknown) => {
    const text = String((error as Error)?.stack ?? error)
    for (let i = 0; i + 8 <= OLD.length; i++) if (text.includes(OLD.slice(i, i + 8))) return OLD.slice(i, i + 8)
    return null
  }

  test.each(['accessToken', 'getAccessToken'] as const)("a reducer's error quoting the old token, flushed after a 4401 and the reconnect with the new one (%s): masked (before: in full)", async (mode) => {
    const sockets: WebSocket[] = []
    const server = await startDialectServer({ sockets: [{ match: (path) => path === '/ws/echo', handle: (socket) => void sockets.push(socket) }] })
    cleanups.push(() => server.close())
    const channel = defineChannel<{ id: string }, { type: string; note: string }, { n: number }>({
      name: 'echo',
      queryKey: ({ id }) => ['echo', id],
      socket: () => '/ws/echo',
      schema: z.object({ type: z.string(), note: z.string() }),
      reduce: (data, event) => {
        if (event.type === 'reduce') throw new Error(`reducer cannot read ${event.note}`)
        return { n: (data?.n ?? 0) + 1 }
      },
      fetch: async ({ previous }) => previous ?? { n: 0 },
      isActive: () => true,
    })
    let current = OLD
    const seen = recorder()
    const client = new LiveStatusClient({
      apiUrl: server.apiUrl,
      WebSocket,
      quietCheckMs: false,
      ...(mode === 'getAccessToken' ? { getAccessToken: () => current } : { accessToken: OLD }),
      onCallbackError: seen.onCallbackError,
    })
    const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } })
    cleanups.push(() => client.dispose(), () => queryClient.clear())
    cleanups.push(client.live(queryClient, channel, { id: '1' }))
    await waitForStatus(client.hub.watchStatus(client.socketUrl('/ws/echo')), (status) => status.state === 'open')
    current = NEW
    if (mode === 'accessToken') client.setAccessToken(NEW)
    sockets[0]!.send(JSON.stringify({ type: 'reduce', note: `echo ${OLD}` }))
    sockets[0]!.close(4401, 'token expired')
    await waitForStatus(seen.store, (count) => count === 1)
    expect((seen.errors[0] as Error).message).toBe('reducer cannot read echo ***')
    expect(oldPiece(seen.errors[0])).toBeNull()
  })

  test("the socket opened with the new token: a dropped frame's sample and a close reason quoting the old one are masked (before: only the socket's own token was)", async () => {
    const sockets: WebSocket[] = []
    const server = await startDialectServer({ sockets: [{ match: (path) => path === '/ws/echo', handle: (socket) => void sockets.push(socket) }] })
    cleanups.push(() => server.close())
    let current = OLD
    const reports = recorder()
    const eventErrors: EventError[] = []
    const hub = new SocketHub({
      getToken: () => current,
      WebSocket,
      reconnect: { initialDelayMs: 60_000 },
      onEventError: (error) => (eventErrors.push(error), reports.onCallbackError(error)),
    })
    cleanups.push(() => hub.dispose())
    const url = `${server.apiUrl.replace('http', 'ws')}/ws/echo`
    hub.acquire(url, { schema: accepts('progress') })
    const status = hub.watchStatus(url)
    await waitForStatus(status, (s) => s.state === 'open')
    current = NEW
    sockets[0]!.close(4401, 'token expired')
    // A refused token already replaced: retried at once with the new one.
    await waitForStatus({ subscribe: status.subscribe, getSnapshot: () => sockets.length }, (count) => count === 2)
    await waitForStatus(status, (s) => s.state === 'open')
    sockets[1]!.send(JSON.stringify({ type: 'unknown', note: `echo ${OLD}` }))
    await waitForStatus(reports.store, (count) => count === 1)
    expect(oldPiece(JSON.stringify(eventErrors))).toBeNull()
    sockets[1]!.close(4000, `bye ${OLD}`)
    const closed = await waitForStatus(status, (s) => s.lastCloseCode === 4000)
    expect(oldPiece(String(closed.lastCloseReason))).toBeNull()
  })

  test("an asynchronous validator's rejection quoting the token, settling after the hub is disposed (a getToken hub holds no token of its own): masked", async () => {
    const sockets: WebSocket[] = []
    const server = await startDialectServer({ sockets: [{ match: () => true, handle: (socket) => void sockets.push(socket) }] })
    cleanups.push(() => server.close())
    const seen = recorder()
    const hub = new SocketHub({ getToken: async () => OLD, WebSocket, onCallbackError: seen.onCallbackError })
    let rejectLater: () => void = () => {}
    const validating = recorder()
    const schema = {
      '~standard': {
        version: 1 as const,
        vendor: 'test',
        validate: (message: unknown) =>
          new Promise<never>((_resolve, reject) => {
            validating.onCallbackError(message)
            rejectLater = () => reject(new Error(`cannot read ${JSON.stringify(message)}`))
          }),
      },
    }
    const url = `${server.apiUrl.replace('http', 'ws')}/ws`
    hub.acquire(url, { schema })
    await waitForStatus(hub.watchStatus(url), (status) => status.state === 'open')
    sockets[0]!.send(JSON.stringify({ type: 'x', note: OLD }))
    await waitForStatus(validating.store, (count) => count === 1)
    hub.dispose()
    rejectLater()
    await waitForStatus(seen.store, (count) => count === 1)
    expect(oldPiece(seen.errors[0])).toBeNull()
  })
})

describe('the resume point', () => {
  test('moves only for a message something took, and only to a safe integer', () => {
    const { decoder: d } = decoder()
    const subscribers: FrameSubscriber[] = [{ schema: accepts('progress'), onEvents: () => {} }]
    d.dispatch('{"type":"server_stats","seq":100000000000000000}', subscribers)
    d.dispatch('{"type":"pong","seq":99}', subscribers)
    d.dispatch('{"type":"client_error","seq":98,"reason":"x"}', subscribers)
    expect(d.maxSeq).toBe(0)
    d.dispatch('{"type":"progress","seq":1e400}', subscribers)
    d.dispatch('{"type":"progress","seq":100000000000000000}', subscribers)
    expect(d.maxSeq).toBe(0)
    d.dispatch('{"type":"progress","seq":42}', subscribers)
    expect(d.maxSeq).toBe(42)
  })

  test('is not tracked at all without resumeParam (the code that tracks it comes with resumeBySeq)', () => {
    const d = new FrameDecoder({ maxPayloadBytes: 1024, discriminator: 'type', controlTypes: [], onEventError: undefined, onCallbackError: () => {} }, 'ws://x/ws', () => TOKEN)
    d.dispatch('{"type":"progress","seq":42}', [{ schema: accepts('progress'), onEvents: () => {} }])
    expect(d.stats.eventsDelivered).toBe(1)
    expect(d.maxSeq).toBe(0)
  })
})

describe('the token echoed where it does not belong', () => {
  async function fetchOperationError(body: () => Response) {
    const { client, queryClient } = makeClient({ apiUrl: 'http://127.0.0.1:1', fetch: (async () => body()) as typeof fetch })
    const params = { operationId: 'op1' }
    const error = await queryClient.fetchQuery({ queryKey: ['op', Math.random()], queryFn: ({ signal }) => client.fetchLive(queryClient, operationProgressChannel, params, signal) }).then(
      () => null,
      (caught: unknown) => caught as Error,
    )
    expect(error).toBeInstanceOf(Error)
    return `${error!.message}\n${error!.stack}`
  }

  test('as a status word in a 200 answer: the error says what was expected, without the value', async () => {
    const text = await fetchOperationError(() => Response.json({ id: 'op1', status: TOKEN }))
    expect(tokenPiece(text)).toBeNull()
    expect(text).toContain('status is none of pending, queued')
  })

  test('in a 200 answer that is not JSON, anywhere in it: the error names the URL and status, not the body', async () => {
    for (const body of [`${TOKEN} is not allowed here`, `{"auth":${TOKEN}}`]) {
      const text = await fetchOperationError(() => new Response(body, { status: 200, headers: { 'Content-Type': 'application/json' } }))
      expect(tokenPiece(text)).toBeNull()
      expect(text).toContain('answered 200 with a body that is not JSON')
    }
  })

  test('percent-encoded with lower-case escapes, in an error body: masked like the upper-case form', async () => {
    const lower = encodeURIComponent(TOKEN).replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase())
    expect(lower).not.toBe(encodeURIComponent(TOKEN))
    const text = await fetchOperationError(() => new Response(`no such session ${lower}`, { status: 500 }))
    expect(text).not.toContain(lower)
    expect(text).toContain('no such session ***')
    expect(redact(`a ${lower} b ${encodeURIComponent(TOKEN)} c`, TOKEN)).toBe('a *** b *** c')
  })

  test('a rejection of a megabyte: its report is cut, the token masked', () => {
    const { decoder: d, reports } = decoder()
    d.dispatch(JSON.stringify({ type: 'client_error', reason: `${TOKEN} ${'x'.repeat(1_000_000)}` }), [])
    expect(reports[0]!.message.length).toBeLessThan(400)
    expect(reports[0]!.message).toMatch(/^server rejected a message: \*\*\* x+… \(\d+ chars\)$/)
  })
})

describe('an SSE event past the line limit', () => {
  test('is skipped and counted as too_large; the stream stays open and the event after it arrives', async () => {
    const requests: string[] = []
    const server: Server = createServer((request, response) => {
      requests.push(request.url ?? '')
      response.writeHead(200, { 'Content-Type': 'text/event-stream' })
      response.write(`data: {"type":"progress","message":"${'x'.repeat(2.2 * 1024 * 1024)}"}\n\n`)
      response.write('data: {"type":"progress","n":2}\n\n')
    })
    await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening))
    cleanups.push(() => new Promise((closed) => (server.closeAllConnections(), server.close(closed))))
    const hub = new SocketHub({ token: TOKEN, endpointOptions: () => sse(), onlineManager: fakeSource(true), focusManager: fakeSource(true) })
    cleanups.push(() => hub.dispose())
    const delivered: unknown[] = []
    const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/sse/projects/p1`
    let arrived!: () => void
    const delivery = new Promise<void>((resolve) => (arrived = resolve))
    const lease = hub.acquire(url, { onEvents: (events) => (delivered.push(...events), arrived()) })
    cleanups.push(() => lease.release())
    await delivery
    expect(delivered).toEqual([{ type: 'progress', n: 2 }])
    expect(lease.connection.stats.dropped.too_large).toBe(1)
    expect(lease.connection.getStatus().state).toBe('open')
    expect(requests).toHaveLength(1)
  })
})

describe('an index run the socket ended, and a REST answer that lags', () => {
  test('a stamped "indexing" answer asked for at the end does not take the screen back from "complete"', async () => {
    let answer: { status: number; body?: unknown } = { status: 404 }
    let restCalls = 0
    const sockets = new Set<WebSocket>()
    const server = await startDialectServer({
      rest: { 'GET /api/projects/p1/index': () => (restCalls++, answer) },
      sockets: [{ match: (path) => path === '/ws/projects/p1', handle: (socket) => void sockets.add(socket) }],
    })
    cleanups.push(() => server.close())
    const { client, queryClient } = makeClient({ apiUrl: server.apiUrl })
    const params = { projectId: 'p1' }
    const key = indexStatusChannel.queryKey(params)
    const states: string[] = []
    cleanups.push(queryClient.getQueryCache().subscribe(() => {
      const state = queryClient.getQueryData<IndexStatus>(key)?.state
      if (state && states.at(-1) !== state) states.push(state)
    }))
    cleanups.push(client.live(queryClient, indexStatusChannel, params))
    cleanups.push(new QueryObserver(queryClient, { queryKey: key, queryFn: ({ signal }) => client.fetchLive(queryClient, indexStatusChannel, params, signal) }).subscribe(() => {}))
    await waitForData<IndexStatus>(queryClient, key, (data) => data?.state === 'not_indexed')
    await waitForStatus(client.hub.watchStatus(client.socketUrl('/ws/projects/p1')), (status) => status.state === 'open')
    // REST has the run's start (stamped), not its end: the ontology editor's events carry no time.
    answer = { status: 200, body: { project_id: 'p1', status: 'indexing', updated_at: '2026-04-21T12:00:01Z' } }
    const [socket] = sockets
    socket!.send(JSON.stringify({ type: 'index_started', project_id: 'p1' }))
    socket!.send(JSON.stringify({ type: 'index_complete', project_id: 'p1', entity_count: 42 }))
    await waitForData<IndexStatus>(queryClient, key, (data) => data?.state === 'complete')
    // The refetch at the end: answered "indexing", and merged.
    await waitForStatus({ subscribe: (fn) => queryClient.getQueryCache().subscribe(fn), getSnapshot: () => restCalls >= 2 && queryClient.isFetching() === 0 }, (done) => done)
    expect(queryClient.getQueryData<IndexStatus>(key)?.state).toBe('complete')
    expect(states.slice(states.indexOf('complete'))).toEqual(['complete'])
  })
})
