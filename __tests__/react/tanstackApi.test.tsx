// @vitest-environment happy-dom
/** The hooks behave like TanStack's own: options pass through, defaults are respected, results are TanStack's. */
import { dehydrate, HydrationBoundary, QueryClient, QueryClientProvider, useQueries, useQuery, useSuspenseQuery } from '@tanstack/react-query'
import { act, render, screen } from '@testing-library/react'
import { Suspense } from 'react'
import { describe, expect, expectTypeOf, test, vi } from 'vitest'
import {
  defineChannel,
  useLiveInvalidation,
  useLiveQuery,
  type StandardSchemaV1,
  LiveStatusClient,
  LiveStatusProvider,
  indexStatusOptions,
  operationProgressChannel,
  operationProgressOptions,
  useIndexStatus,
  useLiveStatusClient,
  useLiveSubscription,
  useOperationProgress,
  useReindex,
  type IndexStatus,
  type LiveQueryResult,
  type OperationProgress,
} from '../../src'
import { advance, setupLive, TOKEN, useFakeLiveClock } from '../helpers/renderWithLive'

useFakeLiveClock()

const SOCKET = '/ws/operations/op1'
const STATUS = '/api/operations/op1'
const rest = (processed: number, status = 'processing') => ({ status: 200, body: { id: 'op1', status, processed_files: processed, total_files: 10 } })
const text = (id: string) => screen.getByTestId(id).textContent

describe('results', () => {
  test('the live extras sit beside TanStack’s result; its own fields (isStale) stay TanStack’s', async () => {
    const { backend, renderLive } = setupLive()
    backend.socketAt(SOCKET)
    backend.route('GET', STATUS, rest(2))
    let seen: LiveQueryResult<OperationProgress> | undefined
    function View() {
      seen = useOperationProgress({ operationId: 'op1', staleTime: Infinity })
      return <span data-testid="files">{seen.data?.processedFiles ?? ''}</span>
    }
    renderLive(<View />)
    await advance()
    expect(text('files')).toBe('2')
    // staleTime: Infinity → TanStack says fresh; our "nothing keeps it fresh" flag is separate.
    expect(seen!.isStale).toBe(false)
    expect(seen!.isOutOfSync).toBe(false)
    expect(seen!.connection.state).toBe('open')
    expect(typeof seen!.send).toBe('function')
    expect({ ...seen! }).toHaveProperty('data')
  })

  test('select, placeholderData and meta pass through; data is the selected shape', async () => {
    const { backend, renderLive, queryClient } = setupLive()
    backend.socketAt(SOCKET)
    backend.route('GET', STATUS, rest(3))
    function View() {
      const { data } = useOperationProgress({ operationId: 'op1', select: (p) => `${p.processedFiles} of ${p.totalFiles}`, placeholderData: undefined, meta: { source: 'test' } })
      expectTypeOf(data).toEqualTypeOf<string | undefined>()
      return <span data-testid="files">{data ?? 'loading'}</span>
    }
    renderLive(<View />)
    await advance()
    expect(text('files')).toBe('3 of 10')
    backend.send(SOCKET, { type: 'file_completed', processed_files: 4, total_files: 10 })
    await advance()
    expect(text('files')).toBe('4 of 10')
    expect(queryClient.getQueryCache().find({ queryKey: ['live-status', 'operation', 'op1'] })?.meta).toEqual({ source: 'test' })
  })

  test('the QueryClient’s defaultOptions (staleTime, retry) are respected', async () => {
    const { backend, queryClient, renderLive } = setupLive()
    queryClient.setDefaultOptions({ queries: { gcTime: Infinity, staleTime: Infinity, retry: 0 } })
    backend.socketAt(SOCKET)
    let answer = { status: 500 } as { status: number; body?: unknown }
    backend.route('GET', STATUS, () => answer)
    function View() {
      const { data, status } = useOperationProgress('op1')
      return <span data-testid="q">{`${status}:${data?.processedFiles ?? ''}`}</span>
    }
    const view = renderLive(<View />)
    await advance(10_000)
    // retry: 0 from the defaults: one request, no retries.
    expect(backend.callsTo('GET', STATUS)).toHaveLength(1)
    expect(text('q')).toBe('error:')
    answer = rest(5)
    await act(() => queryClient.refetchQueries())
    await advance()
    expect(text('q')).toBe('success:5')
    // staleTime: Infinity from the defaults: a remount does not refetch.
    const calls = backend.callsTo('GET', STATUS).length
    view.rerenderWith(<></>)
    view.rerenderWith(<View />)
    await advance()
    expect(backend.callsTo('GET', STATUS)).toHaveLength(calls)
  })
})

describe('query options outside the hooks', () => {
  test('useQuery(operationProgressOptions(…)) + useLiveSubscription: typed, live', async () => {
    const { backend, renderLive, queryClient } = setupLive()
    backend.socketAt(SOCKET)
    backend.route('GET', STATUS, rest(1))
    function View() {
      const client = useLiveStatusClient()
      const query = useQuery(operationProgressOptions(client, { operationId: 'op1' }))
      const { connection } = useLiveSubscription(operationProgressChannel, { operationId: 'op1' })
      expectTypeOf(query.data).toEqualTypeOf<OperationProgress | undefined>()
      return <span data-testid="files">{`${query.data?.processedFiles ?? ''}/${connection.state}`}</span>
    }
    renderLive(<View />)
    await advance()
    backend.send(SOCKET, { type: 'file_completed', processed_files: 7, total_files: 10 })
    await advance()
    expect(text('files')).toBe('7/open')
    const key = operationProgressOptions(new LiveStatusClient({ apiUrl: 'http://x' }), { operationId: 'op1' }).queryKey
    expectTypeOf(queryClient.getQueryData(key)).toEqualTypeOf<OperationProgress | undefined>()
    expect(queryClient.getQueryData(key)?.processedFiles).toBe(7)
  })

  test('useSuspenseQuery and useQueries take the same options', async () => {
    const { backend, renderLive } = setupLive({ endpoints: { indexSocket: () => '/ws/none' } })
    backend.route('GET', STATUS, rest(2))
    backend.route('GET', '/api/projects/p1/index', { status: 200, body: { status: 'ready', indexed_at: '2026-11-01T00:00:00Z' } })
    function Suspended() {
      const client = useLiveStatusClient()
      const { data } = useSuspenseQuery(operationProgressOptions(client, { operationId: 'op1' }))
      const both = useQueries({ queries: [operationProgressOptions(client, { operationId: 'op1' }), indexStatusOptions(client, { projectId: 'p1' })] })
      expectTypeOf(both[1].data).toEqualTypeOf<IndexStatus | undefined>()
      return <span data-testid="s">{`${data.processedFiles}:${both[1].data?.state ?? '…'}`}</span>
    }
    renderLive(
      <Suspense fallback={<span data-testid="s">suspended</span>}>
        <Suspended />
      </Suspense>,
    )
    expect(text('s')).toBe('suspended')
    await advance()
    await advance()
    expect(text('s')).toBe('2:complete')
  })

  test('prefetch on a server, dehydrate, HydrationBoundary: the first render shows the data', async () => {
    const { backend } = setupLive()
    backend.socketAt(SOCKET)
    backend.route('GET', STATUS, rest(6))
    // "Server": a client and a QueryClient of its own, no React.
    const serverClient = new LiveStatusClient({ apiUrl: backend.apiUrl, accessToken: TOKEN })
    const serverQueries = new QueryClient()
    await serverQueries.prefetchQuery(operationProgressOptions(serverClient, { operationId: 'op1' }))
    const state = dehydrate(serverQueries)
    const browserQueries = new QueryClient({ defaultOptions: { queries: { staleTime: 60_000 } } })
    const firstRender: string[] = []
    function View() {
      const { data } = useOperationProgress('op1')
      firstRender.push(String(data?.processedFiles ?? 'loading'))
      return null
    }
    render(
      <QueryClientProvider client={browserQueries}>
        <LiveStatusProvider apiUrl={backend.apiUrl} accessToken={TOKEN} WebSocket={backend.WebSocket}>
          <HydrationBoundary state={state}>
            <View />
          </HydrationBoundary>
        </LiveStatusProvider>
      </QueryClientProvider>,
    )
    expect(firstRender[0]).toBe('6')
    serverClient.dispose()
  })
})

test('useReindex is a TanStack mutation: optimistic queued, rolled back when the POST fails', async () => {
  const { backend, renderLive } = setupLive()
  backend.socketAt('/ws/projects/p1')
  backend.route('GET', '/api/projects/p1/index', { status: 200, body: { status: 'ready', indexed_at: '2026-11-01T00:00:00Z' } })
  backend.route('POST', '/api/projects/p1/index/reindex', { status: 500 })
  let mutation: ReturnType<typeof useReindex> | undefined
  function View() {
    const { data } = useIndexStatus({ projectId: 'p1' })
    mutation = useReindex({ projectId: 'p1' })
    return <span data-testid="state">{data?.state ?? 'loading'}</span>
  }
  renderLive(<View />)
  await advance()
  expect(text('state')).toBe('complete')
  act(() => mutation!.mutate())
  await vi.advanceTimersByTimeAsync(0)
  expect(['queued', 'complete']).toContain(text('state'))
  await advance()
  expect(mutation!.isError).toBe(true)
  expect(text('state')).toBe('complete')
})

describe('any Standard Schema validator', () => {
  /** A validator with no zod in it: the Standard Schema interface by hand. */
  const tick: StandardSchemaV1<unknown, { type: 'tick'; n: number }> = {
    '~standard': {
      version: 1,
      vendor: 'hand',
      validate: (value) => {
        const v = value as { type?: unknown; n?: unknown }
        if (v?.type !== 'tick') return { issues: [{ message: 'not a tick', path: [{ key: 'type' }] }] }
        return typeof v.n === 'number' ? { value: { type: 'tick', n: v.n } } : { issues: [{ message: 'n must be a number', path: ['n'] }] }
      },
    },
  }

  test('defineChannel and useLiveInvalidation take it; what it rejects is reported with its message', async () => {
    const counter = defineChannel({
      name: 'ticks',
      queryKey: () => ['ticks'],
      socket: () => '/ws/ticks',
      schema: tick,
      reduce: (data: { n: number } | undefined, event) => ({ n: (data?.n ?? 0) + event.n }),
      fetch: async () => ({ n: 0 }),
      isActive: () => true,
    })
    const onEventError = vi.fn()
    const { backend, renderLive } = setupLive({ onEventError })
    backend.socketAt('/ws/ticks')
    let listCalls = 0
    backend.route('GET', '/api/list', () => {
      listCalls++
      return { status: 200, body: [] }
    })
    function View() {
      const { data } = useLiveQuery(counter, {})
      useLiveInvalidation({ socket: '/ws/ticks', schema: tick, keysFor: () => [['list']] })
      useQuery({ queryKey: ['list'], queryFn: async () => (await fetch(`${backend.apiUrl}/api/list`)).json() })
      return <span data-testid="n">{data?.n ?? ''}</span>
    }
    renderLive(<View />)
    await advance()
    const before = listCalls
    backend.send('/ws/ticks', { type: 'tick', n: 2 })
    backend.send('/ws/ticks', { type: 'tock' })
    backend.send('/ws/ticks', { type: 'tick', n: 'three' })
    await advance()
    expect(text('n')).toBe('2')
    expect(listCalls).toBe(before + 1)
    expect(onEventError).toHaveBeenCalledWith(expect.objectContaining({ reason: 'unknown_type' }))
    expect(onEventError).toHaveBeenCalledWith(expect.objectContaining({ reason: 'schema_mismatch', message: expect.stringContaining('n must be a number') }))
  })
})
