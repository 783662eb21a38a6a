// @vitest-environment happy-dom
/**
 * The races of "the cache tells the server's truth", one test each, through the hooks as an app
 * uses them. (The generated schedules in __tests__/core/cacheTruth.model.test.ts cover their
 * interleavings; these pin each one down by name.)
 */
import { useQuery } from '@tanstack/react-query'
import { act, screen } from '@testing-library/react'
import { Profiler } from 'react'
import { describe, expect, test, vi } from 'vitest'
import { z } from 'zod'
import {
  defineChannel,
  liveStatusKeys,
  useIndexStatus,
  useLiveInvalidation,
  useLiveQuery,
  useOperationProgress,
  type IndexStatus,
  type OperationProgress,
} from '../../src'
import type { RestAnswer } from '../../src/testing'
import { advance, FRAME_MS, setupLive, TOKEN, useFakeLiveClock } from '../helpers/renderWithLive'
import { documentIndexer } from '../../src/dialects/documentIndexer'

useFakeLiveClock()

const endpoints = {
  operationSocket: (id: string) => `/ws/operations/${id}`,
  operationStatus: (id: string) => `/api/v2/operations/${id}`,
}
const OP_SOCKET = '/ws/operations/op1'
const OP_STATUS = '/api/v2/operations/op1'
const INDEX_SOCKET = '/ws/projects/p1'
const INDEX_STATUS = '/api/projects/p1/index'
const text = (id: string) => screen.getByTestId(id).textContent

/** A REST answer the test releases when it wants: a slow backend. */
function slowAnswers() {
  const waiting: ((answer: RestAnswer) => void)[] = []
  return {
    handler: () => new Promise<RestAnswer>((resolve) => waiting.push(resolve)),
    release: (answer: RestAnswer) => waiting.shift()!(answer),
    get count() {
      return waiting.length
    },
  }
}

function Operation() {
  const { data, connection, status } = useOperationProgress('op1')
  return (
    <div>
      <span data-testid="status">{data?.status ?? 'loading'}</span>
      <span data-testid="files">{data ? `${data.processedFiles}/${data.totalFiles}` : ''}</span>
      <span data-testid="query">{status}</span>
      <span data-testid="connection">{connection.state}</span>
    </div>
  )
}

function Index() {
  const { data } = useIndexStatus('p1')
  return <span data-testid="index">{data?.state ?? 'loading'}</span>
}

const restOperation = (status: string, processed: number) => ({ id: 'op1', status, processed_files: processed, total_files: 10 })

describe('events during an in-flight fetch', () => {
  test('operation: a slow first answer does not erase the counters the socket sent meanwhile', async () => {
    const { backend, renderLive } = setupLive({ endpoints })
    backend.socketAt(OP_SOCKET)
    const slow = slowAnswers()
    backend.route('GET', OP_STATUS, slow.handler)
    renderLive(<Operation />)
    await advance()
    expect(slow.count).toBe(1)
    backend.send(OP_SOCKET, { type: 'file_completed', processed_files: 4, total_files: 10 })
    backend.send(OP_SOCKET, { type: 'file_completed', processed_files: 5, total_files: 10 })
    await advance()
    expect(text('files')).toBe('5/10')
    // The answer was computed before those events (600–800 ms answers are common).
    slow.release({ status: 200, body: restOperation('processing', 2) })
    await advance()
    expect(text('status')).toBe('processing')
    expect(text('files')).toBe('5/10')
  })

  test('index: an end announced while the status request is out is not undone by its answer', async () => {
    const { backend, renderLive } = setupLive()
    backend.socketAt(INDEX_SOCKET)
    const slow = slowAnswers()
    backend.route('GET', INDEX_STATUS, slow.handler)
    renderLive(<Index />)
    await advance()
    backend.send(INDEX_SOCKET, { type: 'index_started', project_id: 'p1' })
    backend.send(INDEX_SOCKET, { type: 'index_complete', project_id: 'p1', entity_count: 3 })
    await advance()
    // Every answer out there was computed while the job still ran (the end's refetch included: a
    // replica that lags behind the socket).
    while (slow.count > 0) {
      slow.release({ status: 200, body: { project_id: 'p1', status: 'indexing', indexed_at: null } })
      await advance()
    }
    expect(text('index')).toBe('complete')
  })

  test('defineChannel: events that arrive while its fetch is out are applied on top of the answer', async () => {
    const counter = defineChannel<{ id: string }, { type: 'add'; n: number }, { total: number }>({
      name: 'counter',
      queryKey: ({ id }) => ['counter', id],
      socket: (_client, { id }) => `/ws/counter/${id}`,
      schema: z.object({ type: z.literal('add'), n: z.number() }),
      reduce: (data, event) => ({ total: (data?.total ?? 0) + event.n }),
      fetch: async ({ client, params, signal }) => (await client.getJson(`/api/counter/${params.id}`, { signal })) as { total: number },
      isActive: () => true,
    })
    function Counter() {
      const { data } = useLiveQuery(counter, { id: 'c1' })
      return <span data-testid="total">{data?.total ?? 'loading'}</span>
    }
    const { backend, renderLive } = setupLive()
    backend.socketAt('/ws/counter/c1')
    const slow = slowAnswers()
    backend.route('GET', '/api/counter/c1', slow.handler)
    renderLive(<Counter />)
    await advance()
    backend.send('/ws/counter/c1', { type: 'add', n: 2 })
    backend.send('/ws/counter/c1', { type: 'add', n: 3 })
    await advance()
    slow.release({ status: 200, body: { total: 10 } })
    await advance()
    expect(text('total')).toBe('15')
  })
})

describe('clocks', () => {
  const SERVER_NOW = Date.parse('2026-11-23T10:00:00Z')

  test('a browser clock hours ahead of the server does not keep a finished index "indexing"', async () => {
    // The browser believes it is two hours later than the server does.
    vi.setSystemTime(SERVER_NOW + 2 * 3_600_000)
    const { backend, renderLive, queryClient } = setupLive()
    backend.socketAt(INDEX_SOCKET)
    let body: unknown = { project_id: 'p1', status: 'indexing', indexed_at: null }
    backend.route('GET', INDEX_STATUS, () => ({ status: 200, body }))
    renderLive(<Index />)
    await advance()
    backend.send(INDEX_SOCKET, { type: 'index_started', project_id: 'p1' })
    await advance()
    expect(text('index')).toBe('indexing')
    // The job ends a minute later by the server's clock; the socket missed it, REST knows.
    body = { project_id: 'p1', status: 'ready', entity_count: 9, indexed_at: new Date(SERVER_NOW + 60_000).toISOString() }
    await act(() => queryClient.refetchQueries({ queryKey: liveStatusKeys.index('p1') }))
    await advance()
    expect(text('index')).toBe('complete')
  })

  test('a new run stays distinguishable from the previous result coming back over REST', async () => {
    const { backend, renderLive, queryClient } = setupLive()
    backend.socketAt(INDEX_SOCKET)
    const finished = { project_id: 'p1', status: 'ready', entity_count: 9, indexed_at: new Date(SERVER_NOW).toISOString() }
    backend.route('GET', INDEX_STATUS, { status: 200, body: finished })
    renderLive(<Index />)
    await advance()
    expect(text('index')).toBe('complete')
    backend.send(INDEX_SOCKET, { type: 'index_started', project_id: 'p1' })
    await advance()
    // REST has not heard of the new run yet: still the last result, with the same indexed_at.
    await act(() => queryClient.refetchQueries({ queryKey: liveStatusKeys.index('p1') }))
    await advance()
    expect(text('index')).toBe('indexing')
    expect(queryClient.getQueryData<IndexStatus>(liveStatusKeys.index('p1'))?.serverUpdatedAt?.toISOString()).toBe(finished.indexed_at)
  })
})

describe('sign-in', () => {
  test('before the token no request leaves; the first requests after it carry it; no auth error', async () => {
    const onAuthError = vi.fn()
    const { backend, renderLive } = setupLive({ endpoints, accessToken: undefined, onAuthError })
    backend.socketAt(OP_SOCKET)
    backend.route('GET', OP_STATUS, (call) =>
      call.authorization === `Bearer ${TOKEN}` ? { status: 200, body: restOperation('processing', 1) } : { status: 401 },
    )
    const view = renderLive(<Operation />)
    await advance(1000)
    expect(backend.callsTo('GET', OP_STATUS)).toHaveLength(0)
    expect(backend.created).toHaveLength(0)
    view.rerenderWith(<Operation />, { accessToken: TOKEN })
    await advance()
    const calls = backend.callsTo('GET', OP_STATUS)
    expect(calls.length).toBeGreaterThan(0)
    expect(calls.every((call) => call.authorization === `Bearer ${TOKEN}`)).toBe(true)
    expect(text('status')).toBe('processing')
    expect(text('query')).toBe('success')
    expect(onAuthError).not.toHaveBeenCalled()
  })

  test('a 401 earned by a token that was replaced meanwhile is retried with the current one', async () => {
    const onAuthError = vi.fn()
    const { backend, renderLive } = setupLive({ endpoints, accessToken: 'old-token', onAuthError })
    backend.socketAt(OP_SOCKET)
    const slow = slowAnswers()
    backend.route('GET', OP_STATUS, (call) => (call.authorization === 'Bearer new-token' ? { status: 200, body: restOperation('processing', 3) } : slow.handler()))
    const view = renderLive(<Operation />)
    await advance()
    view.rerenderWith(<Operation />, { accessToken: 'new-token' })
    await advance()
    slow.release({ status: 401 })
    await advance()
    expect(text('query')).toBe('success')
    expect(text('files')).toBe('3/10')
    expect(onAuthError).not.toHaveBeenCalled()
    expect(text('connection')).toBe('open')
  })
})

test('an open socket that says nothing: an active job is checked over REST after quietCheckMs', async () => {
  const { backend, renderLive } = setupLive({ endpoints, quietCheckMs: 30_000 })
  backend.socketAt(OP_SOCKET)
  let rest = restOperation('processing', 3)
  backend.route('GET', OP_STATUS, () => ({ status: 200, body: rest }))
  renderLive(<Operation />)
  await advance()
  expect(text('status')).toBe('processing')
  // The worker fails and only writes its database: nothing on the socket, which stays open.
  rest = { ...restOperation('failed', 3), error_message: 'worker died' } as typeof rest
  await advance(29_000)
  expect(text('status')).toBe('processing')
  await advance(1_100)
  expect(text('status')).toBe('failed')
  expect(text('connection')).toBe('open')
})

describe('after a reconnect, the refetch and the first live events land in either order', () => {
  for (const order of ['answer first', 'events first'] as const) {
    test(order, async () => {
      const { backend, renderLive } = setupLive({ endpoints, reconnect: { initialDelayMs: 1000 } })
      backend.socketAt(OP_SOCKET)
      const slow = slowAnswers()
      backend.route('GET', OP_STATUS, slow.handler)
      renderLive(<Operation />)
      await advance()
      slow.release({ status: 200, body: restOperation('processing', 2) })
      await advance()
      backend.closeClients(OP_SOCKET, 1012)
      await advance(1100)
      expect(text('connection')).toBe('open')
      expect(slow.count).toBe(1)
      // The refetch's answer was computed when 6 files were done; the socket then says 7 and 8.
      if (order === 'answer first') slow.release({ status: 200, body: restOperation('processing', 6) })
      backend.send(OP_SOCKET, { type: 'file_completed', processed_files: 7, total_files: 10 })
      backend.send(OP_SOCKET, { type: 'file_completed', processed_files: 8, total_files: 10 })
      await advance()
      if (order === 'events first') slow.release({ status: 200, body: restOperation('processing', 6) })
      await advance()
      expect(text('files')).toBe('8/10')
      expect(text('status')).toBe('processing')
    })
  }
})

describe('one write per frame', () => {
  function Counted({ onCommit }: { onCommit: () => void }) {
    return (
      <Profiler id="op" onRender={onCommit}>
        <Operation />
      </Profiler>
    )
  }
  const setup = async () => {
    const { backend, renderLive, queryClient } = setupLive({ endpoints })
    backend.socketAt(OP_SOCKET)
    backend.route('GET', OP_STATUS, { status: 200, body: restOperation('processing', 0) })
    const onCommit = vi.fn()
    renderLive(<Counted onCommit={onCommit} />)
    await advance()
    onCommit.mockClear()
    return { backend, onCommit, queryClient }
  }

  test('1,000 events in 1,000 separate macrotasks within a frame: one cache write, one commit', async () => {
    const { backend, onCommit, queryClient } = await setup()
    const writes = vi.fn()
    const off = queryClient.getQueryCache().subscribe((event) => event.type === 'updated' && event.action.type === 'success' && writes())
    await act(async () => {
      for (let i = 1; i <= 1000; i++) {
        backend.send(OP_SOCKET, { type: 'file_completed', processed_files: i, total_files: 1000 })
        await vi.advanceTimersByTimeAsync(0)
      }
    })
    await advance(FRAME_MS)
    off()
    expect(text('files')).toBe('1000/1000')
    expect(writes).toHaveBeenCalledTimes(1)
    expect(onCommit).toHaveBeenCalledTimes(1)
  })

  test('one event per ms for 1.15 s: at most one commit per frame', async () => {
    const { backend, onCommit } = await setup()
    await act(async () => {
      for (let i = 1; i <= 1150; i++) {
        backend.send(OP_SOCKET, { type: 'file_completed', processed_files: i, total_files: 1150 })
        await vi.advanceTimersByTimeAsync(1)
      }
    })
    await advance(FRAME_MS)
    expect(text('files')).toBe('1150/1150')
    expect(onCommit.mock.calls.length).toBeLessThanOrEqual(Math.ceil(1150 / FRAME_MS) + 1)
    expect(onCommit.mock.calls.length).toBeGreaterThan(1)
  })
})

test('useLiveInvalidation: 40 events about one entity in a second give a few refetches, the last after the last event', async () => {
  const entityEvent = z.object({ event: z.literal('TRANSCRIPT_STATUS'), data: z.object({ id: z.string() }) })
  function Transcript() {
    useLiveInvalidation({ socket: '/v1/events', schema: entityEvent, discriminator: 'event', keysFor: (e) => [['transcript', e.data.id]] })
    const one = useQuery({ queryKey: ['transcript', 't1'], queryFn: async () => (await (await fetch('http://backend.test/v1/transcripts/t1')).json()) as { v: number } })
    return <span data-testid="v">{one.data?.v ?? ''}</span>
  }
  const { backend, renderLive } = setupLive()
  backend.socketAt('/v1/events')
  let version = 0
  const startedAt: number[] = []
  backend.route('GET', '/v1/transcripts/t1', () => {
    startedAt.push(Date.now())
    return { status: 200, body: { v: version } }
  })
  renderLive(<Transcript />)
  await advance()
  const before = startedAt.length
  let lastEventAt = 0
  for (let i = 1; i <= 40; i++) {
    version = i
    lastEventAt = Date.now()
    backend.send('/v1/events', { event: 'TRANSCRIPT_STATUS', data: { id: 't1' } })
    await advance(25)
  }
  await advance(2000)
  const refetches = startedAt.length - before
  expect(refetches).toBeGreaterThanOrEqual(2)
  expect(refetches).toBeLessThanOrEqual(5)
  expect(startedAt[startedAt.length - 1]!).toBeGreaterThanOrEqual(lastEventAt)
  expect(text('v')).toBe('40')
})

test('a shared project socket routes each event to the query it names: 50 queries, one look per event', async () => {
  let looks = 0
  let reduces = 0
  const job = defineChannel<{ projectId: string; jobId: string }, { type: 'tick'; job_id: string }, { ticks: number }>({
    name: 'job',
    queryKey: ({ jobId }) => ['job', jobId],
    socket: (_client, { projectId }) => `/ws/jobs/${projectId}`,
    schema: z.object({ type: z.literal('tick'), job_id: z.string() }),
    route: { params: (params) => params.jobId, event: (event) => event.job_id },
    matches: (event, params) => {
      looks++
      return event.job_id === params.jobId
    },
    reduce: (data) => {
      reduces++
      return { ticks: (data?.ticks ?? 0) + 1 }
    },
    fetch: async () => ({ ticks: 0 }),
    isActive: () => true,
  })
  function Job({ id }: { id: string }) {
    const { data } = useLiveQuery(job, { projectId: 'p1', jobId: id })
    return <span data-testid={id}>{data?.ticks ?? ''}</span>
  }
  const { backend, renderLive } = setupLive()
  backend.socketAt('/ws/jobs/p1')
  const ids = Array.from({ length: 50 }, (_, i) => `j${i}`)
  renderLive(
    <>
      {ids.map((id) => (
        <Job key={id} id={id} />
      ))}
    </>,
  )
  await advance()
  expect(backend.clients('/ws/jobs/p1')).toHaveLength(1)
  for (let i = 0; i < 100; i++) backend.send('/ws/jobs/p1', { type: 'tick', job_id: ids[i % 50]! })
  await advance()
  expect(looks).toBe(100)
  expect(reduces).toBe(100)
  expect(text('j7')).toBe('2')
  expect(text('j49')).toBe('2')
})

test('reduceMany folds a flush in one draft: same result as event by event', async () => {
  const { reduceOperation, reduceOperations } = await import('../../src/channels/operationProgress')
  const events = Array.from({ length: 30 }, (_, i) => ({ type: 'file_completed' as const, processed_files: i + 1, total_files: 30, current_file: `f${i}` }))
  const context = () => ({ params: { operationId: 'op1' }, now: 1_000_000, scratch: {} })
  let one: OperationProgress | undefined
  const c1 = context()
  for (const event of events) one = reduceOperation(one, event, c1)
  const many = reduceOperations(undefined, events, context())
  expect(many).toEqual(one)
})

test('a frame over the size limit is counted, reported, and makes the queries of its socket refetch', async () => {
  const onEventError = vi.fn()
  const { backend, renderLive } = setupLive({ endpoints, maxPayloadBytes: 2048, onEventError })
  backend.socketAt(OP_SOCKET)
  let processed = 2
  backend.route('GET', OP_STATUS, () => ({ status: 200, body: restOperation('processing', processed) }))
  renderLive(<Operation />)
  await advance()
  expect(text('files')).toBe('2/10')
  const calls = backend.callsTo('GET', OP_STATUS).length
  // The server batched 9/10 into a frame the client will not read.
  processed = 9
  backend.send(OP_SOCKET, { type: 'batch', events: [{ type: 'file_completed', processed_files: 9, total_files: 10, padding: 'x'.repeat(4096) }] })
  await advance()
  expect(onEventError).toHaveBeenCalledWith(expect.objectContaining({ reason: 'too_large' }))
  expect(backend.callsTo('GET', OP_STATUS).length).toBe(calls + 1)
  expect(text('files')).toBe('9/10')
})

test('a definitive REST answer (404 unknown operation) stops that operation’s socket instead of retrying it', async () => {
  const { backend, renderLive } = setupLive({ endpoints })
  // The indexer closes sockets of unknown operations before accepting them: retries go nowhere.
  backend.route('GET', OP_STATUS, { status: 404, body: { detail: 'Operation not found' } })
  renderLive(<Operation />)
  await advance()
  await advance(60_000)
  expect(text('query')).toBe('error')
  expect(backend.callsTo('GET', OP_STATUS)).toHaveLength(1)
  expect(text('connection')).toBe('idle')
  expect(backend.live()).toBe(0)
})

test('processing_progress with counters inside data (the indexer’s current server) moves progress; other operations’ events are ignored', async () => {
  const { backend, renderLive } = setupLive({ endpoints, dialect: documentIndexer })
  backend.socketAt(OP_SOCKET)
  backend.route('GET', OP_STATUS, { status: 200, body: restOperation('processing', 0) })
  renderLive(<Operation />)
  await advance()
  backend.send(OP_SOCKET, { type: 'processing_progress', data: { operation_id: 'op1', processed: 3, failed: 1, total: 10, current_file: 'a.pdf' } })
  backend.send(OP_SOCKET, { type: 'processing_progress', data: { operation_id: 'op2', processed: 9, failed: 0, total: 10 } })
  await advance()
  expect(text('files')).toBe('3/10')
})
