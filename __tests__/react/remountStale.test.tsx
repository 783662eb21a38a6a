// @vitest-environment happy-dom
/**
 * Found by a helper's attack probe (2026-12-05): with a `staleTime`, a view that unmounts while its
 * job runs and comes back after the job ended (its socket closed meanwhile, so no one heard the end)
 * showed "processing" for good: the cached data was fresh, so nothing fetched, a new socket is not a
 * reconnect, and the quiet check was only armed by a fetch or a write. A writer that starts on cached
 * data of an active job now arms it: the app's `staleTime` still keeps the mount from refetching, and
 * REST is read once the socket has said nothing of the job for `quietCheckMs`.
 */
import { screen } from '@testing-library/react'
import { expect, test } from 'vitest'
import { useOperationProgress } from '../../src'
import { advance, setupLive, useFakeLiveClock } from '../helpers/renderWithLive'

useFakeLiveClock()
const SOCKET = '/ws/operations/op1'
const STATUS = '/api/operations/op1'

function Operation() {
  const { data, connection } = useOperationProgress('op1')
  return <span data-testid="status">{`${data?.status ?? 'none'} ${connection.state}`}</span>
}

/**
 * Shows the operation while REST says `first`, leaves past the idle close (the socket is gone), sets
 * REST to `then` and mounts the view again; resolves with the GETs made before the remount.
 */
async function leaveAndComeBack(staleTime: number, first: string, then: string) {
  const { backend, renderLive, queryClient } = setupLive()
  queryClient.setDefaultOptions({ queries: { gcTime: Infinity, staleTime } })
  backend.socketAt(SOCKET)
  let status = first
  backend.route('GET', STATUS, () => ({ status: 200, body: { id: 'op1', status, processed_files: 1, total_files: 4 } }))
  const view = renderLive(<Operation />)
  await advance()
  view.rerenderWith(<span />)
  await advance(10_000)
  expect(backend.live()).toBe(0)
  status = then
  const before = backend.callsTo('GET', STATUS).length
  view.rerenderWith(<Operation />)
  await advance(100)
  return { gets: () => backend.callsTo('GET', STATUS).length - before }
}

const shown = () => screen.getByTestId('status').textContent

test('with staleTime 0, a remount after the job ended unseen refetches on mount: the end, one GET', async () => {
  const { gets } = await leaveAndComeBack(0, 'processing', 'completed')
  expect(shown()).toBe('completed open')
  expect(gets()).toBe(1)
})

test('with staleTime 60 s, the mount does not refetch, and the quiet check reads REST 30 s after the socket opened silent: the end (before, "processing" for good)', async () => {
  const { gets } = await leaveAndComeBack(60_000, 'processing', 'completed')
  expect(shown()).toBe('processing open')
  expect(gets()).toBe(0)
  await advance(30_000)
  expect(shown()).toBe('completed open')
  expect(gets()).toBe(1)
})

test('a remount on cached data of a finished job reads nothing more', async () => {
  const { gets } = await leaveAndComeBack(60_000, 'completed', 'completed')
  expect(shown()).toMatch(/^completed/)
  expect(gets()).toBe(0)
  await advance(30_000)
  expect(gets()).toBe(0)
})
