// @vitest-environment happy-dom
// Each component showing a live query subscribes once to the client's token store
// (`subscribeCanRequest`) for its own gating, plus once through its connection status (which says
// `signed-out`). Before, `useLiveQuery` subscribed itself and again through `useLiveSubscription`:
// two listeners per component for the same answer.
import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { act, render, screen } from '@testing-library/react'
import { expect, test, vi } from 'vitest'
import { LiveStatusClient, LiveStatusProvider, operationProgressChannel, useLiveSubscription, useOperationProgress } from '../../src'
import { fakeSource } from '../helpers/fakeSources'
import { createMockBackend } from '../helpers/mockBackend'
import { advance, TOKEN, useFakeLiveClock } from '../helpers/renderWithLive'

useFakeLiveClock()

function world(token: string | undefined) {
  const backend = createMockBackend()
  backend.socketAt('/ws/operations/op1')
  backend.route('GET', '/api/operations/op1', { status: 200, body: { id: 'op1', status: 'processing', processed_files: 2, total_files: 10 } })
  const client = new LiveStatusClient({
    apiUrl: backend.apiUrl, accessToken: token, WebSocket: backend.WebSocket, fetch: backend.fetch,
    onlineManager: fakeSource(true), focusManager: fakeSource(true), random: () => 1,
  })
  const subscriptions = vi.spyOn(client, 'subscribeCanRequest')
  const queryClient = new QueryClient({ defaultOptions: { queries: { gcTime: Infinity } } })
  const mount = (ui: React.ReactNode) =>
    render(
      <QueryClientProvider client={queryClient}>
        {/* The token is the client's own: the provider passes it through unchanged. */}
        <LiveStatusProvider client={client} apiUrl={client.apiUrl} accessToken={token}>
          {ui}
        </LiveStatusProvider>
      </QueryClientProvider>,
    )
  return { backend, client, subscriptions, mount }
}

function Operation() {
  const { data } = useOperationProgress('op1')
  return <span data-testid="files">{data?.processedFiles ?? 'waiting'}</span>
}

test('useOperationProgress subscribes to the token store as often as useLiveSubscription alone does', async () => {
  const alone = world(TOKEN)
  function Subscription() {
    useLiveSubscription(operationProgressChannel, { operationId: 'op1' })
    return null
  }
  alone.mount(<Subscription />)
  await advance()
  const w = world(TOKEN)
  w.mount(<Operation />)
  await advance()
  expect(screen.getByTestId('files').textContent).toBe('2')
  // useLiveSubscription: its gate and its connection status. Before, useOperationProgress made 3.
  expect(alone.subscriptions).toHaveBeenCalledTimes(2)
  expect(w.subscriptions).toHaveBeenCalledTimes(2)
  alone.client.dispose()
  w.client.dispose()
})

test('a token given to the client, with no render of the page, still starts its query and socket', async () => {
  const w = world(undefined)
  w.mount(<Operation />)
  await advance(1000)
  expect(w.backend.calls).toHaveLength(0)
  expect(w.backend.created).toHaveLength(0)
  act(() => w.client.setAccessToken(TOKEN))
  await advance()
  expect(screen.getByTestId('files').textContent).toBe('2')
  expect(w.backend.callsTo('GET', '/api/operations/op1')).toHaveLength(1)
  expect(w.backend.live()).toBe(1)
  w.client.dispose()
})
