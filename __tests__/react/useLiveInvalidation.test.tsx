// @vitest-environment happy-dom
import { useQuery } from '@tanstack/react-query'
import { screen } from '@testing-library/react'
import { expect, test, vi } from 'vitest'
import { z } from 'zod'
import { useLiveInvalidation } from '../../src'
import { advance, setupLive, TOKEN, useFakeLiveClock } from '../helpers/renderWithLive'

useFakeLiveClock()

// The meeting transcriber: `{ event, data: { id } }` on /v1/events, bearer subprotocol.
const transcriberEvent = z.object({
  event: z.enum(['TRANSCRIPT_CREATED', 'TRANSCRIPT_DELETED', 'TRANSCRIPT_STATUS', 'TRANSCRIPT_FINAL_TITLE', 'TRANSCRIPT_DURATION']),
  data: z.looseObject({ id: z.string() }),
})

function Transcripts() {
  useLiveInvalidation({
    socket: '/v1/events',
    schema: transcriberEvent,
    discriminator: 'event',
    keysFor: (e) => [['transcripts'], ['transcript', e.data.id]],
    resyncKeys: [['transcripts']],
  })
  const list = useQuery({ queryKey: ['transcripts'], queryFn: async () => (await (await fetch('http://backend.test/v1/transcripts')).json()) as string[] })
  const one = useQuery({ queryKey: ['transcript', 't1'], queryFn: async () => (await (await fetch('http://backend.test/v1/transcripts/t1')).json()) as { title: string } })
  return (
    <div>
      <span data-testid="list">{list.data?.join(',') ?? ''}</span>
      <span data-testid="title">{one.data?.title ?? ''}</span>
    </div>
  )
}

test('entity events invalidate the keys they name: once at the first event, once more after the last of a burst', async () => {
  const onEventError = vi.fn()
  const { backend, renderLive } = setupLive({ auth: { type: 'protocol', protocols: (t) => ['bearer', t] }, onEventError })
  const socket = backend.socketAt('/v1/events')
  let list = ['t1']
  let title = 'Untitled'
  backend.route('GET', '/v1/transcripts', () => ({ status: 200, body: list }))
  backend.route('GET', '/v1/transcripts/t1', () => ({ status: 200, body: { title } }))
  renderLive(<Transcripts />)
  await advance()
  expect(screen.getByTestId('list').textContent).toBe('t1')
  expect(backend.created[0]!.protocols).toEqual(['bearer', TOKEN])
  expect(socket.clients).toHaveLength(1)

  list = ['t1', 't2']
  title = 'Weekly sync'
  const listCalls = backend.callsTo('GET', '/v1/transcripts').length
  const oneCalls = backend.callsTo('GET', '/v1/transcripts/t1').length
  backend.send('/v1/events', { event: 'TRANSCRIPT_CREATED', data: { id: 't2' } })
  backend.send('/v1/events', { event: 'TRANSCRIPT_FINAL_TITLE', data: { id: 't1', title: 'Weekly sync' } })
  backend.send('/v1/events', { event: 'TRANSCRIPT_STATUS', data: { id: 't1', value: 'ended' } })
  backend.send('/v1/events', { event: 'WAVEFORM_READY', data: { id: 't1' } })
  await advance()
  expect(screen.getByTestId('list').textContent).toBe('t1,t2')
  expect(screen.getByTestId('title').textContent).toBe('Weekly sync')
  expect(backend.callsTo('GET', '/v1/transcripts').length).toBe(listCalls + 1)
  expect(backend.callsTo('GET', '/v1/transcripts/t1').length).toBe(oneCalls + 1)
  expect(onEventError).toHaveBeenCalledTimes(1)
  expect(onEventError.mock.calls[0]![0]).toMatchObject({ reason: 'unknown_type', message: 'unknown event "WAVEFORM_READY"' })
  // More events came after those refetches had started: one more each when the window closes.
  await advance(600)
  expect(backend.callsTo('GET', '/v1/transcripts').length).toBe(listCalls + 2)
  expect(backend.callsTo('GET', '/v1/transcripts/t1').length).toBe(oneCalls + 2)

  // After a reconnect, the resync keys are refetched (events may have been missed).
  backend.closeClients('/v1/events', 1012)
  await advance(1100)
  expect(backend.callsTo('GET', '/v1/transcripts').length).toBe(listCalls + 3)
})

test('4401 from the transcriber: unauthorized, no retries', async () => {
  const onAuthError = vi.fn()
  const { backend, renderLive } = setupLive({ auth: { type: 'protocol', protocols: (t) => ['bearer', t] }, onAuthError })
  backend.socketAt('/v1/events')
  backend.route('GET', '/v1/transcripts', { status: 200, body: [] })
  backend.route('GET', '/v1/transcripts/t1', { status: 200, body: { title: '' } })
  renderLive(<Transcripts />)
  await advance()
  backend.closeClients('/v1/events', 4401, 'unauthorized')
  await advance(600_000)
  expect(backend.created).toHaveLength(1)
  expect(onAuthError).toHaveBeenCalledTimes(1)
})

test("a socket of '' (an unset environment variable) opens nothing: no socket at the server's root", async () => {
  const { backend, renderLive } = setupLive({ auth: { type: 'protocol', protocols: (t) => ['bearer', t] } })
  backend.route('GET', '/v1/transcripts', () => ({ status: 200, body: ['t1'] }))
  backend.route('GET', '/v1/transcripts/t1', () => ({ status: 200, body: { title: 'x' } }))
  function Unset() {
    useLiveInvalidation({ socket: '', schema: transcriberEvent, discriminator: 'event', keysFor: (e) => [['transcript', e.data.id]] })
    return null
  }
  renderLive(<Unset />)
  await advance()
  expect(backend.created).toHaveLength(0)
})

test('an entity created between the list answer and the socket opening shows: the resync keys are read on the first open too', async () => {
  // The transcriber's user socket replays nothing: what happened before it opened is only in REST.
  const { backend, renderLive } = setupLive({ auth: { type: 'protocol', protocols: (t) => ['bearer', t] } })
  backend.socketAt('/v1/events')
  let list = ['t1']
  backend.route('GET', '/v1/transcripts', () => {
    const body = list
    // Created right after this answer, before the socket opened: no event will say so.
    list = ['t1', 't2']
    return { status: 200, body }
  })
  backend.route('GET', '/v1/transcripts/t1', { status: 200, body: { title: '' } })
  renderLive(<Transcripts />)
  await advance()
  // Before: 't1' until the next event about any transcript.
  expect(screen.getByTestId('list').textContent).toBe('t1,t2')
})
