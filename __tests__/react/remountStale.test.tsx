// @vitest-environment happy-dom
/**
 * Found by a helper's attack probe (2026-12-05): with a `staleTime`, a view that unmounts while its
 * job runs and comes back after the job ended (its socket closed meanwhile, so no one heard the end)
 * showed "processing" for good: the cached data was fresh, so nothing fetched, a new socket is not a
 * reconnect, and the quiet check was only armed by a fetch or a write. A writer that starts on cached
 * data of an active job now arms it: the app's `staleTime` still keeps the mount from refetching, and
 * REST is read once the socket has said nothing of the job for `quietCheckMs`. A provider moved to
 * another backend refetches at once, from the new one: what the cache holds came from the old one.
 */
import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { render, screen } from '@testing-library/react'
import { expect, test, vi } from 'vitest'
import { LiveStatusClient, LiveStatusProvider, useOperationProgress } from '../../src'
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
