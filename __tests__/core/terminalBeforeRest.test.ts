/**
 * Issue #21, item 4: a job that ends on the socket before REST knows it. The backend announces
 * success on the socket a moment before its REST history holds the result: the one refetch at
 * completion read the old answer and the final data was never read. The cache writer now asks
 * REST again, with backoff, until REST itself shows the job ended (at most a bounded number of
 * times), and the cache keeps the socket's terminal state meanwhile.
 *
 * The mock REST answers "processing" (the old counts) for the first k requests made after the
 * terminal event, then "completed" with the final counts. Fake timers; fast-check picks k and
 * whether late frames follow the end.
 */
import fc from 'fast-check'
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import { REST_AGREE_MAX_TRIES } from '../../src/sync/liveQuerySync'
import { createOperationWorld } from './operationWorld'

const SEED = Number(process.env.MODEL_SEED ?? 20260421)
const RUNS = Number(process.env.MODEL_RUNS ?? 60)

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] })
  vi.setSystemTime(new Date('2026-04-21T12:00:00Z'))
})
afterEach(() => {
  vi.clearAllTimers()
  vi.useRealTimers()
})

const FINAL = { status: 'completed', processed_files: 38, failed_files: 2, total_files: 40, completed_at: '2026-04-21T12:00:09Z' }

/** A job that ends on the socket; REST lags by `lag` requests (Infinity: never catches up). */
async function lagging(lag: number, options: { lateFrame?: boolean } = {}) {
  const server = { ended: false, askedSinceEnd: 0, askedAt: [] as number[] }
  const world = await createOperationWorld(() => {
    if (server.ended) server.askedAt.push(Date.now())
    if (!server.ended) return { status: 200, body: { id: 'op1', type: 'append', status: 'processing', processed_files: 10, total_files: 40 } }
    const answer = server.askedSinceEnd++ < lag ? { status: 'processing', processed_files: 10, total_files: 40 } : FINAL
    return { status: 200, body: { id: 'op1', type: 'append', ...answer } }
  })
  await world.settle({ rounds: 2 })
  world.publish({ type: 'processing_progress', data: { processed: 20, failed: 0, total: 40, operation_id: 'op1' } })
  await world.settle({ rounds: 1 })
  const before = world.fetches()
  server.ended = true
  world.publish({ type: 'operation_completed', data: { status: 'completed', operation_id: 'op1' } })
  if (options.lateFrame) world.publish({ type: 'processing_progress', data: { processed: 21, failed: 0, total: 40, operation_id: 'op1' } })
  // Ten minutes of fake time, every request answered as it comes.
  await world.settle({ rounds: 600, ms: 1000, untilIdle: false })
  return { world, fetchesAfterEnd: world.fetches() - before, askedAt: server.askedAt }
}

function expectStaysCompleted(history: { status: string }[]) {
  const first = history.findIndex((data) => data.status === 'completed')
  expect(first).toBeGreaterThanOrEqual(0)
  for (const data of history.slice(first)) expect(data.status).toBe('completed')
}

describe('the socket ends a job before REST knows it (issue #21, item 4)', () => {
  test(`REST lagging k answers behind: asked again with backoff until it agrees, then its final data is in the cache (${RUNS} cases)`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: REST_AGREE_MAX_TRIES }), fc.boolean(), async (lag, lateFrame) => {
        const { world, fetchesAfterEnd } = await lagging(lag, { lateFrame })
        try {
          // The refetch at completion, then one per lagging answer; none once REST agreed.
          expect(fetchesAfterEnd).toBe(lag + 1)
          expect(world.data()).toMatchObject({ status: 'completed', percent: 100, processedFiles: 38, failedFiles: 2, totalFiles: 40 })
          expect(world.data()!.serverUpdatedAt?.toISOString()).toBe('2026-04-21T12:00:09.000Z')
          expectStaysCompleted(world.history)
        } finally {
          world.dispose()
        }
      }),
      { seed: SEED, numRuns: RUNS },
    )
  }, 120_000)

  test('REST that never agrees is asked a bounded number of times, further and further apart; the cache keeps the socket’s end', async () => {
    const { world, fetchesAfterEnd, askedAt } = await lagging(Infinity)
    try {
      expect(fetchesAfterEnd).toBe(1 + REST_AGREE_MAX_TRIES)
      // Backoff (fake clock): each gap at least as long as the one before, the last longer than the first.
      const gaps = askedAt.slice(1).map((t, i) => t - askedAt[i]!)
      for (let i = 1; i < gaps.length; i++) expect(gaps[i]!).toBeGreaterThanOrEqual(gaps[i - 1]!)
      expect(gaps[gaps.length - 1]!).toBeGreaterThan(gaps[0]!)
      expect(world.data()).toMatchObject({ status: 'completed', percent: 100, processedFiles: 20 })
      expectStaysCompleted(world.history)
    } finally {
      world.dispose()
    }
  })
})

describe('a late frame after an end REST agreed with', () => {
  // The writer reads the cache's data before a write inside setQueryData's updater: the end's
  // "before" must be the data the write replaced (an ended job), else every later flush of an
  // ended job counted as the end again and read REST once more.
  test('is written and asks REST nothing more', async () => {
    const { world, fetchesAfterEnd } = await lagging(0)
    try {
      expect(fetchesAfterEnd).toBe(1)
      const fetched = world.fetches()
      const written = world.history.length
      world.publish({ type: 'processing_progress', data: { processed: 39, failed: 0, total: 40, operation_id: 'op1' } })
      await world.settle({ rounds: 60, ms: 1000, untilIdle: false })
      expect(world.history.length).toBeGreaterThan(written)
      expect(world.fetches()).toBe(fetched)
      expect(world.data()).toMatchObject({ status: 'completed', percent: 100, processedFiles: 39 })
    } finally {
      world.dispose()
    }
  })
})
