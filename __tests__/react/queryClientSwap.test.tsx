// @vitest-environment happy-dom
// A QueryClient swapped under mounted hooks leaves them on the old cache (TanStack's useQuery keeps
// its first observer): development builds say so once, naming the fix (a race probe found the screen
// frozen on the old cache, with nothing said). A subtree keyed by the client (the fix) says nothing.
import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { render } from '@testing-library/react'
import type { ReactNode } from 'react'
import { afterEach, expect, test, vi } from 'vitest'
import { LiveStatusProvider, useOperationProgress } from '../../src'

afterEach(() => vi.restoreAllMocks())

const MESSAGE = 'The QueryClient changed under a mounted live-status hook'
function Progress() {
  useOperationProgress({ operationId: 'op1' })
  return null
}
const tree = (queryClient: QueryClient, children: ReactNode) => (
  <QueryClientProvider client={queryClient}>
    <LiveStatusProvider apiUrl="http://127.0.0.1:9" accessToken="tok_0123456789abcdef0123">
      {children}
    </LiveStatusProvider>
  </QueryClientProvider>
)
const swaps = (warn: { mock: { calls: unknown[][] } }) => warn.mock.calls.filter(([message]) => String(message).includes(MESSAGE))

test('no warning for a keyed subtree (the fix), nor with no live hook mounted; one, once, for a hook that keeps the old client', () => {
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
  let [a, b] = [new QueryClient(), new QueryClient()]
  // The documented fix: the hooks remount with the new client.
  const keyed = render(tree(a, <Progress key="a" />))
  keyed.rerender(tree(b, <Progress key="b" />))
  keyed.unmount()
  // Nothing live mounted: nothing kept.
  const bare = render(tree(a, <span />))
  bare.rerender(tree(b, <span />))
  bare.unmount()
  expect(swaps(warn)).toHaveLength(0)
  ;[a, b] = [new QueryClient(), new QueryClient()]
  const view = render(tree(a, <Progress />))
  view.rerender(tree(a, <Progress />))
  expect(swaps(warn)).toHaveLength(0)
  view.rerender(tree(b, <Progress />))
  view.rerender(tree(new QueryClient(), <Progress />))
  expect(swaps(warn)).toHaveLength(1)
  expect(String(swaps(warn)[0]![0])).toContain('`key` on the provider or the subtree')
  expect(String(swaps(warn)[0]![0])).not.toContain('tok_')
  view.unmount()
  for (const client of [a, b]) client.clear()
})

