// @vitest-environment happy-dom
/**
 * Optimistic states of useCancelOperation / useStartOperation against REST answers in flight and
 * newer commands ("taken back only while nothing newer has replaced it"); a race probe of
 * 2026-12-06 found the cancel's two cases broken (the start's held).
 */
import { act, screen } from '@testing-library/react'
import { expect, test } from 'vitest'
import { liveStatusKeys, useCancelOperation, useOperationProgress, useStartOperation, type OperationProgress } from '../../src'
import type { RestAnswer } from '../../src/testing'
import { advance, setupLive, useFakeLiveClock } from '../helpers/renderWithLive'

useFakeLiveClock()
const SOCKET = '/ws/projects/p1'
const STATUS = '/api/operations/op1'
const CANCEL = '/api/operations/op1/cancel'

function Row({ id = 'op1' }: { id?: string }) {
  const { data } = useOperationProgress({ operationId: id, projectId: 'p1' })
  const cancel = useCancelOperation()
  return (
    <div>
      <span data-testid="status">{data ? data.status : 'none'}</span>
      <span data-testid="stage">{data?.stage ?? ''}</span>
      <button onClick={() => cancel.mutate({ operationId: id, projectId: 'p1' })}>Cancel</button>
    </div>
  )
}

const rest = (stage: string, processed: number) => ({ status: 200, body: { id: 'op1', status: 'processing', stage, processed_files: processed, total_files: 10 } })

test('cancel refused while a status fetch is out: the stage ends at the server\'s, not the one of before the cancel', async () => {
  const { backend, renderLive, queryClient } = setupLive()
  backend.socketAt(SOCKET)
  const waiting: ((a: RestAnswer) => void)[] = []
  let slow = false
  backend.route('GET', STATUS, () => (slow ? new Promise<RestAnswer>((r) => waiting.push(r)) : rest('scanning', 1)))
  let answerCancel!: (a: RestAnswer) => void
  backend.route('POST', CANCEL, () => new Promise<RestAnswer>((r) => (answerCancel = r)))
  renderLive(<Row />)
  await advance()
  expect(screen.getByTestId('stage').textContent).toBe('scanning')
  // A refetch leaves (focus, the app's invalidation); the worker moves on to `embedding` meanwhile.
  slow = true
  act(() => void queryClient.invalidateQueries({ queryKey: liveStatusKeys.operation('op1') }))
  await advance()
  expect(waiting).toHaveLength(1)
  act(() => screen.getByText('Cancel').click())
  await advance()
  expect(screen.getByTestId('stage').textContent).toBe('cancelling')
  answerCancel({ status: 409, body: { detail: 'cannot cancel now' } })
  await advance()
  // The status answer says the job is in `embedding`, further along than `scanning`.
  waiting.shift()!(rest('embedding', 6))
  await advance()
  slow = false
  const row = queryClient.getQueryData<OperationProgress>(liveStatusKeys.operation('op1'))!
  expect(row.processedFiles).toBe(6)
  expect(row.stage).toBe('embedding')
})

test('two cancels: the first refused after the second was accepted does not take "cancelling" back', async () => {
  const { backend, renderLive, queryClient } = setupLive()
  backend.socketAt(SOCKET)
  backend.route('GET', STATUS, rest('scanning', 1))
  const answers: ((a: RestAnswer) => void)[] = []
  backend.route('POST', CANCEL, () => new Promise<RestAnswer>((r) => answers.push(r)))
  renderLive(<Row />)
  await advance()
  act(() => screen.getByText('Cancel').click())
  await advance()
  act(() => screen.getByText('Cancel').click())
  await advance()
  expect(answers).toHaveLength(2)
  answers[1]!({ status: 202, body: {} }) // the retry went through: the server is cancelling
  await advance()
  answers[0]!({ status: 503, body: { detail: 'busy' } }) // the first one's late refusal
  await advance()
  expect(queryClient.getQueryData<OperationProgress>(liveStatusKeys.operation('op1'))?.stage).toBe('cancelling')
})

test('a refused start with a proposed id, shown by a mounted row: the row goes away on screen', async () => {
  const { backend, renderLive } = setupLive()
  backend.socketAt(SOCKET)
  backend.route('GET', '/api/operations/opX', { status: 404, body: { detail: 'no such operation' } })
  let answerStart!: (a: RestAnswer) => void
  backend.route('POST', '/api/projects/p1/operations', () => new Promise<RestAnswer>((r) => (answerStart = r)))
  function App() {
    const start = useStartOperation({ projectId: 'p1' })
    return (
      <>
        <button onClick={() => start.mutate({ type: 'index', operationId: 'opX' })}>Start</button>
        <span data-testid="err">{start.error ? 'error' : ''}</span>
        <Row id="opX" />
      </>
    )
  }
  renderLive(<App />)
  await advance()
  expect(screen.getByTestId('status').textContent).toBe('none')
  act(() => screen.getByText('Start').click())
  await advance()
  expect(screen.getByTestId('status').textContent).toBe('pending')
  answerStart({ status: 409, body: { detail: 'id taken' } })
  await advance()
  await advance(10_000)
  expect(screen.getByTestId('err').textContent).toBe('error')
  expect(screen.getByTestId('status').textContent).toBe('none')
})
