// @vitest-environment happy-dom
// Why a page mounted after a loader's prefetch of an active job reads REST once more (a change
// that saved that read was reverted on 2026-12-07 for this): REST lags behind the socket (a worker
// that publishes before it writes its history; `FetchContext.previous`'s doc). The operation ends
// on the project socket while no view of it is mounted (the index view keeps the socket open);
// the route loader's read, sent after that frame, still says "processing". Trusted, the page that
// mounts next (no frame since) read nothing more and showed "processing" until the quiet check
// (here off); the mount's read has caught up.
import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { render } from '@testing-library/react'
import { expect, test } from 'vitest'
import { LiveStatusClient, LiveStatusProvider, operationProgressOptions, useIndexStatus, useOperationProgress } from '../../src'
import { fakeSource } from '../helpers/fakeSources'
import { createMockBackend } from '../helpers/mockBackend'
import { advance, TOKEN, useFakeLiveClock } from '../helpers/renderWithLive'

useFakeLiveClock()

const SOCKET = '/ws/projects/p1'
const STATUS = '/api/operations/op1'
const params = { operationId: 'op1', projectId: 'p1' }

test('an end the socket said to nobody, then a lagging loader read: the page shows the end', async () => {
  const backend = createMockBackend()
  backend.socketAt(SOCKET)
  let gets = 0
  // The first read after the end lags (the replica has not written it yet); later ones have it.
  backend.route('GET', STATUS, () =>
    ++gets === 1
      ? { status: 200, body: { id: 'op1', status: 'processing', processed_files: 9, total_files: 10 } }
      : { status: 200, body: { id: 'op1', status: 'completed', processed_files: 10, total_files: 10 } },
  )
  backend.route('GET', '/api/projects/p1/index', { status: 200, body: { status: 'ready' } })
  const client = new LiveStatusClient({
    apiUrl: backend.apiUrl, accessToken: TOKEN, WebSocket: backend.WebSocket, fetch: backend.fetch,
    onlineManager: fakeSource(true), focusManager: fakeSource(true), random: () => 1, quietCheckMs: false, heartbeat: false,
  })
  const queryClient = new QueryClient({ defaultOptions: { queries: { gcTime: Infinity, staleTime: 60_000 } } })
  function Index() {
    useIndexStatus({ projectId: 'p1' })
    return null
  }
  function Operation() {
    const { data } = useOperationProgress(params)
    return <span data-testid="status">{data?.status ?? 'loading'}</span>
  }
  const tree = (operation: boolean) => (
    <QueryClientProvider client={queryClient}>
      <LiveStatusProvider client={client} apiUrl={client.apiUrl} accessToken={TOKEN}>
        <Index />
        {operation ? <Operation /> : null}
      </LiveStatusProvider>
    </QueryClientProvider>
  )
  const view = render(tree(false))
  await advance(100)
  expect(client.socketStatus(client.socketUrl(SOCKET))?.state).toBe('open')
  // The operation ends; only the index view listens on the socket.
  backend.send(SOCKET, { type: 'operation_completed', operation_id: 'op1', status: 'completed', processed_files: 10, total_files: 10 })
  await advance(100)
  // The user opens the operation: the loader reads REST (lagging), then the page mounts.
  await queryClient.prefetchQuery(operationProgressOptions(client, params))
  view.rerender(tree(true))
  await advance(100)
  await advance(100)
  await advance(5_000)
  // 94319ba: 'processing' (1 GET) for good with quietCheckMs false; 30 s by default.
  expect(document.querySelector('[data-testid="status"]')?.textContent).toBe('completed')
  expect(backend.callsTo('GET', STATUS).length).toBe(2)
  client.dispose()
})
