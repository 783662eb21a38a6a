// @vitest-environment happy-dom
// A bare `SocketHub` runs no keep-alive unless given `keepAlive()` (so that it bundles none); the
// provider gives one by default, so a page's sockets are pinged and a silent one is dropped, as
// before.
import { useQuery } from '@tanstack/react-query'
import { screen } from '@testing-library/react'
import { expect, test } from 'vitest'
import { z } from 'zod'
import { defineChannel, useLiveSubscription } from '../../src'
import { createMockBackend } from '../helpers/mockBackend'
import { advance, setupLive, useFakeLiveClock } from '../helpers/renderWithLive'

useFakeLiveClock()

const SOCKET = '/ws/jobs/j1'
const channel = defineChannel<{ id: string }, { type: 'line'; text: string }, string[]>({
  name: 'job-lines',
  queryKey: ({ id }) => ['job-lines', id],
  socket: (_client, { id }) => `/ws/jobs/${id}`,
  schema: z.object({ type: z.literal('line'), text: z.string() }),
  reduce: (lines = [], e) => [...lines, e.text],
  fetch: async () => [],
  isActive: () => true,
})

function View() {
  useQuery({ queryKey: ['job-lines', 'j1'], queryFn: async () => [] as string[] })
  const { connection } = useLiveSubscription(channel, { id: 'j1' })
  return <span data-testid="state">{connection.state}</span>
}

test('the provider pings by default: a ping after 25 s of silence, and a server that answers nothing is dropped at 35 s', async () => {
  // Pings unanswered: only the keep-alive can tell this server is gone.
  const { backend, renderLive } = setupLive({}, createMockBackend({ answerPings: false }))
  backend.socketAt(SOCKET)
  renderLive(<View />)
  await advance()
  expect(screen.getByTestId('state').textContent).toBe('open')
  await advance(25_000)
  expect(backend.received(SOCKET)).toEqual([{ type: 'ping' }])
  await advance(10_000)
  expect(screen.getByTestId('state').textContent).toBe('reconnecting')
})

test('heartbeat={false} turns it off', async () => {
  const { backend, renderLive } = setupLive({ heartbeat: false }, createMockBackend({ answerPings: false }))
  backend.socketAt(SOCKET)
  renderLive(<View />)
  await advance(600_000)
  expect(backend.received(SOCKET)).toEqual([])
  expect(screen.getByTestId('state').textContent).toBe('open')
})
