// @vitest-environment happy-dom
/**
 * Issue #21, item 2, through the hook: the document indexer's APPEND (parallel path) and
 * REMOVE_SOURCE frames, as its worker sends them, on the operation's own socket. The percent on
 * screen rises before the end and never falls; the event types the channel does not know
 * (`collection_stats`) are reported and do not stall it.
 */
import { screen } from '@testing-library/react'
import { describe, expect, test, vi } from 'vitest'
import { useOperationProgress } from '../../src'
import { appendFrames, OP, removeSourceFrames } from '../core/indexerFrames'
import { advance, FRAME_MS, setupLive, useFakeLiveClock } from '../helpers/renderWithLive'
import { documentIndexer } from '../../src/dialects/documentIndexer'

useFakeLiveClock()

const endpoints = {
  operationSocket: (id: string) => `/ws/operations/${id}`,
  operationStatus: (id: string) => `/api/v2/operations/${id}`,
}
const SOCKET = `/ws/operations/${OP}`
const STATUS = `/api/v2/operations/${OP}`

function Operation() {
  const { data } = useOperationProgress(OP)
  return (
    <div>
      <span data-testid="status">{data?.status ?? 'loading'}</span>
      <span data-testid="percent">{data ? String(data.percent) : ''}</span>
    </div>
  )
}
const text = (id: string) => screen.getByTestId(id).textContent

describe('useOperationProgress against the document indexer’s worker frames (issue #21, item 2)', () => {
  test.each([
    ['append', appendFrames],
    ['remove_source', removeSourceFrames],
  ])('%s: the percent on screen moves before the end and never goes back', async (type, frames) => {
    const onEventError = vi.fn()
    const { backend, renderLive } = setupLive({ endpoints, onEventError, dialect: documentIndexer })
    backend.socketAt(SOCKET)
    let status = 'processing'
    backend.route('GET', STATUS, () => ({ status: 200, body: { id: OP, collection_id: 'c1', type, status, config: {}, error_message: null, created_at: '2026-01-21T10:00:00Z' } }))
    renderLive(<Operation />)
    await advance()
    const shown: number[] = []
    for (const frame of frames) {
      if (frame.type === 'operation_completed') status = 'completed'
      backend.send(SOCKET, frame)
      await advance(FRAME_MS)
      if (text('status') === 'processing') shown.push(Number(text('percent')))
    }
    await advance()
    for (let i = 1; i < shown.length; i++) expect(shown[i]!).toBeGreaterThanOrEqual(shown[i - 1]!)
    expect(shown.some((p, i) => i > 0 && p > shown[i - 1]!)).toBe(true)
    expect(Math.max(...shown)).toBeGreaterThanOrEqual(80)
    expect(text('status')).toBe('completed')
    expect(text('percent')).toBe('100')
    if (type === 'append') expect(onEventError.mock.calls.map(([error]) => error.reason)).toEqual(['unknown_type'])
  })
})
