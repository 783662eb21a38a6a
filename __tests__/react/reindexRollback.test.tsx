// @vitest-environment happy-dom
/**
 * A failed reindex's rollback (a race probe, 2026-12-06): with a status fetch in flight, the
 * journal re-applied "queued" onto its late answer for good; a refusal that came after another
 * reindex was accepted took that one's "queued" back.
 */
import { act, screen } from '@testing-library/react'
import { expect, test } from 'vitest'
import { liveStatusKeys, useIndexStatus, type IndexStatus } from '../../src'
import type { RestAnswer } from '../../src/testing'
import { advance, setupLive, useFakeLiveClock } from '../helpers/renderWithLive'

useFakeLiveClock()
const SOCKET = '/ws/projects/p1'
const STATUS = '/api/projects/p1/index'
const READY = { status: 200, body: { status: 'ready', entity_count: 5, indexed_at: '2026-01-01T00:00:00Z' } }

function Index() {
  const { data, reindex, isReindexing, reindexError } = useIndexStatus('p1')
  return (
    <div>
      <span data-testid="state">{data?.state ?? 'loading'}</span>
      <span data-testid="reindexing">{String(isReindexing)}</span>
      <span data-testid="err">{reindexError?.message ?? ''}</span>
      <button onClick={reindex}>Reindex</button>
    </div>
  )
}

test('a failed reindex is rolled back even when a status fetch was in flight', async () => {
  const { backend, renderLive, queryClient } = setupLive()
  backend.socketAt(SOCKET)
  const waiting: ((a: RestAnswer) => void)[] = []
  let slow = false
  backend.route('GET', STATUS, () => (slow ? new Promise<RestAnswer>((r) => waiting.push(r)) : READY))
  let failPost!: (a: RestAnswer) => void
  backend.route('POST', '/api/projects/p1/index/reindex', () => new Promise<RestAnswer>((r) => (failPost = r)))
  renderLive(<Index />)
  await advance()
  expect(screen.getByTestId('state').textContent).toBe('complete')
  // A status refetch goes out (focus, invalidation by the app…) and is slow.
  slow = true
  act(() => void queryClient.invalidateQueries({ queryKey: liveStatusKeys.index('p1') }))
  await advance()
  expect(waiting).toHaveLength(1)
  act(() => screen.getByText('Reindex').click())
  await advance()
  failPost({ status: 500, body: { detail: 'worker queue full' } })
  await advance()
  expect(screen.getByTestId('err').textContent).toContain('500')
  expect(queryClient.getQueryData<IndexStatus>(liveStatusKeys.index('p1'))?.state).toBe('complete')
  // The status request that was out answers with the server's truth: nothing was queued.
  waiting.shift()!(READY)
  await advance()
  slow = false
  expect(screen.getByTestId('state').textContent).toBe('complete')
  expect(screen.getByTestId('reindexing').textContent).toBe('false')
  // …and stays so after the quiet check and polling periods.
  await advance(65_000)
  expect(screen.getByTestId('state').textContent).toBe('complete')
})

test('two reindexes: the first refused after the second was accepted does not take "queued" back', async () => {
  const { backend, renderLive, queryClient } = setupLive()
  backend.socketAt(SOCKET)
  backend.route('GET', STATUS, READY)
  const answers: ((a: RestAnswer) => void)[] = []
  backend.route('POST', '/api/projects/p1/index/reindex', () => new Promise<RestAnswer>((r) => answers.push(r)))
  renderLive(<Index />)
  await advance()
  act(() => screen.getByText('Reindex').click())
  await advance()
  act(() => screen.getByText('Reindex').click())
  await advance()
  expect(answers).toHaveLength(2)
  answers[1]!({ status: 202, body: { status: 'accepted' } }) // the second went through: a run is queued
  await advance()
  answers[0]!({ status: 503, body: { detail: 'busy' } }) // the first one's late refusal
  await advance()
  expect(queryClient.getQueryData<IndexStatus>(liveStatusKeys.index('p1'))?.state).toBe('queued')
})
