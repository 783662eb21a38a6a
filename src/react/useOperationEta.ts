import { useRef } from 'react'
import { isTerminalStatus, type OperationProgress } from '../channels/operationProgress'

/**
 * Estimated time left for an operation, in milliseconds, from the rate this component has observed
 * since it first saw the operation progress: `undefined` until two items and one second of progress
 * have been seen (a single burst does not promise a wild figure), and once the operation ends.
 * Timed by this machine's clock when the counts change, as they arrive (socket or polling): never
 * the server's stamps, which may be old (`started_at`) or on another clock. Opt-in by import: a page
 * that shows no ETA does not carry it.
 *
 * @example
 * ```tsx
 * const { data } = useOperationProgress({ operationId, projectId })
 * const etaMs = useOperationEta(data)
 * ```
 */
export function useOperationEta(progress: OperationProgress | undefined): number | undefined {
  const seen = useRef<{ id: string; firstAt: number; first: number; lastAt: number; last: number } | null>(null)
  if (!progress || progress.totalFiles <= 0 || isTerminalStatus(progress.status)) return undefined
  const done = progress.processedFiles + progress.failedFiles
  let s = seen.current
  // A new operation, or counts that went back (a reset query): sampled anew. A render that sees
  // the same counts again (StrictMode, another prop) keeps the samples as they are.
  if (!s || s.id !== progress.operationId || done < s.last) {
    const now = Date.now()
    seen.current = s = { id: progress.operationId, firstAt: now, first: done, lastAt: now, last: done }
  } else if (done !== s.last) {
    s.lastAt = Date.now()
    s.last = done
  }
  const elapsedMs = s.lastAt - s.firstAt
  const progressed = s.last - s.first
  if (progressed < 2 || elapsedMs < 1000) return undefined
  return Math.round((Math.max(0, progress.totalFiles - done) * elapsedMs) / progressed)
}
