// @vitest-environment happy-dom
// The README's quick start, as a newcomer pastes it: the code block is examples/quickstart/App.tsx
// verbatim, and it renders live progress against a mock backend speaking the reference protocol.
import { readFileSync, writeFileSync } from 'node:fs'
import { act, fireEvent, render, screen } from '@testing-library/react'
import { afterEach, expect, test, vi } from 'vitest'
import { createMockLiveBackend, mockReferenceServer } from '../../src/testing'
import { watchForUndefined } from '../helpers/noUndefinedText'

// The example imports the published name; the test runs it against the sources.
const GENERATED = '__tests__/docs/.quickstart.generated.tsx'
writeFileSync(
  GENERATED,
  readFileSync('examples/quickstart/App.tsx', 'utf8').replace("from 'live-status'", "from '../../src'"),
)

afterEach(() => {
  vi.unstubAllGlobals()
})

test("the README's quick start is examples/quickstart/App.tsx, word for word", () => {
  const readme = readFileSync('README.md', 'utf8')
  const example = readFileSync('examples/quickstart/App.tsx', 'utf8')
  expect(readme).toContain('```tsx\n' + example + '```')
})

test('the README stays a page a newcomer reads: at most 250 lines, the rest in docs/ (issue #22 item 9)', () => {
  expect(readFileSync('README.md', 'utf8').trimEnd().split('\n').length).toBeLessThanOrEqual(250)
})

test('the quick start starts a job against the reference protocol and shows its bar live', async () => {
  const backend = createMockLiveBackend({ host: '127.0.0.1:4173' })
  const server = mockReferenceServer(backend, { token: 'demo-token' })
  server.project('demo')
  vi.stubGlobal('fetch', backend.fetch)
  vi.stubGlobal('WebSocket', backend.WebSocket)
  const { default: App } = await import(/* @vite-ignore */ `./${GENERATED.split('/').pop()}`)
  // Nothing it shows, before the job or during it, reads "undefined" (the bar's name once did).
  const watch = watchForUndefined(document.body)
  render(<App />)
  fireEvent.click(screen.getByRole('button', { name: 'Start a job' }))
  const bar = await screen.findByRole('progressbar', { name: 'Job progress' })
  const post = backend.calls.find((call) => call.method === 'POST')!
  expect(post).toMatchObject({ path: '/api/projects/demo/operations', authorization: 'Bearer demo-token', body: { type: 'index' } })
  // The id the server gave: the bar's status line fetched it over REST.
  await screen.findByText(/% · /)
  const operationId = backend.calls.find((call) => call.path.startsWith('/api/operations/'))!.path.split('/').pop()!
  await vi.waitFor(() => expect(backend.socketAt('/ws/projects/demo').clients.some((client) => client.readyState === 1)).toBe(true))
  server.publish('demo', { type: 'file_completed', operation_id: operationId, processed_files: 2, total_files: 4 })
  await vi.waitFor(() => expect(bar.getAttribute('value')).toBe('50'))
  expect(screen.getByText('50% · processing')).toBeTruthy()
  await act(async () => {})
  watch.stop()
  expect(watch.seen).toEqual([])
  backend.dispose()
})
