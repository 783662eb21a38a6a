// @vitest-environment happy-dom
import { screen } from '@testing-library/react'
import { Profiler } from 'react'
import { describe, expect, test, vi } from 'vitest'
import { liveStatusKeys, useOperationEta, useOperationProgress, type OperationProgress } from '../../src'
import { advance, setupLive, useFakeLiveClock , FRAME_MS } from '../helpers/renderWithLive'
import { documentIndexer } from '../../src/dialects/documentIndexer'

useFakeLiveClock()

// The document indexer: one socket per operation, REST under /api/v2.
const endpoints = {
  operationSocket: (id: string) => `/ws/operations/${id}`,
  operationStatus: (id: string) => `/api/v2/operations/${id}`,
}
const SOCKET = '/ws/operations/op1'
const STATUS = '/api/v2/operations/op1'

function Operation({ id = 'op1', projectId }: { id?: string; projectId?: string }) {
  const { data, isOutOfSync, connection } = useOperationProgress(id, { projectId })
  return (
    <div>
      <span data-testid="status">{data?.status ?? 'loading'}</span>
      <span data-testid="percent">{data ? String(Math.round(data.percent)) : ''}</span>
      <span data-testid="files">{data ? `${data.processedFiles}/${data.totalFiles}` : ''}</span>
      <span data-testid="stage">{data?.stage ?? ''}</span>
      <span data-testid="stale">{String(isOutOfSync)}</span>
      <span data-testid="connection">{connection.state}</span>
      <span data-testid="polling">{String(connection.polling)}</span>
    </div>
  )
}
const text = (id: string) => screen.getByTestId(id).textContent

function restOperation(status: string, extra: Record<string, unknown> = {}) {
  return { id: 'op1', collection_id: 'c1', type: 'index', status, config: {}, error_message: null, created_at: '2026-01-01T00:00:00Z', started_at: null, completed_at: null, ...extra }
}

describe('useOperationProgress', () => {
  test('flat dialect: current_state, then file events; percent from counts; completion invalidates once', async () => {
    const { backend, renderLive, queryClient } = setupLive({ endpoints, dialect: documentIndexer })
    backend.socketAt(SOCKET)
    backend.route('GET', STATUS, { status: 200, body: restOperation('processing') })
    renderLive(<Operation />)
    await advance()
    expect(text('status')).toBe('processing')
    backend.send(SOCKET, { type: 'current_state', status: 'processing', processed_files: 2, total_files: 10, operation_type: 'index' })
    await advance(FRAME_MS)
    expect(text('files')).toBe('2/10')
    expect(text('percent')).toBe('20')
    backend.send(SOCKET, { type: 'file_processing', current_file: 'c.pdf', processed_files: 3, total_files: 10, status: 'processing' })
    backend.send(SOCKET, { type: 'file_completed', processed_files: 4, total_files: 10 })
    await advance(FRAME_MS)
    expect(text('files')).toBe('4/10')
    expect(queryClient.getQueryData<OperationProgress>(liveStatusKeys.operation('op1'))).toMatchObject({ currentFile: 'c.pdf', operationType: 'index', percent: 40 })
    const before = backend.callsTo('GET', STATUS).length
    backend.route('GET', STATUS, { status: 200, body: restOperation('completed') })
    backend.send(SOCKET, { type: 'operation_completed', operation_id: 'op1', status: 'completed', message: 'done' })
    await advance()
    expect(text('status')).toBe('completed')
    expect(text('percent')).toBe('100')
    // The REST copy came back once and did not lose the counters.
    expect(backend.callsTo('GET', STATUS).length).toBe(before + 1)
    expect(text('files')).toBe('4/10')
  })

  test('worker stage events: INDEX and REINDEX stages with the documented weights', async () => {
    const { backend, renderLive, queryClient } = setupLive({ endpoints, dialect: documentIndexer })
    backend.socketAt(SOCKET)
    backend.route('GET', STATUS, { status: 200, body: restOperation('processing', { type: 'reindex' }) })
    renderLive(<Operation />)
    await advance()
    const seen: [string, number][] = []
    const step = async (event: Record<string, unknown>) => {
      backend.send(SOCKET, event)
      await advance(FRAME_MS)
      const data = queryClient.getQueryData<OperationProgress>(liveStatusKeys.operation('op1'))!
      seen.push([data.stage ?? '', Math.round(data.percent)])
    }
    await step({ type: 'reindex_preflight' })
    await step({ type: 'staging_created' })
    await step({ type: 'reprocessing_progress', processed: 5, total: 10 })
    await step({ type: 'validation_complete' })
    await step({ type: 'reindex_completed' })
    expect(seen).toEqual([
      ['preflight', 10],
      ['staging', 20],
      ['reprocessing', 45],
      ['validation', 90],
      ['completed', 100],
    ])
    expect(text('status')).toBe('completed')
  })

  test('envelope dialect with metadata; percent never goes backwards; unknown types are dropped and reported', async () => {
    const onEventError = vi.fn()
    const { backend, renderLive } = setupLive({ endpoints, onEventError, dialect: documentIndexer })
    backend.socketAt(SOCKET)
    backend.route('GET', STATUS, { status: 200, body: restOperation('pending') })
    renderLive(<Operation />)
    await advance()
    backend.send(SOCKET, { timestamp: '2026-01-01T00:00:01Z', type: 'operation_progress', data: { status: 'processing', progress: 60, message: 'embedding', metadata: { processed_files: 6, total_files: 10 } } })
    await advance(FRAME_MS)
    expect(text('percent')).toBe('60')
    expect(text('files')).toBe('6/10')
    backend.send(SOCKET, { timestamp: '2026-01-01T00:00:02Z', type: 'operation_progress', data: { status: 'processing', progress: 30 } })
    backend.send(SOCKET, { type: 'file_completed', processed_files: 2, total_files: 10 })
    backend.send(SOCKET, { type: 'gpu_temperature', celsius: 80 })
    await advance(FRAME_MS)
    expect(text('percent')).toBe('60')
    expect(text('files')).toBe('6/10')
    expect(onEventError).toHaveBeenCalledTimes(1)
    expect(onEventError.mock.calls[0]![0]).toMatchObject({ reason: 'unknown_type' })
  })

  test('seq: applied in order once; older or repeated seq is dropped', async () => {
    const { backend, renderLive, queryClient } = setupLive({ endpoints, dialect: documentIndexer })
    backend.socketAt(SOCKET)
    backend.route('GET', STATUS, { status: 200, body: restOperation('processing') })
    renderLive(<Operation />)
    await advance()
    backend.send(SOCKET, { type: 'file_processing', seq: 5, current_file: 'e.pdf', processed_files: 5, total_files: 10 })
    backend.send(SOCKET, { type: 'file_processing', seq: 4, current_file: 'd.pdf', processed_files: 4, total_files: 10 })
    backend.send(SOCKET, { type: 'file_processing', seq: 5, current_file: 'x.pdf', processed_files: 5, total_files: 10 })
    backend.send(SOCKET, { type: 'error', seq: 3, message: 'old failure' })
    await advance(FRAME_MS)
    const data = queryClient.getQueryData<OperationProgress>(liveStatusKeys.operation('op1'))!
    expect(data).toMatchObject({ currentFile: 'e.pdf', status: 'processing', processedFiles: 5 })
  })

  test('useOperationEta: the time left from the observed rate once there is enough of it, none once it ends', async () => {
    const { backend, renderLive } = setupLive({ endpoints, dialect: documentIndexer })
    backend.socketAt(SOCKET)
    backend.route('GET', STATUS, { status: 200, body: restOperation('processing') })
    function Eta() {
      const { data } = useOperationProgress('op1')
      const etaMs = useOperationEta(data)
      return <span data-testid="eta">{etaMs === undefined ? 'none' : String(etaMs)}</span>
    }
    renderLive(<Eta />)
    await advance()
    const eta = () => screen.getByTestId('eta').textContent
    backend.send(SOCKET, { type: 'file_completed', processed_files: 10, total_files: 100 })
    await advance(FRAME_MS)
    expect(eta()).toBe('none')
    await advance(500)
    backend.send(SOCKET, { type: 'file_completed', processed_files: 12, total_files: 100 })
    await advance(FRAME_MS)
    expect(eta()).toBe('none')
    await advance(1500)
    // Counting starts at 12, the first change within a second of the first sight (what a
    // remount's catch-up looks like): 8 files in 1.5 s; 80 left → 15 s.
    backend.send(SOCKET, { type: 'file_completed', processed_files: 20, total_files: 100 })
    await advance(FRAME_MS)
    // Samples are taken when a frame writes them: within a few frames of the arrival.
    expect(Number(eta())).toBeCloseTo(15_000, -3)
    backend.send(SOCKET, { type: 'operation_completed', status: 'completed' })
    await advance(FRAME_MS)
    expect(eta()).toBe('none')
  })

  test('a burst of 1,000 events in one tick renders once', async () => {
    const { backend, renderLive, queryClient } = setupLive({ endpoints, dialect: documentIndexer })
    backend.socketAt(SOCKET)
    backend.route('GET', STATUS, { status: 200, body: restOperation('processing') })
    let commits = 0
    renderLive(
      <Profiler id="op" onRender={() => commits++}>
        <Operation />
      </Profiler>,
    )
    await advance()
    await advance(1000)
    const before = commits
    for (let i = 1; i <= 1000; i++) backend.send(SOCKET, { type: 'file_completed', processed_files: i, total_files: 1000 })
    await advance(FRAME_MS)
    expect(commits - before).toBe(1)
    expect(text('files')).toBe('1000/1000')
    expect(queryClient.getQueryData<OperationProgress>(liveStatusKeys.operation('op1'))!.percent).toBe(100)
  })

  test('events for another operation on a shared project socket never touch this one', async () => {
    const { backend, renderLive, queryClient } = setupLive()
    backend.socketAt('/ws/projects/p1')
    backend.route('GET', '/api/operations/op1', { status: 200, body: restOperation('processing') })
    backend.route('GET', '/api/operations/op2', { status: 200, body: { ...restOperation('processing'), id: 'op2' } })
    renderLive(
      <>
        <Operation id="op1" projectId="p1" />
      </>,
    )
    await advance()
    backend.send('/ws/projects/p1', { type: 'file_completed', operation_id: 'op2', processed_files: 9, total_files: 10 })
    // No id on a shared socket: cannot be ours.
    backend.send('/ws/projects/p1', { type: 'file_completed', processed_files: 8, total_files: 10 })
    backend.send('/ws/projects/p1', { type: 'file_completed', operation_id: 'op1', processed_files: 1, total_files: 10 })
    await advance(FRAME_MS)
    expect(text('files')).toBe('1/10')
    expect(queryClient.getQueryData(liveStatusKeys.operation('op2'))).toBeUndefined()
    expect(backend.created).toHaveLength(1)
  })
})

describe('polling fallback', () => {
  test('socket drops mid-operation → reconnecting → polling every pollIntervalMs → reconnect → resync → correct final state', async () => {
    const { backend, renderLive } = setupLive({ endpoints, pollIntervalMs: 5000, quietCheckMs: false, reconnect: { initialDelayMs: 1000, maxDelayMs: 30_000 } })
    backend.socketAt(SOCKET)
    let rest = restOperation('processing', { processed_files: 3, total_files: 10 })
    backend.route('GET', STATUS, () => ({ status: 200, body: rest }))
    renderLive(<Operation />)
    await advance()
    backend.send(SOCKET, { type: 'file_completed', processed_files: 3, total_files: 10 })
    await advance(FRAME_MS)
    expect(text('connection')).toBe('open')
    const polls = () => backend.callsTo('GET', STATUS).length
    const start = polls()
    await advance(20_000)
    expect(polls()).toBe(start)

    // The server goes away: every retry fails from now on.
    backend.closeClients(SOCKET, 1012, 'restart')
    backend.drop(SOCKET)
    await advance(4)
    expect(text('connection')).toBe('reconnecting')
    expect(text('polling')).toBe('false')
    await advance(5000)
    expect(polls()).toBe(start + 1)
    expect(text('polling')).toBe('true')
    rest = restOperation('processing', { processed_files: 7, total_files: 10 })
    await advance(5000)
    expect(polls()).toBe(start + 2)
    await advance(10) // the answer's cache write renders on the next tick
    expect(text('files')).toBe('7/10')
    expect(text('stale')).toBe('false')

    // Back: the retry connects, polling stops, and one refetch resyncs what was missed.
    backend.socketAt(SOCKET)
    rest = restOperation('processing', { processed_files: 9, total_files: 10 })
    await advance(31_000)
    expect(text('connection')).toBe('open')
    expect(text('polling')).toBe('false')
    expect(text('files')).toBe('9/10')
    // An open socket is not polled (the quiet check is off in this test: it has its own).
    const afterReconnect = polls()
    await advance(20_000)
    expect(polls()).toBe(afterReconnect)
    backend.send(SOCKET, { type: 'operation_completed', status: 'completed' })
    await advance()
    expect(text('status')).toBe('completed')
    expect(text('percent')).toBe('100')
  })

  test('no stale "Running…": socket down and polling failing too → isOutOfSync', async () => {
    const { backend, renderLive } = setupLive({ endpoints, dialect: documentIndexer })
    backend.socketAt(SOCKET)
    let fail = false
    backend.route('GET', STATUS, () => (fail ? { status: 503, body: { detail: 'down' } } : { status: 200, body: restOperation('processing') }))
    renderLive(<Operation />)
    await advance()
    expect(text('stale')).toBe('false')
    fail = true
    backend.closeClients(SOCKET, 1006)
    backend.drop(SOCKET)
    // Its own act: React 18 runs the effects of the "reconnecting" render (which arm polling) only
    // when an act ends.
    await advance()
    await advance(5100)
    expect(text('status')).toBe('processing')
    expect(text('stale')).toBe('true')
  })
})
