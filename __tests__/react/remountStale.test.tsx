// @vitest-environment happy-dom
/**
 * Found by a helper's attack probe (2026-12-05): with a `staleTime`, a view that unmounts while its
 * job runs and comes back after the job ended (its socket closed meanwhile, so no one heard the end)
 * showed "processing" for good: the cached data was fresh, so nothing fetched, a new socket is not a
 * reconnect, and the quiet check was only armed by a fetch or a write. A writer that starts on cached
 * data of an active job now arms it: the app's `staleTime` still keeps the mount from refetching, and
 * REST is read once the socket has said nothing of the job for `quietCheckMs`. A provider moved to
 * another backend refetches at once, from the new one: what the cache holds came from the old one.
 * That is every live query, an app's own channels too (before, only `liveStatusKeys.all`); the app's
 * other queries are left alone.
 */
import { dehydrate, HydrationBoundary, QueryClient, QueryClientProvider, useQuery } from '@tanstack/react-query'
import { render, screen } from '@testing-library/react'
import { useState } from 'react'
import { expect, test, vi } from 'vitest'
import { z } from 'zod'
import {
  createOperationChannel,
  defineChannel,
  liveQueryOptions,
  LiveStatusClient,
  LiveStatusProvider,
  operationProgressChannel,
  useLiveQuery,
  useLiveStatusClient,
  useOperationProgress,
  type Dialect,
  type OperationStatus,
} from '../../src'
import { createMockLiveBackend } from '../../src/testing'
import { advance, setupLive, TOKEN, useFakeLiveClock } from '../helpers/renderWithLive'

useFakeLiveClock()
const SOCKET = '/ws/operations/op1'
const STATUS = '/api/operations/op1'

function Operation() {
  const { data, connection } = useOperationProgress('op1')
  return <span data-testid="status">{`${data?.status ?? 'none'} ${connection.state}`}</span>
}

/**
 * Shows the operation while REST says `first`, leaves past the idle close (the socket is gone), sets
 * REST to `then` and mounts the view again; resolves with the GETs made before the remount.
 */
async function leaveAndComeBack(staleTime: number, first: string, then: string) {
  const { backend, renderLive, queryClient } = setupLive()
  queryClient.setDefaultOptions({ queries: { gcTime: Infinity, staleTime } })
  backend.socketAt(SOCKET)
  let status = first
  backend.route('GET', STATUS, () => ({ status: 200, body: { id: 'op1', status, processed_files: 1, total_files: 4 } }))
  const view = renderLive(<Operation />)
  await advance()
  view.rerenderWith(<span />)
  await advance(10_000)
  expect(backend.live()).toBe(0)
  status = then
  const before = backend.callsTo('GET', STATUS).length
  view.rerenderWith(<Operation />)
  await advance(100)
  return { gets: () => backend.callsTo('GET', STATUS).length - before }
}

const shown = () => screen.getByTestId('status').textContent

test('with staleTime 0, a remount after the job ended unseen refetches on mount: the end, one GET', async () => {
  const { gets } = await leaveAndComeBack(0, 'processing', 'completed')
  expect(shown()).toBe('completed open')
  expect(gets()).toBe(1)
})

test('with staleTime 60 s, the mount does not refetch, and the quiet check reads REST 30 s after the socket opened silent: the end (before, "processing" for good)', async () => {
  const { gets } = await leaveAndComeBack(60_000, 'processing', 'completed')
  expect(shown()).toBe('processing open')
  expect(gets()).toBe(0)
  await advance(30_000)
  expect(shown()).toBe('completed open')
  expect(gets()).toBe(1)
})

test('a remount on cached data of a finished job reads nothing more', async () => {
  const { gets } = await leaveAndComeBack(60_000, 'completed', 'completed')
  expect(shown()).toMatch(/^completed/)
  expect(gets()).toBe(0)
  await advance(30_000)
  expect(gets()).toBe(0)
})

test('the provider moved to another backend (apiUrl): a job shown as running there is read from the new one', async () => {
  const a = createMockLiveBackend()
  const b = createMockLiveBackend()
  vi.stubGlobal('fetch', (input: string | Request, init?: RequestInit) => (String(input instanceof Request ? input.url : input).startsWith(a.apiUrl) ? a.fetch(input, init) : b.fetch(input, init)))
  a.socketAt(SOCKET)
  b.socketAt(SOCKET)
  a.route('GET', STATUS, { status: 200, body: { id: 'op1', status: 'processing', processed_files: 5, total_files: 10 } })
  b.route('GET', STATUS, { status: 200, body: { id: 'op1', status: 'completed', processed_files: 10, total_files: 10 } })
  const queryClient = new QueryClient({ defaultOptions: { queries: { gcTime: Infinity } } })
  const tree = (backend: typeof a) => (
    <QueryClientProvider client={queryClient}>
      <LiveStatusProvider apiUrl={backend.apiUrl} accessToken={TOKEN} WebSocket={backend.WebSocket} random={() => 1}>
        <Operation />
      </LiveStatusProvider>
    </QueryClientProvider>
  )
  const view = render(tree(a))
  await advance()
  expect(screen.getByTestId('status').textContent).toBe('processing open')
  view.rerender(tree(b))
  await advance(100)
  expect(screen.getByTestId('status').textContent).toBe('completed open')
  expect(b.callsTo('GET', STATUS)).toHaveLength(1)
  await advance(10_000)
  expect([a.live(), b.live()]).toEqual([0, 1])
  view.unmount()
})

test('a `client` prop swapped back and forth: each swap reads the job from the client now given, and no fetch goes round in circles', async () => {
  const a = createMockLiveBackend()
  const b = createMockLiveBackend()
  for (const backend of [a, b]) backend.socketAt(SOCKET)
  a.route('GET', STATUS, { status: 200, body: { id: 'op1', status: 'processing', processed_files: 5, total_files: 10 } })
  b.route('GET', STATUS, { status: 200, body: { id: 'op1', status: 'pending' } })
  const clients = [a, b].map((backend) => new LiveStatusClient({ apiUrl: backend.apiUrl, accessToken: TOKEN, WebSocket: backend.WebSocket, fetch: backend.fetch, random: () => 1 }))
  const queryClient = new QueryClient({ defaultOptions: { queries: { gcTime: Infinity, staleTime: Infinity } } })
  const tree = (client: LiveStatusClient) => (
    <QueryClientProvider client={queryClient}>
      <LiveStatusProvider client={client} apiUrl={client.apiUrl} accessToken={TOKEN}>
        <Operation />
      </LiveStatusProvider>
    </QueryClientProvider>
  )
  const view = render(tree(clients[0]!))
  await advance()
  expect(screen.getByTestId('status').textContent).toBe('processing open')
  for (const [index, expected] of [[1, 'pending open'], [0, 'processing open'], [1, 'pending open']] as const) {
    view.rerender(tree(clients[index]!))
    await advance(100)
    expect(screen.getByTestId('status').textContent).toBe(expected)
  }
  expect([a.callsTo('GET', STATUS).length, b.callsTo('GET', STATUS).length]).toEqual([2, 2])
  view.unmount()
  for (const client of clients) client.dispose()
})

test('the provider moved to another backend: a hydrated job shown fresh, never fetched here, is read from the new one (on TanStack 5.0 its query has no queryFn yet: found by its key)', async () => {
  const a = createMockLiveBackend()
  const b = createMockLiveBackend()
  vi.stubGlobal('fetch', (input: string | Request, init?: RequestInit) => (String(input instanceof Request ? input.url : input).startsWith(a.apiUrl) ? a.fetch(input, init) : b.fetch(input, init)))
  for (const backend of [a, b]) backend.socketAt(SOCKET)
  b.route('GET', STATUS, { status: 200, body: { id: 'op1', status: 'completed' } })
  const server = new QueryClient()
  server.setQueryData(['live-status', 'operation', 'op1'], { operationId: 'op1', status: 'processing', processedFiles: 0, failedFiles: 0, totalFiles: 0, percent: 0, updatedAt: new Date() })
  const state = dehydrate(server)
  const queryClient = new QueryClient({ defaultOptions: { queries: { gcTime: Infinity, staleTime: Infinity } } })
  const tree = (backend: typeof a) => (
    <QueryClientProvider client={queryClient}>
      <HydrationBoundary state={state}>
        <LiveStatusProvider apiUrl={backend.apiUrl} accessToken={TOKEN} WebSocket={backend.WebSocket} random={() => 1}>
          <Operation />
        </LiveStatusProvider>
      </HydrationBoundary>
    </QueryClientProvider>
  )
  const view = render(tree(a))
  await advance()
  expect(shown()).toBe('processing open')
  view.rerender(tree(b))
  await advance(100)
  expect(shown()).toBe('completed open')
  expect(b.callsTo('GET', STATUS)).toHaveLength(1)
  view.unmount()
})

/** An app's own channel: its key is outside `liveStatusKeys.all`. */
const lintChannel = defineChannel({
  name: 'lint',
  queryKey: (params: { file: string }) => ['app', 'lint', params.file],
  socket: (_client, params) => `/ws/lint/${params.file}`,
  schema: z.object({ type: z.literal('lint'), errors: z.number() }),
  reduce: (_data: { errors: number } | undefined, event) => ({ errors: event.errors }),
  fetch: async ({ client, params, signal }) => (await client.getJson(`/api/lint/${params.file}`, { signal })) as { errors: number },
  isActive: () => false,
})

test("the provider moved to another backend (apiUrl): the app's own channels are read from the new one too (useLiveQuery and liveQueryOptions), its other queries are left alone", async () => {
  const a = createMockLiveBackend()
  const b = createMockLiveBackend()
  vi.stubGlobal('fetch', (input: string | Request, init?: RequestInit) => (String(input instanceof Request ? input.url : input).startsWith(a.apiUrl) ? a.fetch(input, init) : b.fetch(input, init)))
  for (const [backend, errors] of [[a, 3], [b, 0]] as const) {
    for (const file of ['a.ts', 'b.ts']) {
      backend.socketAt(`/ws/lint/${file}`)
      backend.route('GET', `/api/lint/${file}`, { status: 200, body: { errors } })
    }
  }
  let userFetches = 0
  function Lint() {
    const hook = useLiveQuery(lintChannel, { file: 'a.ts' })
    const flat = useQuery(liveQueryOptions(useLiveStatusClient(), lintChannel, { file: 'b.ts' }))
    const user = useQuery({ queryKey: ['app', 'user'], queryFn: async () => ++userFetches })
    return <span data-testid="lint">{`${hook.data?.errors ?? '-'} ${flat.data?.errors ?? '-'} user#${user.data ?? '-'}`}</span>
  }
  const queryClient = new QueryClient({ defaultOptions: { queries: { gcTime: Infinity } } })
  const tree = (backend: typeof a) => (
    <QueryClientProvider client={queryClient}>
      <LiveStatusProvider apiUrl={backend.apiUrl} accessToken={TOKEN} WebSocket={backend.WebSocket} random={() => 1}>
        <Lint />
      </LiveStatusProvider>
    </QueryClientProvider>
  )
  const view = render(tree(a))
  await advance()
  expect(screen.getByTestId('lint').textContent).toBe('3 3 user#1')
  view.rerender(tree(b))
  await advance(100)
  expect(screen.getByTestId('lint').textContent).toBe('0 0 user#1')
  expect([b.callsTo('GET', '/api/lint/a.ts').length, b.callsTo('GET', '/api/lint/b.ts').length, userFetches]).toEqual([1, 1, 1])
  view.unmount()
})

/** A dialect whose operation channel reads the status from another field of the REST body. */
const readingStatusFrom = (field: string): Dialect => ({
  name: field,
  channels: { operation: createOperationChannel({ parse: (body) => ({ status: (body as Record<string, OperationStatus>)[field] }) }) },
})

test('the provider given another dialect: the reset refetch resolves the channel through the new dialect, with the hook and with options made once (whose queryFn holds the old client)', async () => {
  const { backend, renderLive } = setupLive({ dialect: readingStatusFrom('v1') })
  backend.socketAt(SOCKET)
  // A backend mid-migration: the old field still says running, the new one has the end.
  for (const id of ['op1', 'op2']) backend.route('GET', `/api/operations/${id}`, { status: 200, body: { id, v1: 'processing', v2: 'completed' } })
  function MadeOnce() {
    const client = useLiveStatusClient()
    // Made once, as an app may: its queryFn holds the first client, and only resolving the channel
    // again through the client that replaced it reads the new dialect's field.
    const [options] = useState(() => liveQueryOptions(client, operationProgressChannel, { operationId: 'op2' }))
    return <span data-testid="once">{useQuery(options).data?.status ?? 'none'}</span>
  }
  const both = () => `${shown()} / ${screen.getByTestId('once').textContent}`
  const view = renderLive(
    <>
      <Operation />
      <MadeOnce />
    </>,
  )
  await advance()
  expect(both()).toBe('processing open / processing')
  view.rerenderWith(
    <>
      <Operation />
      <MadeOnce />
    </>,
    { dialect: readingStatusFrom('v2') },
  )
  await advance(100)
  expect(both()).toBe('completed open / completed')
  expect([backend.callsTo('GET', STATUS).length, backend.callsTo('GET', '/api/operations/op2').length]).toEqual([2, 2])
  view.unmount()
})

test("the hook's own queryFn, run after the provider moved to another dialect with no writer for it (early 5.x, before TanStack/query#7081, refetches a query with its last fetch's options), reads through the new dialect", async () => {
  const { backend, renderLive, queryClient } = setupLive({ dialect: readingStatusFrom('v1') })
  backend.socketAt(SOCKET)
  backend.route('GET', STATUS, { status: 200, body: { id: 'op1', v1: 'processing', v2: 'completed' } })
  const view = renderLive(<Operation />)
  await advance()
  expect(shown()).toBe('processing open')
  const queryKey = operationProgressChannel.queryKey({ operationId: 'op1' })
  const { queryFn } = queryClient.getQueryCache().find({ queryKey })!.options
  view.rerenderWith(<span />, { dialect: readingStatusFrom('v2') })
  await advance(100)
  // Before: the hook gave liveQueryOptions the v1 variant, which the new client keeps as it is.
  await expect(queryClient.fetchQuery({ queryKey, queryFn })).resolves.toMatchObject({ status: 'completed' })
  view.unmount()
})
