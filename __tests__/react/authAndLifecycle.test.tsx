// @vitest-environment happy-dom
import { screen } from '@testing-library/react'
import { describe, expect, test, vi } from 'vitest'
import { z } from 'zod'
import { ConnectionStatus, defineChannel, useIndexStatus, useLiveQuery, useOperationProgress } from '../../src'
import { advance, setupLive, TOKEN, useFakeLiveClock , FRAME_MS } from '../helpers/renderWithLive'

useFakeLiveClock()

const SOCKET = '/ws/projects/p1'

function Operation() {
  const { data, connection, error } = useOperationProgress('op1', { projectId: 'p1' })
  return (
    <div>
      <span data-testid="files">{data ? `${data.processedFiles}/${data.totalFiles}` : ''}</span>
      <span data-testid="connection">{connection.state}</span>
      <span data-testid="error">{error?.message ?? ''}</span>
    </div>
  )
}
const text = (id: string) => screen.getByTestId(id).textContent

describe('auth', () => {
  test('socket refused (4401) → unauthorized, no more sockets, and polling keeps the data live over REST', async () => {
    const { backend, renderLive } = setupLive({ pollIntervalMs: 5000 })
    backend.socketAt(SOCKET)
    let processed = 1
    backend.route('GET', '/api/operations/op1', () => ({ status: 200, body: { id: 'op1', status: 'processing', processed_files: processed, total_files: 10 } }))
    renderLive(<Operation />)
    await advance()
    backend.closeClients(SOCKET, 4401, 'token expired')
    await advance()
    expect(text('connection')).toBe('unauthorized')
    processed = 4
    await advance(5000)
    expect(text('files')).toBe('4/10')
    processed = 6
    // The poll fires at the very end of this advance; its answer renders a tick later on React 18.
    await advance(5100)
    expect(text('files')).toBe('6/10')
    expect(backend.created).toHaveLength(1)
  })

  test('a handshake refused before the upgrade (bare 1006) is unmasked by REST 401: unauthorized, onAuthError once, no retries; a new token recovers', async () => {
    const onAuthError = vi.fn()
    const { backend, renderLive } = setupLive({ onAuthError })
    // No socket server at SOCKET: every attempt fails like a refused handshake.
    let accepted = TOKEN
    backend.route('GET', '/api/operations/op1', (call) =>
      call.authorization === `Bearer ${accepted}` ? { status: 200, body: { id: 'op1', status: 'processing' } } : { status: 401, body: { detail: 'bad token' } },
    )
    backend.route('GET', '/api/projects/p1/index', (call) =>
      call.authorization === `Bearer ${accepted}` ? { status: 200, body: { status: 'indexing' } } : { status: 401 },
    )
    accepted = 'other'
    function Both() {
      useIndexStatus('p1')
      return <Operation />
    }
    const view = renderLive(<Both />)
    await advance()
    expect(text('connection')).toBe('unauthorized')
    expect(text('error')).toContain('401')
    expect(text('error')).not.toContain(TOKEN)
    expect(onAuthError).toHaveBeenCalledTimes(1)
    expect(onAuthError.mock.calls[0]![0]).toMatchObject({ code: null, reason: 'REST answered 401' })
    const sockets = backend.created.length
    const calls = backend.calls.length
    await advance(600_000)
    expect(backend.created.length).toBe(sockets)
    // An auth error is not retried or polled with the same token.
    expect(backend.calls.length).toBe(calls)

    accepted = 'fresh-token'
    backend.socketAt(SOCKET)
    view.rerenderWith(<Both />, { accessToken: 'fresh-token' })
    await advance()
    expect(text('connection')).toBe('open')
    expect(text('error')).toBe('')
    expect(backend.tokens(SOCKET).at(-1)).toBe('fresh-token')
    expect(backend.created.at(-1)!.url).not.toContain('fresh-token')
  })
})

describe('token gating in the provider', () => {
  test('no socket before the token, and the page says it waits for sign-in; connect when it arrives; sign-out closes at once', async () => {
    const { backend, renderLive } = setupLive({ accessToken: undefined })
    backend.socketAt(SOCKET)
    backend.route('GET', '/api/operations/op1', { status: 200, body: { id: 'op1', status: 'processing' } })
    function Page() {
      return (
        <>
          <Operation />
          <ConnectionStatus target={{ projectId: 'p1' }} />
        </>
      )
    }
    const view = renderLive(<Page />)
    await advance(10_000)
    expect(backend.created).toHaveLength(0)
    // Before, 'idle' and an empty indicator (`connected`): nothing told the user to sign in.
    expect(text('connection')).toBe('signed-out')
    expect(screen.getByRole('status').dataset.state).toBe('signed-out')
    expect(screen.getByRole('status').textContent).toContain('sign-in')
    view.rerenderWith(<Page />, { accessToken: TOKEN })
    await advance()
    expect(backend.live()).toBe(1)
    expect(text('connection')).toBe('open')
    expect(screen.getByRole('status').dataset.state).toBe('connected')
    view.rerenderWith(<Page />, { accessToken: null })
    await advance(FRAME_MS)
    expect(backend.live()).toBe(0)
    await advance(120_000)
    expect(backend.created).toHaveLength(1)
  })
})

describe('StrictMode', () => {
  test('one socket, no extra reconnect, hooks for the same project share it', async () => {
    const { backend, renderLive } = setupLive()
    const socket = backend.socketAt(SOCKET)
    backend.route('GET', '/api/operations/op1', { status: 200, body: { id: 'op1', status: 'processing' } })
    backend.route('GET', '/api/projects/p1/index', { status: 200, body: { status: 'ready' } })
    function Page() {
      useIndexStatus('p1')
      return <Operation />
    }
    renderLive(<Page />, { strict: true })
    await advance(10_000)
    expect(backend.created).toHaveLength(1)
    expect(socket.clients).toHaveLength(1)
    expect(text('connection')).toBe('open')
  })
})

describe('defineChannel', () => {
  // An app's own channel, e.g. the ontology editor's lint socket, in a few lines.
  const lintEvent = z.object({
    type: z.enum(['lint_started', 'lint_complete', 'lint_failed']),
    project_id: z.string(),
    issues: z.number().optional(),
  })
  type Lint = { state: 'idle' | 'running' | 'done' | 'failed'; issues?: number }
  const lintChannel = defineChannel<{ projectId: string }, z.infer<typeof lintEvent>, Lint>({
    name: 'lint',
    queryKey: ({ projectId }) => ['lint', projectId],
    socket: (_client, { projectId }) => `/api/v1/projects/${projectId}/ontology/lint-ws`,
    schema: lintEvent,
    matches: (event, { projectId }) => event.project_id === projectId,
    reduce: (_data, event) =>
      event.type === 'lint_started' ? { state: 'running' } : event.type === 'lint_complete' ? { state: 'done', issues: event.issues } : { state: 'failed' },
    fetch: async ({ client, params }) => (await client.getJson(`/api/v1/projects/${params.projectId}/ontology/lint-status`)) as Lint,
    isActive: (data) => data?.state === 'running',
    isTerminal: (data) => data?.state === 'done' || data?.state === 'failed',
  })

  test('an app channel gets the same cache writes, polling and connection status', async () => {
    const { backend, renderLive } = setupLive()
    backend.socketAt('/api/v1/projects/p1/ontology/lint-ws')
    backend.route('GET', '/api/v1/projects/p1/ontology/lint-status', { status: 200, body: { state: 'idle' } })
    function Lint() {
      const { data, connection } = useLiveQuery(lintChannel, { projectId: 'p1' })
      return <span data-testid="lint">{`${data?.state ?? 'loading'}:${data?.issues ?? ''}:${connection.state}`}</span>
    }
    renderLive(<Lint />)
    await advance()
    expect(text('lint')).toBe('idle::open')
    backend.send('/api/v1/projects/p1/ontology/lint-ws', { type: 'lint_started', project_id: 'p1' })
    await advance(FRAME_MS)
    expect(text('lint')).toBe('running::open')
    backend.route('GET', '/api/v1/projects/p1/ontology/lint-status', { status: 200, body: { state: 'done', issues: 3 } })
    backend.send('/api/v1/projects/p1/ontology/lint-ws', { type: 'lint_complete', project_id: 'p1', issues: 3 })
    await advance()
    expect(text('lint')).toBe('done:3:open')
  })

  test("an app channel's query that failed on auth is read again when the provider gets a new token", async () => {
    const { backend, renderLive } = setupLive()
    backend.socketAt('/api/v1/projects/p1/ontology/lint-ws')
    let accepted = 'other'
    backend.route('GET', '/api/v1/projects/p1/ontology/lint-status', (call) =>
      call.authorization === `Bearer ${accepted}` ? { status: 200, body: { state: 'idle' } } : { status: 401, body: { detail: 'bad token' } },
    )
    function Lint() {
      const { data, error } = useLiveQuery(lintChannel, { projectId: 'p1' })
      return <span data-testid="lint">{data?.state ?? (error ? `error ${error.message.includes('401')}` : 'loading')}</span>
    }
    const view = renderLive(<Lint />)
    await advance()
    expect(text('lint')).toBe('error true')
    accepted = 'fresh-token'
    view.rerenderWith(<Lint />, { accessToken: 'fresh-token' })
    await advance()
    expect(text('lint')).toBe('idle')
  })
})
