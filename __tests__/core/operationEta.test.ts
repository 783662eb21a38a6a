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
  // Two items, but in less than a second.
  expect(eta(progress(30), 500)).toBeUndefined()
  // The same counts read again later (a re-render): the samples stay, so still under a second of progress.
  expect(eta(progress(30), 900)).toBeUndefined()
  // 40 items in 1.5 s (first seen at 0, last changed at 1500): 50 left.
  expect(eta(progress(50), 1500)).toBe(1875)
  // Read again later with the same counts: the rate is not stretched.
  expect(eta(progress(50), 9000)).toBe(1875)
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
