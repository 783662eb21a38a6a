import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { cleanup, render } from '@testing-library/react'
import { StrictMode, type ReactNode } from 'react'
import { afterEach, beforeEach, vi } from 'vitest'
import { LiveStatusProvider, type LiveStatusProviderProps } from '../../src'
import { fakeSource } from './fakeSources'
import { createMockBackend, type MockBackend } from './mockBackend'

export const TOKEN = 'test-token-abc'

/** One flush of the cache writer: events are written once per animation frame (16 ms). */
export const FRAME_MS = 16

/** Lets timers, mock-socket's 4 ms delays, microtasks and React updates run. */
export async function advance(ms = 20) {
  const { act } = await import('@testing-library/react')
  await act(async () => {
    await vi.advanceTimersByTimeAsync(ms)
  })
}

export function setupLive(overrides: Partial<LiveStatusProviderProps> = {}, backend: MockBackend = createMockBackend()) {
  vi.stubGlobal('fetch', backend.fetch)
  const online = fakeSource(true)
  const focus = fakeSource(true)
  const queryClient = new QueryClient({ defaultOptions: { queries: { gcTime: Infinity } } })
  const props: Omit<LiveStatusProviderProps, 'children'> = {
    apiUrl: backend.apiUrl,
    accessToken: TOKEN,
    WebSocket: backend.WebSocket,
    onlineManager: online,
    focusManager: focus,
    random: () => 1,
    ...overrides,
  }
  const wrap = (ui: ReactNode, extra: Partial<LiveStatusProviderProps> = {}, strict = false) => {
    const tree = (
      <QueryClientProvider client={queryClient}>
        <LiveStatusProvider {...props} {...extra}>
          {ui}
        </LiveStatusProvider>
      </QueryClientProvider>
    )
    return strict ? <StrictMode>{tree}</StrictMode> : tree
  }
  const renderLive = (ui: ReactNode, options: { strict?: boolean } = {}) => {
    const result = render(wrap(ui, {}, options.strict))
    return {
      ...result,
      rerenderWith: (next: ReactNode, extra: Partial<LiveStatusProviderProps> = {}) => result.rerender(wrap(next, extra, options.strict)),
    }
  }
  return { backend, queryClient, online, focus, renderLive }
}

/**
 * Fake clock for hook tests: timers and Date are virtual (so backoff, polling and heartbeats are
 * exact), everything else (microtasks, I/O) is real. Cleans up the DOM and stubs after each test.
 */
export function useFakeLiveClock() {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date', 'requestAnimationFrame', 'cancelAnimationFrame'] })
  })
  afterEach(() => {
    cleanup()
    vi.clearAllTimers()
    vi.useRealTimers()
    vi.unstubAllGlobals()
  })
}
