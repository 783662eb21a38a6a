// Server rendering runs in Node, without a DOM.
import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { renderToString } from 'react-dom/server'
import { expect, test, vi } from 'vitest'
import { ConnectionStatus, LiveStatusProvider, useDirectoryScan, useIndexStatus, useOperationProgress } from '../../src'

test('hooks and ConnectionStatus render on the server without window, sockets or fetches', () => {
  expect(typeof (globalThis as { window?: unknown }).window).toBe('undefined')
  const WebSocket = vi.fn()
  const fetch = vi.fn()
  function Page() {
    const index = useIndexStatus('p1')
    const operation = useOperationProgress('op1')
    const scan = useDirectoryScan()
    return (
      <main>
        <p>{index.data?.state ?? 'loading'}</p>
        <p>{operation.data?.percent ?? 0}%</p>
        <p>{scan.data.state}</p>
        <ConnectionStatus target={{ projectId: 'p1' }} />
      </main>
    )
  }
  const html = renderToString(
    <QueryClientProvider client={new QueryClient()}>
      <LiveStatusProvider apiUrl="https://api.example.com" accessToken="t" WebSocket={WebSocket as never} fetch={fetch}>
        <Page />
      </LiveStatusProvider>
    </QueryClientProvider>,
  )
  expect(html).toContain('loading')
  expect(html).toContain('idle')
  expect(html).toContain('role="status"')
  expect(html).toContain('data-state="connected"')
  expect(WebSocket).not.toHaveBeenCalled()
  expect(fetch).not.toHaveBeenCalled()
})
