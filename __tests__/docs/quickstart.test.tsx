// @vitest-environment happy-dom
// The README's quick start, as a newcomer pastes it: the code block is examples/quickstart/App.tsx
// verbatim, and it renders live progress against a mock backend speaking the reference protocol.
import { readFileSync, writeFileSync } from 'node:fs'
import { act, render, screen } from '@testing-library/react'
import { afterEach, expect, test, vi } from 'vitest'
import { createMockLiveBackend, mockReferenceServer } from '../../src/testing'

// The example imports the published name; the test runs it against the sources.
const GENERATED = '__tests__/docs/.quickstart.generated.tsx'
writeFileSync(
  GENERATED,
  readFileSync('examples/quickstart/App.tsx', 'utf8')
    .replace("from 'live-status'", "from '../../src'")
    // mock-socket serves ws:// only
    .replace('https://api.example.com', 'http://api.example.com'),
)

afterEach(() => {
  vi.unstubAllGlobals()
})

test("the README's quick start is examples/quickstart/App.tsx, word for word", () => {
  const readme = readFileSync('README.md', 'utf8')
  const example = readFileSync('examples/quickstart/App.tsx', 'utf8')
  expect(readme).toContain('```tsx\n' + example + '```')
})

test('the quick start shows live progress once the token is there', async () => {
  const backend = createMockLiveBackend({ host: 'api.example.com' })
  const server = mockReferenceServer(backend)
  vi.stubGlobal('fetch', backend.fetch)
  vi.stubGlobal('WebSocket', backend.WebSocket)
  const { App } = await import(/* @vite-ignore */ `./${GENERATED.split('/').pop()}`)
  server.publish('p1', { type: 'operation_started', operation_id: 'op-42', total_files: 4 })
  const view = render(<App />)
  expect(screen.getByText('Loading…')).toBeTruthy()
  view.rerender(<App accessToken="t0ken" />)
  const bar = await screen.findByRole('progressbar', { name: 'processing' })
  await vi.waitFor(() => expect(backend.socketAt('/ws/projects/p1').clients.some((client) => client.readyState === 1)).toBe(true))
  server.publish('p1', { type: 'file_completed', operation_id: 'op-42', processed_files: 2, total_files: 4 })
  await vi.waitFor(() => expect(bar.getAttribute('value')).toBe('50'))
  await act(async () => {})
  backend.dispose()
})
