// @vitest-environment happy-dom
// A route loader prefetches an operation's progress outside React (`prefetchQuery(operationProgressOptions(…))`)
// and the page then mounts `useOperationProgress` for it, on a project socket another view keeps
// open. The loader's read is the read: the socket said nothing since it was sent. Before, the
// writer that joined the open socket read REST again (2 GETs), because nothing vouched for data
// no writer had held (the rule for a writer that joins after the socket spoke to nobody); with the
// loader's answer still out, the writer joined it and owed a read after it. The controls pin what
// those rules are for: a frame or a reopen since the loader's request was sent still costs a read.
// (With `staleTime: 0`, TanStack's own refetch at mount is a second read the app asked for.)
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

/** The project's index view is shown (its socket open); `mountOperation` adds the operation's view. */
async function world() {
  const backend = createMockBackend()
  backend.socketAt(SOCKET)
  let processed = 3
  let hold: Promise<void> | undefined
  // REST's state when it is asked, answered when `hold` lets it.
  backend.route('GET', STATUS, async () => {
    const files = processed
    await hold
    return { status: 200, body: { id: 'op1', status: 'processing', processed_files: files, total_files: 10 } }
  })
  backend.route('GET', '/api/projects/p1/index', { status: 200, body: { status: 'ready' } })
  // The client the loader uses is the provider's (a router's context).
  const client = new LiveStatusClient({
    apiUrl: backend.apiUrl, accessToken: TOKEN, WebSocket: backend.WebSocket, fetch: backend.fetch,
    onlineManager: fakeSource(true), focusManager: fakeSource(true), random: () => 1, quietCheckMs: false, heartbeat: false,
  })
  // TanStack's advice for prefetching: a staleTime, so the mount does not refetch what was just read.
  const queryClient = new QueryClient({ defaultOptions: { queries: { gcTime: Infinity, staleTime: 60_000 } } })
  function Index() {
    useIndexStatus({ projectId: 'p1' })
    return null
  }
  function Operation() {
    const { data } = useOperationProgress(params)
    return <span data-testid="files">{data?.processedFiles ?? 'loading'}</span>
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
  return {
    backend,
    loader: () => queryClient.prefetchQuery(operationProgressOptions(client, params)),
    mountOperation: () => view.rerender(tree(true)),
    /** REST moves on (the worker processed files) and the socket says so. */
    progress: (files: number) => {
      processed = files
      backend.send(SOCKET, { type: 'file_completed', operation_id: 'op1', processed_files: files, total_files: 10 })
    },
    holdRest: () => {
      let release!: () => void
      hold = new Promise<void>((resolve) => (release = resolve))
      return () => ((hold = undefined), release())
    },
    gets: () => backend.callsTo('GET', STATUS).length,
    frames: () => client.hub.get(client.socketUrl(SOCKET))!.stats.framesReceived,
    state: () => client.socketStatus(client.socketUrl(SOCKET))?.state,
    shown: () => document.querySelector('[data-testid="files"]')?.textContent,
    dispose: () => client.dispose(),
  }
}

test('loader, then mount on a socket that said nothing since: one REST read', async () => {
  const w = await world()
  await w.loader()
  w.mountOperation()
  await advance(100)
  await advance(100)
  expect(w.shown()).toBe('3')
  // Before: 2, the second asked by the writer when it joined the open socket.
  expect(w.gets()).toBe(1)
  w.dispose()
})

test('a loader whose answer is still out when the page mounts, in a later turn: one REST read', async () => {
  const w = await world()
  const release = w.holdRest()
  const loaded = w.loader()
  await advance(0)
  w.mountOperation()
  await advance(0)
  release()
  await loaded
  await advance(100)
  await advance(100)
  expect(w.shown()).toBe('3')
  // Before: 2, a read owed after the loader's answer.
  expect(w.gets()).toBe(1)
  w.dispose()
})

test('control: the socket spoke of the operation after the loader read, to nobody: the mount reads REST again', async () => {
  const w = await world()
  await w.loader()
  w.progress(5)
  await advance(100)
  w.mountOperation()
  await advance(100)
  await advance(100)
  expect(w.shown()).toBe('5')
  expect(w.gets()).toBe(2)
  w.dispose()
})

test('control: the socket spoke while the loader was out and the page mounted after: REST again after it', async () => {
  const w = await world()
  const release = w.holdRest()
  const loaded = w.loader()
  await advance(0)
  // REST read 3 before this; nobody hears it.
  w.progress(5)
  await advance(100)
  w.mountOperation()
  await advance(0)
  release()
  await loaded
  await advance(100)
  await advance(100)
  expect(w.shown()).toBe('5')
  expect(w.gets()).toBe(2)
  w.dispose()
})

test('control: the socket spoke while the loader was out, and the page mounted after its answer: REST again', async () => {
  const w = await world()
  const release = w.holdRest()
  const loaded = w.loader()
  await advance(0)
  // REST read 3 before this; nobody hears it, and the answer that comes after does not have it.
  w.progress(5)
  await advance(100)
  release()
  await loaded
  w.mountOperation()
  await advance(100)
  await advance(100)
  expect(w.shown()).toBe('5')
  expect(w.gets()).toBe(2)
  w.dispose()
})

test('control: the socket reopened after the loader read, with no frame since: the mount reads REST again', async () => {
  const w = await world()
  await w.loader()
  const frames = w.frames()
  // The server restarts: whatever it said of the operation while the socket was down reached no one.
  w.backend.closeClients(SOCKET, 1012)
  await advance(100)
  expect(w.state()).not.toBe('open')
  // Back within the first retry (1 s), well within the loader's staleTime (TanStack does not refetch at mount).
  await advance(3_000)
  expect(w.state()).toBe('open')
  expect(w.frames()).toBe(frames)
  w.mountOperation()
  await advance(100)
  await advance(100)
  expect(w.shown()).toBe('3')
  expect(w.gets()).toBe(2)
  w.dispose()
})
