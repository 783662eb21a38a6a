// @vitest-environment happy-dom
import { act, fireEvent, screen } from '@testing-library/react'
import { describe, expect, test, vi } from 'vitest'
import { useOperationProgress } from '../../src'
import { LiveStatusDevtools, LiveStatusProfiler } from '../../src/devtools'
import { advance, setupLive, useFakeLiveClock } from '../helpers/renderWithLive'

useFakeLiveClock()

const SOCKET = '/ws/projects/p1'

function Progress({ id }: { id: string }) {
  const { data } = useOperationProgress({ operationId: id, projectId: 'p1' })
  return <p>{`${id}: ${data?.processedFiles ?? '–'}`}</p>
}

function App() {
  return (
    <>
      <LiveStatusProfiler>
        <Progress id="op1" />
        <Progress id="op1" />
        <Progress id="op2" />
      </LiveStatusProfiler>
      <LiveStatusDevtools initialIsOpen sampleIntervalMs={1000} />
    </>
  )
}

const panel = () => screen.getByRole('region', { name: 'live-status devtools' })
const row = () => panel().querySelector('tbody tr') as HTMLElement

describe('live-status/devtools', () => {
  test('one shared socket for three components, rates per second, drops by reason, and a log of transitions', async () => {
    const { backend, renderLive } = setupLive({ reconnect: { maxAttempts: 5, initialDelayMs: 60_000 } })
    backend.socketAt(SOCKET)
    for (const id of ['op1', 'op2']) backend.route('GET', `/api/operations/${id}`, { status: 200, body: { id, status: 'processing', processed_files: 0, total_files: 10 } })
    renderLive(<App />)
    await advance()
    await advance(1000)

    expect(row().dataset.state).toBe('open')
    expect(row().textContent).toContain('ws://')
    expect(row().textContent).toContain('3 components')
    expect(row().textContent).toContain('2 queries')

    // 10 frames of 2 events each in one second.
    for (let i = 1; i <= 10; i++) {
      backend.send(SOCKET, { type: 'batch', events: [
        { type: 'file_completed', operation_id: 'op1', processed_files: i, total_files: 10 },
        { type: 'file_completed', operation_id: 'op2', processed_files: i, total_files: 10 },
      ] })
      await advance(50)
    }
    backend.send(SOCKET, '{not json')
    backend.send(SOCKET, '[1,2]')
    await advance(500)
    await advance(1000 - 520)
    const cells = [...row().querySelectorAll('td')].map((td) => td.textContent)
    expect(cells[3]).toBe('12') // frames/s: 10 batches + 2 unreadable frames
    expect(Number(cells[4])).toBe(20) // events/s
    expect(row().textContent).toContain('invalid_json 1')
    expect(row().textContent).toContain('not_an_object 1')
    const text = panel().textContent ?? ''
    expect(text).toMatch(/events written \/ s\s*20/)
    // Two queries, each written at most once per frame: far fewer writes than events.
    const writes = Number(/cache writes \/ s\s*(\d+)/.exec(text)?.[1])
    expect(writes).toBeGreaterThan(0)
    expect(writes).toBeLessThanOrEqual(20)
    expect(text).toMatch(/React commits \/ s\s*\d+/)
    expect(screen.getAllByText('op1: 10')).toHaveLength(2)

    backend.closeClients(SOCKET, 1006)
    backend.drop(SOCKET)
    await advance(10)
    expect(row().dataset.state).toBe('reconnecting')
    const log = screen.getByRole('list', { name: 'live-status log' }).textContent ?? ''
    expect(log).toContain('/ws/projects/p1: open → reconnecting (1006)')
    expect(log).toContain('dropped 1 (invalid_json)')
  })

  test('collapsed by default; costs nothing once unmounted (its sampler stops)', async () => {
    const { backend, renderLive } = setupLive()
    backend.socketAt(SOCKET)
    backend.route('GET', '/api/operations/op1', { status: 200, body: { id: 'op1', status: 'processing' } })
    const view = renderLive(<Progress id="op1" />)
    await advance()
    const baseline = vi.getTimerCount()
    view.rerenderWith(<><Progress id="op1" /><LiveStatusDevtools /></>)
    await advance()
    expect(vi.getTimerCount()).toBe(baseline + 1)
    const button = screen.getByRole('button', { name: /live-status · 1\/1 socket/ })
    expect(button.getAttribute('aria-expanded')).toBe('false')
    expect(screen.queryByRole('region', { name: 'live-status devtools' })).toBeNull()
    act(() => {
      fireEvent.click(button)
    })
    expect(panel()).toBeTruthy()
    view.rerenderWith(<Progress id="op1" />)
    await advance()
    expect(vi.getTimerCount()).toBe(baseline)
  })
})
