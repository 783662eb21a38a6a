// @vitest-environment happy-dom
import { act, screen } from '@testing-library/react'
import { Profiler } from 'react'
import { describe, expect, test, vi } from 'vitest'
import { ConnectionStatus, connectionStatusStyle, useConnectionStatus, useIndexStatus, useOperationProgress } from '../../src'
import { watchForUndefined } from '../helpers/noUndefinedText'
import { advance, setupLive, useFakeLiveClock } from '../helpers/renderWithLive'

useFakeLiveClock()

const SOCKET = '/ws/projects/p1'

function Page({ styled = false }: { styled?: boolean }) {
  useOperationProgress('op1', { projectId: 'p1' })
  return <ConnectionStatus target={{ projectId: 'p1' }} style={styled ? connectionStatusStyle : undefined} />
}

const status = () => screen.getByRole('status')

describe('<ConnectionStatus>', () => {
  test('"updating every N s" only while something polls: a job that ends while the socket is down stops it', async () => {
    const { backend, renderLive } = setupLive({ reconnect: { maxAttempts: 100, initialDelayMs: 60_000 } })
    backend.socketAt(SOCKET)
    let status_ = 'processing'
    backend.route('GET', '/api/operations/op1', () => ({ status: 200, body: { id: 'op1', status: status_ } }))
    renderLive(<Page />)
    await advance()
    backend.closeClients(SOCKET, 1006)
    backend.drop(SOCKET)
    await advance()
    await advance(5100)
    expect(status().textContent).toBe('Offline — updating every 5 s')
    // The job ends; the next poll says so, and nothing polls after it.
    status_ = 'completed'
    await advance(5100)
    expect(status().dataset.state).not.toBe('polling')
    expect(status().textContent).not.toContain('updating every')
  })

  test('hidden while connected; reconnecting with attempt and countdown; polling; Disconnected with Retry; back', async () => {
    const { backend, renderLive } = setupLive({ reconnect: { maxAttempts: 2, initialDelayMs: 4000 } })
    backend.socketAt(SOCKET)
    backend.route('GET', '/api/operations/op1', { status: 200, body: { id: 'op1', status: 'processing' } })
    // In no state does it show or name anything "undefined".
    const watch = watchForUndefined(document.body)
    renderLive(<Page />)
    await advance()
    expect(status().dataset.state).toBe('connected')
    expect(status().textContent).toBe('')
    expect(status().getAttribute('aria-live')).toBe('polite')

    backend.closeClients(SOCKET, 1006)
    backend.drop(SOCKET)
    await advance(4)
    expect(status().dataset.state).toBe('reconnecting')
    expect(status().textContent).toBe('Reconnecting… (attempt 1, next in 4 s)')
    await advance(1000)
    expect(status().textContent).toBe('Reconnecting… (attempt 1, next in 3 s)')
    // The first successful poll while down: polling covers for the socket.
    await advance(4000)
    expect(status().dataset.state).toBe('polling')
    expect(status().textContent).toBe('Offline — updating every 5 s')
    await advance(20_000)
    expect(status().dataset.state).toBe('closed')
    expect(status().textContent).toBe('DisconnectedRetry')

    backend.socketAt(SOCKET)
    act(() => screen.getByRole('button', { name: 'Retry' }).click())
    await advance()
    expect(status().dataset.state).toBe('connected')
    expect(status().textContent).toBe('')
    watch.stop()
    expect(watch.seen).toEqual([])
  })

  test('Sign-in required when the token is refused; the built-in style is opt-in (connectionStatusStyle); a render prop draws its own', async () => {
    const { backend, renderLive } = setupLive()
    backend.socketAt(SOCKET)
    backend.route('GET', '/api/operations/op1', { status: 200, body: { id: 'op1', status: 'processing' } })
    const view = renderLive(<Page />)
    await advance()
    expect(status().getAttribute('style')).toBeNull()
    backend.closeClients(SOCKET, 4403)
    await advance()
    expect(status().dataset.state).toBe('unauthorized')
    expect(status().textContent).toBe('Sign-in required')
    view.rerenderWith(<Page styled />)
    expect(status().getAttribute('style')).toContain('border-radius')
    view.rerenderWith(
      <ConnectionStatus target={{ projectId: 'p1' }}>{(v) => <em>{`custom:${v.state}`}</em>}</ConnectionStatus>,
    )
    expect(status().textContent).toBe('custom:unauthorized')
  })

  test('"Offline" when the browser is offline', async () => {
    const { backend, renderLive, online } = setupLive()
    backend.socketAt(SOCKET)
    backend.route('GET', '/api/operations/op1', { status: 200, body: { id: 'op1', status: 'completed' } })
    renderLive(<Page />)
    await advance()
    act(() => online.set(false))
    backend.closeClients(SOCKET, 1006)
    await advance()
    expect(status().dataset.state).toBe('offline')
    expect(status().textContent).toBe('Offline')
  })
})

describe('useConnectionStatus', () => {
  test('no render when nothing in the status changed, however many events flow', async () => {
    const { backend, renderLive } = setupLive()
    backend.socketAt(SOCKET)
    backend.route('GET', '/api/projects/p1/index', { status: 200, body: { status: 'ready' } })
    let statusRenders = 0
    function Indicator() {
      const { state } = useConnectionStatus({ projectId: 'p1' })
      return <span data-testid="s">{state}</span>
    }
    function Data() {
      useIndexStatus('p1')
      return null
    }
    renderLive(
      <>
        <Data />
        <Profiler id="indicator" onRender={() => statusRenders++}>
          <Indicator />
        </Profiler>
      </>,
    )
    await advance()
    expect(screen.getByTestId('s').textContent).toBe('open')
    const before = statusRenders
    for (let i = 0; i < 50; i++) {
      backend.send(SOCKET, { type: i % 2 ? 'index_started' : 'index_complete', project_id: 'p1' })
      await advance(100)
    }
    expect(statusRenders).toBe(before)
  })

  test('watching does not open a socket by itself', async () => {
    const { backend, renderLive } = setupLive()
    backend.socketAt(SOCKET)
    function Indicator() {
      const { state } = useConnectionStatus({ projectId: 'p1' })
      return <span data-testid="s">{state}</span>
    }
    renderLive(<Indicator />)
    await advance(5000)
    expect(screen.getByTestId('s').textContent).toBe('idle')
    expect(backend.created).toHaveLength(0)
  })

  test('the 0.2 prop `styled` (passed from JavaScript) says once what replaced it, in development', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const { renderLive } = setupLive()
    const Untyped = ConnectionStatus as unknown as (props: Record<string, unknown>) => ReturnType<typeof ConnectionStatus>
    renderLive(
      <>
        <Untyped target={{ projectId: 'p1' }} styled />
        <Untyped target={{ projectId: 'p1' }} styled />
      </>,
    )
    await advance()
    const said = warn.mock.calls.map((call) => String(call[0])).filter((text) => text.includes('styled'))
    expect(said).toHaveLength(1)
    expect(said[0]).toContain('style={connectionStatusStyle}')
    warn.mockRestore()
  })
})
