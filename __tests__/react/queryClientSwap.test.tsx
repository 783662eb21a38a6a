// @vitest-environment happy-dom
// A QueryClient swapped under mounted hooks leaves them on the old cache (TanStack's useQuery keeps
// its first observer): development builds say so once, naming the fix (a race probe found the screen
// frozen on the old cache, with nothing said).
import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { render } from '@testing-library/react'
import { afterEach, expect, test, vi } from 'vitest'
import { LiveStatusProvider } from '../../src'

afterEach(() => vi.restoreAllMocks())

test('a provider whose QueryClient changes says once, in development, that mounted hooks need a remount', () => {
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
  const tree = (queryClient: QueryClient) => (
    <QueryClientProvider client={queryClient}>
      <LiveStatusProvider apiUrl="http://127.0.0.1:9" accessToken="tok_0123456789abcdef0123">
        <span />
      </LiveStatusProvider>
    </QueryClientProvider>
  )
  const first = new QueryClient()
  const view = render(tree(first))
  view.rerender(tree(first))
  expect(warn).not.toHaveBeenCalled()
  view.rerender(tree(new QueryClient()))
  view.rerender(tree(new QueryClient()))
  const swaps = warn.mock.calls.filter(([message]) => String(message).includes('The QueryClient changed under a mounted <LiveStatusProvider>'))
  expect(swaps).toHaveLength(1)
  expect(String(swaps[0]![0])).toContain('`key` on the provider')
  expect(String(swaps[0]![0])).not.toContain('tok_')
  view.unmount()
})
