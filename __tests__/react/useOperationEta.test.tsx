// @vitest-environment happy-dom
/**
 * `useOperationEta` on this machine's clock, sampled when the counts change: REST-only progress
 * (polling, a `null` socket) whose `updatedAt` never moves still gets an ETA; server stamps that are
 * old or on another clock do not skew it; counts that go back start a new count; re-renders with
 * the same counts change nothing. (A review found each of these wrong when the hook was timed by
 * `updatedAt`.)
 */
import { renderHook } from '@testing-library/react'
import { StrictMode, type ReactNode } from 'react'
import { afterEach, beforeEach, expect, test, vi } from 'vitest'
import { useOperationEta, type OperationProgress } from '../../src'

beforeEach(() => {
  vi.useFakeTimers()
  vi.setSystemTime(new Date('2026-12-06T10:00:00Z'))
})
afterEach(() => vi.useRealTimers())

/** Progress as REST answers it: `updatedAt` an hour-old start stamp on the server's clock, never moving. */
const at = (processedFiles: number, extra: Partial<OperationProgress> = {}): OperationProgress => ({
  operationId: 'op1',
  status: 'processing',
  processedFiles,
  failedFiles: 0,
  totalFiles: 100,
  percent: processedFiles,
  updatedAt: new Date('2026-12-06T08:59:00Z'),
  ...extra,
})

const strict = ({ children }: { children: ReactNode }) => <StrictMode>{children}</StrictMode>

test('REST-only progress with a frozen, old stamp: the rate observed here, 5 files/s', () => {
  const { result, rerender } = renderHook(({ p }) => useOperationEta(p), { initialProps: { p: at(10) }, wrapper: strict })
  expect(result.current).toBeUndefined()
  vi.advanceTimersByTime(2000)
  rerender({ p: at(20) })
  // 10 files in 2 s; 80 left -> 16 s.
  expect(result.current).toBe(16_000)
  // Re-renders with the same counts (a connection change, StrictMode) change nothing.
  vi.advanceTimersByTime(5000)
  rerender({ p: at(20) })
  expect(result.current).toBe(16_000)
})

test('counts that go back start a new count; another operation too; none once it ends', () => {
  const { result, rerender } = renderHook(({ p }) => useOperationEta(p), { initialProps: { p: at(50) } })
  vi.advanceTimersByTime(2000)
  rerender({ p: at(60) })
  expect(result.current).toBe(8000)
  rerender({ p: at(5) })
  expect(result.current).toBeUndefined()
  vi.advanceTimersByTime(1000)
  rerender({ p: at(15) })
  expect(result.current).toBe(8500)
  rerender({ p: at(15, { operationId: 'op2' }) })
  expect(result.current).toBeUndefined()
  rerender({ p: at(90, { operationId: 'op2', status: 'completed' }) })
  expect(result.current).toBeUndefined()
})

test('an invalid or missing updatedAt does not matter', () => {
  const { result, rerender } = renderHook(({ p }) => useOperationEta(p), { initialProps: { p: at(10, { updatedAt: new Date(Number.NaN) }) } })
  vi.advanceTimersByTime(2000)
  rerender({ p: at(20, { updatedAt: '2026-12-06' as unknown as Date }) })
  expect(result.current).toBe(16_000)
})
