// @vitest-environment happy-dom
/**
 * `useLiveInvalidation` on a socket that also carries other channels' events (the reference
 * server's project socket carries index and operation events): the types listed in `knownTypes`
 * are another channel's, not errors. Before the option, each of them reached `onEventError` as
 * `unknown_type`.
 */
import { useQuery } from '@tanstack/react-query'
import { screen } from '@testing-library/react'
import { useEffect, useState } from 'react'
import { afterEach, expect, test, vi } from 'vitest'
import { z } from 'zod'
import { SocketHub, useLiveInvalidation } from '../../src'
import { advance, setupLive, useFakeLiveClock } from '../helpers/renderWithLive'

useFakeLiveClock()
afterEach(() => vi.restoreAllMocks())

const path = '/ws/projects/p1'

// The app's own entity events, sent on the project socket beside the index and operation events.
const documentEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('document_updated'), document_id: z.string() }),
  z.object({ type: z.literal('document_deleted'), document_id: z.string() }),
])

function Documents({ extraKnown = [] }: { extraKnown?: string[] }) {
  const [tick, setTick] = useState(0)
  // A parent that re-renders often (a clock, a progress bar).
  useEffect(() => {
    const timer = setInterval(() => setTick((n) => n + 1), 100)
    return () => clearInterval(timer)
  }, [])
  useLiveInvalidation({
    socket: path,
    schema: documentEvent,
    // Inline: a new array on every render.
    knownTypes: ['index_started', 'index_complete', 'operation_started', 'operation_progress', ...extraKnown],
    keysFor: (e) => [['document', e.document_id]],
  })
  const doc = useQuery({ queryKey: ['document', 'd1'], queryFn: async () => (await (await fetch('http://backend.test/api/documents/d1')).json()) as { title: string } })
  return (
    <div>
      <span data-testid="title">{doc.data?.title ?? ''}</span>
      <span data-testid="tick">{tick}</span>
    </div>
  )
}

function setup() {
  const onEventError = vi.fn()
  const onCallbackError = vi.fn()
  const live = setupLive({ auth: { type: 'protocol', protocols: (token) => ['bearer', token] }, onEventError, onCallbackError })
  live.backend.socketAt(path)
  let title = 'Draft'
  live.backend.route('GET', '/api/documents/d1', () => ({ status: 200, body: { title } }))
  return { ...live, onEventError, onCallbackError, setTitle: (next: string) => (title = next) }
}

test('knownTypes: another channel’s event the schema refuses is neither reported nor invalidates; an unlisted type is unknown_type; a malformed event of the schema’s own type is schema_mismatch', async () => {
  const { backend, renderLive, onEventError, onCallbackError, setTitle } = setup()
  renderLive(<Documents />)
  await advance()
  expect(screen.getByTestId('title').textContent).toBe('Draft')
  const fetches = () => backend.callsTo('GET', '/api/documents/d1').length
  const before = fetches()

  // Index and operation events on the same socket: another channel's, silently ignored here.
  setTitle('Index events invalidated the document')
  backend.send(path, { type: 'index_started', project_id: 'p1' })
  backend.send(path, { type: 'operation_progress', operation_id: 'op-1', processed_files: 3, total_files: 10 })
  backend.send(path, { type: 'index_complete', project_id: 'p1', document_id: 'd1' })
  await advance(600)
  expect(onEventError).not.toHaveBeenCalled()
  expect(fetches()).toBe(before)
  expect(screen.getByTestId('title').textContent).toBe('Draft')

  // A type nobody listed is still reported as before.
  backend.send(path, { type: 'lint_started', document_id: 'd1' })
  await advance()
  expect(onEventError).toHaveBeenCalledTimes(1)
  expect(onEventError.mock.calls[0]![0]).toMatchObject({ reason: 'unknown_type', message: 'unknown type "lint_started"' })

  // A type the schema takes, malformed: a schema mismatch, whatever knownTypes lists.
  backend.send(path, { type: 'document_updated', document_id: 5 })
  await advance()
  expect(onEventError).toHaveBeenCalledTimes(2)
  expect(onEventError.mock.calls[1]![0]).toMatchObject({ reason: 'schema_mismatch', message: expect.stringContaining('document_id') })
  expect(fetches()).toBe(before)

  // A valid event still invalidates.
  setTitle('Final')
  backend.send(path, { type: 'document_updated', document_id: 'd1' })
  await advance()
  expect(fetches()).toBe(before + 1)
  expect(screen.getByTestId('title').textContent).toBe('Final')
  expect(onEventError).toHaveBeenCalledTimes(2)
  expect(onCallbackError).not.toHaveBeenCalled()
})

test('knownTypes written inline: re-renders do not re-subscribe, and the latest render’s list is the one read', async () => {
  const acquire = vi.spyOn(SocketHub.prototype, 'acquire')
  const { backend, renderLive, onEventError } = setup()
  const view = renderLive(<Documents />)
  await advance()
  const acquired = acquire.mock.calls.filter(([url]) => url.endsWith(path)).length
  // The invalidation subscription (the document query itself is no live query).
  expect(acquired).toBe(1)
  // Ten re-renders, each with a new knownTypes array.
  for (let i = 0; i < 10; i++) await advance(100)
  expect(Number(screen.getByTestId('tick').textContent)).toBeGreaterThanOrEqual(10)
  backend.send(path, { type: 'operation_started', operation_id: 'op-2' })
  await advance()
  expect(onEventError).not.toHaveBeenCalled()

  // A list that changes between renders: read from the latest render, without a new subscription.
  view.rerenderWith(<Documents extraKnown={['lint_started']} />)
  await advance()
  backend.send(path, { type: 'lint_started', document_id: 'd1' })
  await advance()
  expect(onEventError).not.toHaveBeenCalled()
  expect(acquire.mock.calls.filter(([url]) => url.endsWith(path))).toHaveLength(acquired)
  expect(backend.created).toHaveLength(1)
})
