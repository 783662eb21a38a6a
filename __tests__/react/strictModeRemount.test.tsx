// @vitest-environment happy-dom
// A view shown again after its job ended while nobody listened reads the end, under StrictMode too:
// its effect, cleanup and effect again stopped the first writer with its read still queued, and the
// second trusted the first's note that nothing was missed (a review of 3d727de; `#behind` fixed it).
import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { cleanup, render, screen } from '@testing-library/react'
import { StrictMode } from 'react'
import { afterEach, expect, test, vi } from 'vitest'
import { WebSocket } from 'ws'
import { LiveStatusProvider, useLiveQuery } from '../../src'
import { jobChannel, type Job } from '../helpers/jobChannel'
import { startWsServer } from '../helpers/wsServer'

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  cleanup()
  for (const fn of cleanups.splice(0).reverse()) await fn()
})


for (const strict of [false, true]) {
  test(`a view shown again after its job ended unheard reads it (StrictMode: ${strict})`, async () => {
    const server = await startWsServer()
    cleanups.push(() => server.kill())
    const truth: Record<string, Job> = { a: { n: 0, done: false }, b: { n: 1, done: false } }
    const asked: Record<string, number> = { a: 0, b: 0 }
    const channel = jobChannel('jobs-strict', { truth, asked })
    const queryClient = new QueryClient({ defaultOptions: { queries: { staleTime: Infinity, retry: false } } })
    cleanups.push(() => queryClient.clear())
    queryClient.setQueryData(['job', 'b'], { n: 1, done: false })
    const View = ({ id }: { id: string }) => {
      const { data } = useLiveQuery(channel, { id })
      return <p data-testid={id}>{data ? `${data.n} ${data.done ? 'done' : 'running'}` : '…'}</p>
    }
    const tree = (showB: boolean) => {
      const t = (
        <QueryClientProvider client={queryClient}>
          <LiveStatusProvider apiUrl={`http://127.0.0.1:${server.port}`} accessToken="eyJhbGciOiJIUzI1NiJ9.strict-mode-value" auth={{ type: 'query' }} WebSocket={WebSocket as never} heartbeat={false} quietCheckMs={false}>
            <View id="a" />
            {showB && <View id="b" />}
          </LiveStatusProvider>
        </QueryClientProvider>
      )
      return strict ? <StrictMode>{t}</StrictMode> : t
    }
    const view = render(tree(false))
    await vi.waitFor(() => expect(server.sockets.size).toBe(1))
    await vi.waitFor(() => expect(screen.getByTestId('a').textContent).toBe('0 running'))
    // b ends while nobody shows it; a's event after it shows the frame arrived.
    truth.b = { n: 8, done: true }
    server.broadcast({ id: 'b', n: 8, done: true })
    truth.a = { n: 1, done: false }
    server.broadcast({ id: 'a', n: 1, done: false })
    await vi.waitFor(() => expect(screen.getByTestId('a').textContent).toBe('1 running'))
    view.rerender(tree(true))
    await vi.waitFor(() => expect(screen.getByTestId('b').textContent).toBe('8 done'), { timeout: 1500 })
    expect(asked.b).toBe(1)
  })
}
