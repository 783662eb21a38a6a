// @vitest-environment happy-dom
// 'signed-out' before the first token, and the socket gate, are per endpoint: one whose
// `endpointOptions` say `auth: { type: 'none' }` (the transcriber dialect's per-transcript socket)
// needs no token, opens before sign-in and is not reported as waiting for it (a review found
// both taken from the hub-wide `auth`).
import { useQuery } from '@tanstack/react-query'
import { screen } from '@testing-library/react'
import { expect, test } from 'vitest'
import { z } from 'zod'
import { defineChannel, useLiveSubscription } from '../../src'
import { advance, setupLive, useFakeLiveClock } from '../helpers/renderWithLive'

useFakeLiveClock()

const SOCKET = '/v1/transcripts/t1/events'
const channel = defineChannel<{ id: string }, { type: 'line'; text: string }, string[]>({
  name: 'public-transcript',
  queryKey: ({ id }) => ['public-transcript', id],
  socket: (_client, { id }) => `/v1/transcripts/${id}/events`,
  schema: z.object({ type: z.literal('line'), text: z.string() }),
  reduce: (lines = [], e) => [...lines, e.text],
  fetch: async () => [],
  isActive: () => true,
})

function View() {
  // The app runs its own query (a public transcript needs no token) and adds the live part.
  useQuery({ queryKey: ['public-transcript', 't1'], queryFn: async () => [] as string[] })
  const { connection } = useLiveSubscription(channel, { id: 't1' })
  return <span data-testid="state">{connection.state}</span>
}

test('an endpoint with auth none is opened before sign-in and is not reported signed-out', async () => {
  const { backend, renderLive } = setupLive({
    accessToken: undefined,
    auth: { type: 'query' },
    endpointOptions: (url) => (url.includes('/v1/transcripts/') ? { auth: { type: 'none' } } : undefined),
  })
  backend.socketAt(SOCKET)
  renderLive(<View />)
  await advance(1000)
  expect({ state: screen.getByTestId('state').textContent, sockets: backend.created.length }).toEqual({ state: 'open', sockets: 1 })
})
