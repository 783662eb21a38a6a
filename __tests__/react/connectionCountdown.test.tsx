// @vitest-environment happy-dom
/** <ConnectionStatus>'s countdown never shows more seconds than the backoff left (a race probe, 2026-12-06: "next in 63 s" for a 2 s backoff, computed with the clock of the last mount). */
import { expect, test } from 'vitest'
import { ConnectionStatus, useOperationProgress } from '../../src'
import { advance, setupLive, useFakeLiveClock } from '../helpers/renderWithLive'

useFakeLiveClock()
const SOCKET = '/ws/projects/p1'

test('the first countdown rendered after a drop is not computed with a stale clock', async () => {
  const { backend, renderLive } = setupLive({ reconnect: { maxAttempts: 100, initialDelayMs: 2000, maxDelayMs: 2000 } })
  backend.socketAt(SOCKET)
  backend.route('GET', '/api/operations/op1', { status: 200, body: { id: 'op1', status: 'processing', processed_files: 1, total_files: 10 } })
  const seen: { seconds: number | null; left: number }[] = []
  function Live() {
    useOperationProgress({ operationId: 'op1', projectId: 'p1' })
    return (
      <ConnectionStatus target={{ projectId: 'p1' }}>
        {(view) => {
          if (view.secondsToRetry !== null) seen.push({ seconds: view.secondsToRetry, left: view.secondsToRetry })
          return <span>{view.text}</span>
        }}
      </ConnectionStatus>
    )
  }
  renderLive(<Live />)
  await advance()
  // Connected for a minute: the component's clock state was last set at mount.
  await advance(60_000)
  backend.drop(SOCKET)
  await advance(50)
  // The backoff is 2 s: no countdown may say more than 2 s.
  expect(Math.max(...seen.map((s) => s.seconds!))).toBeLessThanOrEqual(2)
})
