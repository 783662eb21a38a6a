// @vitest-environment happy-dom
/**
 * One React commit per animation frame, whatever `requestAnimationFrame` is: happy-dom's runs its
 * callback after the current task (a `setImmediate`), as do `setTimeout(cb, 0)` polyfills, so a
 * socket delivering one frame per task (as browsers deliver them) got one flush, and one commit, per
 * frame received. Here `requestAnimationFrame` is such a stub on a fake clock: commits are counted
 * against the 16 ms frames that elapsed, never against wall time.
 */
import { act, cleanup } from '@testing-library/react'
import { Profiler } from 'react'
import { afterEach, beforeEach, expect, test, vi } from 'vitest'
import { z } from 'zod'
import { defineChannel, useLiveQuery } from '../../src'
import { advance, FRAME_MS, setupLive } from '../helpers/renderWithLive'

beforeEach(() => {
  // Timers and Date are fake; animation frames are the stub below, not a 16 ms fake timer.
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] })
  vi.stubGlobal('requestAnimationFrame', (callback: (time: number) => void) => setTimeout(() => callback(Date.now()), 0))
  vi.stubGlobal('cancelAnimationFrame', (id: ReturnType<typeof setTimeout>) => clearTimeout(id))
})
afterEach(() => {
  cleanup()
  vi.clearAllTimers()
  vi.useRealTimers()
  vi.unstubAllGlobals()
})

// An app builder's build channel: `batch-update` envelopes, each update folded by `reduce` alone.
const update = z.looseObject({ type: z.string(), step: z.number(), sessionId: z.string().optional() })
type Build = { steps: number; last: number }
const buildChannel = defineChannel<{ projectId: string }, z.infer<typeof update>, Build>({
  name: 'test-build',
  queryKey: ({ projectId }) => ['test-build', projectId],
  socket: (_client, { projectId }) => `/ws?projectId=${projectId}`,
  schema: update,
  reduce: (data, event) => ({ steps: (data?.steps ?? 0) + 1, last: event.step }),
  fetch: async ({ previous }) => previous ?? { steps: 0, last: 0 },
  isActive: () => true,
})
const SOCKET = '/ws?projectId=app1'

async function setup() {
  const { backend, renderLive, queryClient } = setupLive({ batches: { 'batch-update': 'updates' } })
  backend.socketAt(SOCKET)
  let commits = 0
  function Build() {
    const { data } = useLiveQuery(buildChannel, { projectId: 'app1' })
    return <span>{data?.last ?? 0}</span>
  }
  renderLive(
    <Profiler id="build" onRender={() => commits++}>
      <Build />
    </Profiler>,
  )
  await advance()
  const envelope = (step: number) => ({ type: 'batch-update', sessionId: 's1', updates: [{ type: 'build-progress', step }] })
  return {
    commitsSince: (() => {
      const start = commits
      return () => commits - start
    })(),
    send: (step: number) => backend.send(SOCKET, envelope(step)),
    data: () => queryClient.getQueryData<Build>(['test-build', 'app1']),
  }
}

test('200 batch envelopes, one per task, 1 ms apart: at most one commit per 16 ms frame elapsed', async () => {
  const { send, commitsSince, data } = await setup()
  const FRAMES = 200
  await act(async () => {
    for (let step = 1; step <= FRAMES; step++) {
      send(step)
      await vi.advanceTimersByTimeAsync(1)
    }
  })
  await advance(FRAME_MS)
  expect(data()).toEqual({ steps: FRAMES, last: FRAMES })
  // 200 ms of frames, plus the one that writes what the last task left.
  expect(commitsSince()).toBeLessThanOrEqual(Math.ceil(FRAMES / FRAME_MS) + 1)
  expect(commitsSince()).toBeGreaterThan(1)
})

test('the same 200 envelopes in one task: one commit', async () => {
  const { send, commitsSince, data } = await setup()
  await act(async () => {
    for (let step = 1; step <= 200; step++) send(step)
  })
  await advance(FRAME_MS)
  expect(data()).toEqual({ steps: 200, last: 200 })
  expect(commitsSince()).toBe(1)
})
