// @vitest-environment happy-dom
/**
 * Jobs as TanStack mutations (issue "The first hour of a TanStack user", item 4): start and cancel
 * an operation, the optimistic rows and their rollback, the bound factories (item 5). Against the
 * testing kit's reference server (mock-socket + a REST router), through the published hooks.
 */
import { MutationObserver, QueryClient, QueryClientProvider, useMutation, useQuery } from '@tanstack/react-query'
import { act, cleanup, renderHook, waitFor } from '@testing-library/react'
import fc from 'fast-check'
import type { ReactNode } from 'react'
import { afterEach, describe, expect, expectTypeOf, test, vi } from 'vitest'
import {
  LiveStatusClient,
  LiveStatusHttpError,
  LiveStatusProvider,
  liveStatusKeys,
  liveStatusOptions,
  operationProgressChannel,
  useCancelOperation,
  useLiveStatusOptions,
  useOperationProgress,
  useStartOperation,
  type OperationProgress,
} from '../../src'
import { createMockLiveBackend, mockReferenceServer, type MockLiveBackend, type RestAnswer } from '../../src/testing'

const TOKEN = 'mutation-token-0123456789'
const SEED = Number(process.env.MODEL_SEED ?? 20261204)

afterEach(() => {
  cleanup()
  vi.unstubAllGlobals()
})

function setup() {
  const backend = createMockLiveBackend()
  const server = mockReferenceServer(backend, { token: TOKEN })
  server.project('p1')
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false, gcTime: Infinity }, mutations: { retry: false } } })
  const wrapper = ({ children }: { children: ReactNode }) => (
    <QueryClientProvider client={queryClient}>
      <LiveStatusProvider apiUrl={backend.apiUrl} accessToken={TOKEN} WebSocket={backend.WebSocket} fetch={authorized(backend)}>
        {children}
      </LiveStatusProvider>
    </QueryClientProvider>
  )
  return { backend, server, queryClient, wrapper }
}

/** A custom `fetch` is called as given: it carries the token as the app's own fetch would. */
const authorized = (backend: MockLiveBackend) => (input: string | URL | Request, init?: RequestInit) =>
  backend.fetch(input, { ...init, headers: { ...Object.fromEntries(new Headers(init?.headers)), Authorization: `Bearer ${TOKEN}` } })

/** A REST answer held until the test lets it go. */
function held() {
  let release!: (answer: RestAnswer) => void
  const answer = new Promise<RestAnswer>((resolve) => (release = resolve))
  return { answer, release }
}

const row = (queryClient: QueryClient, operationId: string) => queryClient.getQueryData<OperationProgress>(liveStatusKeys.operation(operationId))

describe('useStartOperation', () => {
  test('starts a job, resolves to its id, and useOperationProgress follows it live', async () => {
    const { backend, server, wrapper } = setup()
    const { result } = renderHook(
      () => {
        const start = useStartOperation({ projectId: 'p1' })
        const progress = useOperationProgress({ operationId: start.data?.operationId, projectId: 'p1' })
        return { start, progress }
      },
      { wrapper },
    )
    act(() => result.current.start.mutate({ type: 'index', input: { path: '/docs' } }))
    await waitFor(() => expect(result.current.start.isSuccess).toBe(true))
    const { operationId } = result.current.start.data!
    const post = backend.calls.find((call) => call.method === 'POST')!
    expect(post.path).toBe('/api/projects/p1/operations')
    expect(post.body).toEqual({ path: '/docs', type: 'index' })
    await waitFor(() => expect(result.current.progress.data?.operationId).toBe(operationId))
    await waitFor(() => expect(backend.socketAt('/ws/projects/p1').clients.some((client) => client.readyState === 1)).toBe(true))
    server.publish('p1', { type: 'file_completed', operation_id: operationId, processed_files: 3, total_files: 4 })
    await waitFor(() => expect(result.current.progress.data?.percent).toBe(75))
    server.publish('p1', { type: 'operation_completed', operation_id: operationId, processed_files: 4, total_files: 4 })
    await waitFor(() => expect(result.current.progress.data?.status).toBe('completed'))
  })

  test('a proposed id shows a pending row before the server answers; a failed start takes it back', async () => {
    const { backend, queryClient, wrapper } = setup()
    const gate = held()
    backend.route('POST', '/api/projects/p1/operations', () => gate.answer)
    const { result } = renderHook(() => useStartOperation({ projectId: 'p1' }), { wrapper })
    act(() => result.current.mutate({ type: 'index', operationId: 'mine-1' }))
    await waitFor(() => expect(row(queryClient, 'mine-1')).toMatchObject({ operationId: 'mine-1', status: 'pending', percent: 0, operationType: 'index' }))
    gate.release({ status: 501, body: { detail: 'starting operations is not configured on this server' } })
    await waitFor(() => expect(result.current.isError).toBe(true))
    expect(result.current.error).toBeInstanceOf(LiveStatusHttpError)
    expect(result.current.error!.message).toContain('501')
    expect(result.current.error!.message).toContain('not configured')
    expect(row(queryClient, 'mine-1')).toBeUndefined()
  })

  test('a proposed id followed without a project: the socket follows it as soon as the start succeeds', async () => {
    // Without a projectId the operation has a socket of its own, which a 404 (the start not landed
    // yet) takes it off. The start's success must put it back at once: the poll (60 s here) is not
    // the way back, and no REST answer carries the counts sent on the socket below.
    const { backend, queryClient } = setup()
    const path = '/ws/operations/mine-2'
    backend.socketAt(path)
    const gate = held()
    backend.route('POST', '/api/projects/p1/operations', async (call) => {
      const answer = await gate.answer
      backend.route('GET', '/api/operations/mine-2', { status: 200, body: { id: 'mine-2', status: 'pending' } })
      return answer.status === 201 ? { status: 201, body: { operation_id: (call.body as { operation_id: string }).operation_id } } : answer
    })
    const wrapper = ({ children }: { children: ReactNode }) => (
      <QueryClientProvider client={queryClient}>
        <LiveStatusProvider apiUrl={backend.apiUrl} accessToken={TOKEN} WebSocket={backend.WebSocket} fetch={authorized(backend)} pollIntervalMs={60_000}>
          {children}
        </LiveStatusProvider>
      </QueryClientProvider>
    )
    const { result } = renderHook(
      () => ({ start: useStartOperation({ projectId: 'p1' }), progress: useOperationProgress({ operationId: 'mine-2' }) }),
      { wrapper },
    )
    act(() => result.current.start.mutate({ type: 'index', operationId: 'mine-2' }))
    // The hook's own read of the id answered 404: the start has not landed.
    await waitFor(() => expect(result.current.progress.error).toBeInstanceOf(LiveStatusHttpError))
    gate.release({ status: 201 })
    await waitFor(() => expect(result.current.start.isSuccess).toBe(true))
    await waitFor(
      () => {
        backend.send(path, { type: 'operation_progress', operation_id: 'mine-2', processed_files: 2, total_files: 4 })
        expect(result.current.progress.data).toMatchObject({ processedFiles: 2, totalFiles: 4 })
      },
      { timeout: 10_000 },
    )
  })

  test('the server error never carries the token into the error message', async () => {
    const { backend, wrapper } = setup()
    backend.route('POST', '/api/projects/p1/operations', () => ({ status: 400, body: { detail: `bad request from ${TOKEN.slice(0, 12)}… (${TOKEN})` } }))
    const { result } = renderHook(() => useStartOperation({ projectId: 'p1' }), { wrapper })
    act(() => result.current.mutate())
    await waitFor(() => expect(result.current.isError).toBe(true))
    expect(result.current.error!.message).not.toContain(TOKEN.slice(0, 8))
  })

  test('an answer without an operation id is a clear error, not a row under "undefined"', async () => {
    const { backend, queryClient, wrapper } = setup()
    backend.route('POST', '/api/projects/p1/operations', () => ({ status: 201, body: { ok: true } }))
    const { result } = renderHook(() => useStartOperation({ projectId: 'p1' }), { wrapper })
    act(() => result.current.mutate())
    await waitFor(() => expect(result.current.isError).toBe(true))
    expect(result.current.error!.message).toMatch(/names no operation/)
    expect(queryClient.getQueryCache().findAll({ queryKey: ['live-status', 'operation'] })).toHaveLength(0)
  })

  test("the caller's callbacks run after the hook's own", async () => {
    const { wrapper } = setup()
    const seen: string[] = []
    const { result } = renderHook(() => useStartOperation({ projectId: 'p1' }, { onSuccess: (data) => void seen.push(`success ${data.operationId}`), onSettled: () => void seen.push('settled') }), { wrapper })
    act(() => result.current.mutate({ operationId: 'cb-1' }))
    await waitFor(() => expect(seen).toEqual(['success cb-1', 'settled']))
  })
})

test('a backend that ignores the proposed id: the row under the proposed id goes, the real one stays; input fields are sent as given', async () => {
  const { backend, queryClient, wrapper } = setup()
  backend.route('POST', '/api/projects/p1/operations', () => ({ status: 201, body: { operation_id: 'server-1' } }))
  const { result } = renderHook(() => useStartOperation({ projectId: 'p1' }), { wrapper })
  act(() => result.current.mutate({ operationId: 'mine-3', input: { path: '/x' } }))
  await waitFor(() => expect(result.current.isSuccess).toBe(true))
  expect(row(queryClient, 'mine-3')).toBeUndefined()
  expect(row(queryClient, 'server-1')).toMatchObject({ status: 'pending' })
  act(() => result.current.mutate({ input: { type: 'index', operation_id: 'in-1' } }))
  await waitFor(() => expect(backend.calls.filter((call) => call.method === 'POST')).toHaveLength(2))
  expect(backend.calls.filter((call) => call.method === 'POST')[1]!.body).toEqual({ type: 'index', operation_id: 'in-1' })
})

describe('useCancelOperation', () => {
  async function running() {
    const context = setup()
    const { result } = renderHook(
      () => ({ cancel: useCancelOperation(), progress: useOperationProgress({ operationId: 'op-1', projectId: 'p1' }) }),
      { wrapper: context.wrapper },
    )
    context.server.publish('p1', { type: 'operation_started', operation_id: 'op-1', total_files: 10 })
    await waitFor(() => expect(context.backend.socketAt('/ws/projects/p1').clients.some((client) => client.readyState === 1)).toBe(true))
    context.server.publish('p1', { type: 'file_processing', operation_id: 'op-1', processed_files: 2, total_files: 10 })
    await waitFor(() => expect(result.current.progress.data?.processedFiles).toBe(2))
    return { ...context, result, stageBefore: result.current.progress.data?.stage }
  }

  test("reads 'cancelling' at once and 'cancelled' when the server says so", async () => {
    const { backend, server, result } = await running()
    const gate = held()
    backend.route('POST', '/api/operations/op-1/cancel', () => gate.answer)
    act(() => result.current.cancel.mutate({ operationId: 'op-1', projectId: 'p1' }))
    await waitFor(() => expect(result.current.progress.data?.stage).toBe('cancelling'))
    expect(result.current.progress.data?.status).toBe('processing')
    gate.release({ status: 202, body: { status: 'cancelling' } })
    await waitFor(() => expect(result.current.cancel.isSuccess).toBe(true))
    server.publish('p1', { type: 'operation_cancelled', operation_id: 'op-1' })
    await waitFor(() => expect(result.current.progress.data?.status).toBe('cancelled'))
    // The stage the request showed ends with the operation.
    expect(result.current.progress.data?.stage).toBeUndefined()
  })

  test('a refused cancel puts the stage back; a job that finished meanwhile stays finished', async () => {
    const { backend, server, result, stageBefore } = await running()
    const gate = held()
    backend.route('POST', '/api/operations/op-1/cancel', () => gate.answer)
    act(() => result.current.cancel.mutate({ operationId: 'op-1', projectId: 'p1' }))
    await waitFor(() => expect(result.current.progress.data?.stage).toBe('cancelling'))
    gate.release({ status: 500, body: { detail: 'worker unreachable' } })
    await waitFor(() => expect(result.current.cancel.isError).toBe(true))
    expect(result.current.progress.data?.stage).toBe(stageBefore)
    expect(result.current.progress.data).toMatchObject({ status: 'processing', processedFiles: 2 })

    // The job ends before the second cancel is answered: the rollback leaves the end alone.
    const second = held()
    backend.route('POST', '/api/operations/op-1/cancel', () => second.answer)
    act(() => result.current.cancel.mutate({ operationId: 'op-1', projectId: 'p1' }))
    await waitFor(() => expect(result.current.progress.data?.stage).toBe('cancelling'))
    server.publish('p1', { type: 'operation_completed', operation_id: 'op-1', stage: 'done', processed_files: 10, total_files: 10 })
    await waitFor(() => expect(result.current.progress.data?.status).toBe('completed'))
    second.release({ status: 409, body: { detail: 'the operation has ended (completed)' } })
    await waitFor(() => expect(result.current.cancel.isError).toBe(true))
    expect(result.current.progress.data).toMatchObject({ status: 'completed', percent: 100 })
  })
})

describe('options bound once', () => {
  test('useLiveStatusOptions: query and mutation options without the client at each call', async () => {
    const { server, wrapper } = setup()
    server.publish('p1', { type: 'operation_started', operation_id: 'op-7', total_files: 2 })
    const { result } = renderHook(
      () => {
        const live = useLiveStatusOptions()
        return {
          live,
          query: useQuery(live.operationProgress.queryOptions({ operationId: 'op-7', projectId: 'p1' })),
          // No queryClient given: TanStack passes its own to the mutation (its context's `client`).
          start: useMutation(live.startOperation.mutationOptions({ projectId: 'p1' })),
        }
      },
      { wrapper },
    )
    await waitFor(() => expect(result.current.query.data?.status).toBe('processing'))
    expectTypeOf(result.current.query.data).toEqualTypeOf<OperationProgress | undefined>()
    act(() => result.current.start.mutate({ operationId: 'op-8' }))
    await waitFor(() => expect(result.current.start.data).toEqual({ operationId: 'op-8' }))
    expect(result.current.live.operationProgress.queryKey({ operationId: 'op-8' })).toEqual(liveStatusKeys.operation('op-8'))
  })

  test('liveStatusOptions outside React: prefetch, and a mutation run by a MutationObserver', async () => {
    const backend = createMockLiveBackend()
    const server = mockReferenceServer(backend, { token: TOKEN })
    server.publish('p1', { type: 'operation_started', operation_id: 'op-9', total_files: 4 })
    const client = new LiveStatusClient({ apiUrl: backend.apiUrl, accessToken: TOKEN, WebSocket: backend.WebSocket, fetch: authorized(backend) })
    const queryClient = new QueryClient()
    const live = liveStatusOptions(client)
    await queryClient.prefetchQuery(live.operationProgress.queryOptions({ operationId: 'op-9' }))
    const data = queryClient.getQueryData(live.operationProgress.queryKey({ operationId: 'op-9' }))
    expectTypeOf(data).toEqualTypeOf<OperationProgress | undefined>()
    expect(data?.status).toBe('processing')
    const observer = new MutationObserver(queryClient, live.startOperation.mutationOptions({ projectId: 'p1' }, { queryClient }))
    await expect(observer.mutate({ operationId: 'op-10', type: 'append' })).resolves.toEqual({ operationId: 'op-10' })
    expect(row(queryClient, 'op-10')).toMatchObject({ status: 'pending', operationType: 'append' })
    client.dispose()
    backend.dispose()
  })
})

describe('generated schedules: the optimistic row of a proposed id', () => {
  /**
   * A proposed id's start races events for that id and the server's answer, which may fail. After
   * everything settles the row is there exactly when the job exists (the start succeeded or an event
   * said so), and an event's data is never replaced by the optimistic row.
   */
  test('the row is kept exactly when the job exists, and events are never overwritten', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.boolean(),
        fc.constantFrom('before-answer', 'after-answer', 'none'),
        fc.boolean(),
        async (succeeds, eventAt, eventBeforeMutate) => {
          const backend = createMockLiveBackend()
          const client = new LiveStatusClient({ apiUrl: backend.apiUrl, accessToken: TOKEN, WebSocket: backend.WebSocket, fetch: authorized(backend) })
          const queryClient = new QueryClient()
          const gate = held()
          backend.route('POST', '/api/projects/p1/operations', () => gate.answer)
          const event = (): OperationProgress => ({ operationId: 'gen-1', status: 'processing', processedFiles: 1, failedFiles: 0, totalFiles: 4, percent: 25, updatedAt: new Date() })
          // An event's write, as the live writer makes it (no live query runs here).
          const arrive = () => client.writeLive(queryClient, operationProgressChannel, { operationId: 'gen-1' }, (current) => ({ ...(current ?? event()), ...event() }))
          if (eventAt !== 'none' && eventBeforeMutate) arrive()
          const observer = new MutationObserver(queryClient, liveStatusOptions(client).startOperation.mutationOptions({ projectId: 'p1' }, { queryClient }))
          const done = observer.mutate({ operationId: 'gen-1' }).catch(() => undefined)
          await Promise.resolve()
          if (eventAt === 'before-answer' && !eventBeforeMutate) arrive()
          gate.release(succeeds ? { status: 201, body: { operation_id: 'gen-1' } } : { status: 500, body: { detail: 'no' } })
          await done
          if (eventAt === 'after-answer' && !eventBeforeMutate) arrive()
          const exists = succeeds || eventAt !== 'none'
          const data = row(queryClient, 'gen-1')
          expect(data !== undefined).toBe(exists)
          if (eventAt !== 'none') expect(data?.percent).toBe(25)
          client.dispose()
          backend.dispose()
        },
      ),
      { seed: SEED, numRuns: 60 },
    )
  })
})
