/** The time-left estimator without React (`createOperationEta`), on explicit clocks: what `useOperationEta` keeps per component. */
import { expect, test } from 'vitest'
import { createOperationEta, type OperationProgress } from '../../src/core'

const progress = (processedFiles: number, patch: Partial<OperationProgress> = {}): OperationProgress => ({
  operationId: 'op-1',
  status: 'processing',
  processedFiles,
  failedFiles: 0,
  totalFiles: 100,
  percent: processedFiles,
  updatedAt: new Date(0),
  ...patch,
})

test('undefined until two items and one second were observed; then the rate seen so far', () => {
  const eta = createOperationEta()
  expect(eta(progress(10), 0)).toBeUndefined()
  // A first change within a second of the first sight: where counting starts.
  expect(eta(progress(30), 500)).toBeUndefined()
  // The same counts read again later (a re-render): the samples stay, so still under a second of progress.
  expect(eta(progress(30), 900)).toBeUndefined()
  // 20 items in 1 s (counted from 30 at 500, last changed at 1500): 50 left.
  expect(eta(progress(50), 1500)).toBe(2500)
  // Read again later with the same counts: the rate is not stretched.
  expect(eta(progress(50), 9000)).toBe(2500)
})

test('a remount on a cached count, caught up at once, estimates from the rate after the catch-up (before: the jump read as progress, 6 s left for 21)', () => {
  const eta = createOperationEta()
  const of200 = (done: number) => progress(done, { totalFiles: 200 })
  // Shown from the cache: 23 files, counted 5 s ago. REST (or the socket) says 66, 50 ms later.
  expect(eta(of200(23), 0)).toBeUndefined()
  expect(eta(of200(66), 50)).toBeUndefined()
  // Then 6.5 files a second, as the job runs.
  let shown: number | undefined
  for (let second = 1; second <= 8; second++) shown = eta(of200(66 + 6.5 * second), 50 + 1000 * second)
  // 82 left at 6.5/s: 12.6 s.
  expect(shown).toBe(Math.round((82 * 8000) / 52))
})

test('polling: a first change a whole period later is progress, counted from the first sight', () => {
  const eta = createOperationEta()
  eta(progress(10), 0)
  // 10 files in 5 s: 80 left, 40 s.
  expect(eta(progress(20), 5000)).toBe(40_000)
})

test('failed items count as done; a total of 0, no progress and an end give undefined', () => {
  const eta = createOperationEta()
  eta(progress(0, { failedFiles: 10 }), 0)
  expect(eta(progress(10, { failedFiles: 10 }), 1000)).toBe(8000)
  expect(eta(progress(10, { failedFiles: 10, status: 'completed' }), 2000)).toBeUndefined()
  expect(eta(undefined, 2000)).toBeUndefined()
  expect(eta(progress(10, { totalFiles: 0 }), 2000)).toBeUndefined()
})

test('another operation, or counts that went back (a reset query), are sampled anew', () => {
  const eta = createOperationEta()
  eta(progress(0), 0)
  expect(eta(progress(10), 1000)).toBe(9000)
  expect(eta(progress(5), 2000)).toBeUndefined()
  expect(eta(progress(5, { operationId: 'op-2' }), 3000)).toBeUndefined()
  expect(eta(progress(25, { operationId: 'op-2' }), 5000)).toBe(7500)
})
