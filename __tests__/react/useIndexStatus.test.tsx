// @vitest-environment happy-dom
import { act, cleanup, screen } from '@testing-library/react'
import { describe, expect, test } from 'vitest'
import { liveStatusKeys, useIndexStatus, type IndexStatus } from '../../src'
import { advance, setupLive, TOKEN, useFakeLiveClock , FRAME_MS } from '../helpers/renderWithLive'

useFakeLiveClock()

const SOCKET = '/ws/projects/p1'
const STATUS = '/api/projects/p1/index'

function Index({ projectId = 'p1', branch, onRender }: { projectId?: string; branch?: string; onRender?: (data: IndexStatus | undefined) => void }) {
  const { data, isOutOfSync, reindex, isReindexing, reindexError, connection, error } = useIndexStatus(projectId, { branch })
  onRender?.(data)
  return (
    <div>
      <span data-testid="state">{data?.state ?? 'loading'}</span>
      <span data-testid="count">{data?.entityCount ?? ''}</span>
      <span data-testid="error">{data?.error ?? error?.message ?? ''}</span>
      <span data-testid="stale">{String(isOutOfSync)}</span>
      <span data-testid="connection">{connection.state}</span>
      <span data-testid="reindexing">{String(isReindexing)}</span>
      <span data-testid="reindex-error">{reindexError?.message ?? ''}</span>
      <button onClick={reindex}>Reindex</button>
    </div>
  )
}

const text = (id: string) => screen.getByTestId(id).textContent

describe('useIndexStatus', () => {
  test('REST first (ontology editor vocabulary, bearer token), then live events; completion invalidates once', async () => {
    const { backend, renderLive } = setupLive()
    backend.socketAt(SOCKET)
    let status = { project_id: 'p1', branch: 'main', status: 'ready', entity_count: 10, commit_hash: null, error_message: null, indexed_at: '2026-01-01T00:00:00Z' }
    backend.route('GET', STATUS, () => ({ status: 200, body: status }))
    renderLive(<Index />)
    expect(text('state')).toBe('loading')
    await advance()
    expect(text('state')).toBe('complete')
    expect(text('count')).toBe('10')
    expect(text('connection')).toBe('open')
    expect(backend.calls[0]!.authorization).toBe(`Bearer ${TOKEN}`)

    backend.send(SOCKET, { type: 'index_started', project_id: 'p1', branch: 'main' })
    await advance(FRAME_MS)
    expect(text('state')).toBe('indexing')
    const fetchesBefore = backend.callsTo('GET', STATUS).length
    status = { ...status, entity_count: 1234, indexed_at: '2026-01-02T00:00:00Z' }
    backend.send(SOCKET, { type: 'index_complete', project_id: 'p1', branch: 'main', entity_count: 1234 })
    await advance()
    expect(text('state')).toBe('complete')
    expect(text('count')).toBe('1234')
    expect(backend.callsTo('GET', STATUS).length).toBe(fetchesBefore + 1)
    await advance(60_000)
    // Terminal and connected: no polling.
    expect(backend.callsTo('GET', STATUS).length).toBe(fetchesBefore + 1)
  })

  test('404 means not_indexed, not an error; the socket stays subscribed and index_started arrives', async () => {
    const { backend, renderLive } = setupLive()
    backend.socketAt(SOCKET)
    renderLive(<Index />)
    await advance()
    expect(text('state')).toBe('not_indexed')
    expect(text('error')).toBe('')
    expect(text('connection')).toBe('open')
    backend.send(SOCKET, { type: 'index_started', project_id: 'p1' })
    await advance(FRAME_MS)
    expect(text('state')).toBe('indexing')
    backend.send(SOCKET, { type: 'index_failed', project_id: 'p1', error: 'parser crashed' })
    await advance()
    expect(text('state')).toBe('failed')
    expect(text('error')).toBe('parser crashed')
  })

  test('the REST states pending | indexing | ready | failed map onto the hook shape', async () => {
    for (const [rest, state] of [['pending', 'queued'], ['indexing', 'indexing'], ['ready', 'complete'], ['failed', 'failed']] as const) {
      const { backend, renderLive } = setupLive()
      backend.socketAt(SOCKET)
      backend.route('GET', STATUS, { status: 200, body: { project_id: 'p1', branch: null, status: rest, entity_count: null, error_message: rest === 'failed' ? 'boom' : null, indexed_at: null } })
      renderLive(<Index />)
      await advance()
      expect(text('state')).toBe(state)
      if (rest === 'failed') expect(text('error')).toBe('boom')
      cleanup()
    }
  })

  test('reindex() POSTs with the branch, shows queued at once, and rolls back when the POST fails', async () => {
    const { backend, renderLive, queryClient } = setupLive()
    backend.socketAt(SOCKET)
    backend.route('GET', STATUS, { status: 200, body: { status: 'ready', entity_count: 5, indexed_at: '2026-01-01T00:00:00Z' } })
    let answer = { status: 202, body: { status: 'accepted', branch: 'dev' } as unknown }
    backend.route('POST', '/api/projects/p1/index/reindex', () => answer)
    renderLive(<Index branch="dev" />)
    await advance()
    expect(text('state')).toBe('complete')
    act(() => screen.getByText('Reindex').click())
    // In the cache at once, before the POST has left.
    expect(queryClient.getQueryData<IndexStatus>(liveStatusKeys.index('p1', 'dev'))?.state).toBe('queued')
    expect(backend.callsTo('POST', '/api/projects/p1/index/reindex')).toHaveLength(0)
    await advance(FRAME_MS)
    expect(text('state')).toBe('queued')
    expect(text('reindexing')).toBe('true')
    await advance()
    const post = backend.callsTo('POST', '/api/projects/p1/index/reindex')
    expect(post).toHaveLength(1)
    expect(post[0]!.query.get('branch')).toBe('dev')
    expect(post[0]!.authorization).toBe(`Bearer ${TOKEN}`)
    // REST still describes the previous run: it must not undo "queued".
    await advance(5000)
    expect(text('state')).toBe('queued')
    backend.send(SOCKET, { type: 'index_started', project_id: 'p1', branch: 'dev' })
    backend.send(SOCKET, { type: 'index_complete', project_id: 'p1', branch: 'dev', entity_count: 6 })
    await advance()
    expect(text('reindexing')).toBe('false')

    answer = { status: 500, body: { detail: 'worker queue full' } }
    act(() => screen.getByText('Reindex').click())
    expect(queryClient.getQueryData<IndexStatus>(liveStatusKeys.index('p1', 'dev'))?.state).toBe('queued')
    await advance()
    expect(text('state')).not.toBe('queued')
    expect(text('reindex-error')).toContain('500')
  })

  test('events for another project or branch never touch this query', async () => {
    const { backend, renderLive, queryClient } = setupLive()
    backend.socketAt(SOCKET)
    backend.route('GET', STATUS, { status: 200, body: { status: 'ready', branch: 'main', entity_count: 5, indexed_at: null } })
    renderLive(<Index branch="main" />)
    await advance()
    backend.send(SOCKET, { type: 'index_started', project_id: 'p2' })
    backend.send(SOCKET, { type: 'index_started', project_id: 'p1', branch: 'feature' })
    await advance()
    expect(text('state')).toBe('complete')
    expect(queryClient.getQueryData(liveStatusKeys.index('p2'))).toBeUndefined()
    backend.send(SOCKET, { type: 'index_started', project_id: 'p1', branch: 'main' })
    await advance(FRAME_MS)
    expect(text('state')).toBe('indexing')
  })

  test('dates arrive as strings and are revived', async () => {
    const { backend, renderLive, queryClient } = setupLive()
    backend.socketAt(SOCKET)
    renderLive(<Index />)
    await advance()
    backend.send(SOCKET, { type: 'index_started', project_id: 'p1', timestamp: '2026-03-04T05:06:07Z' })
    await advance(FRAME_MS)
    const data = queryClient.getQueryData<IndexStatus>(liveStatusKeys.index('p1'))!
    expect(data.updatedAt).toBeInstanceOf(Date)
    expect(data.updatedAt.toISOString()).toBe('2026-03-04T05:06:07.000Z')
  })
})
