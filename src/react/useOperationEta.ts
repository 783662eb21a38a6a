import { useRef } from 'react'
import { isTerminalStatus, type OperationProgress } from '../channels/operationProgress'

/**
 * Estimated time left for an operation, in milliseconds, from the rate this component has observed
 * since it first saw the operation progress: `undefined` until two items and one second of progress
 * have been seen (a single burst does not promise a wild figure), and once the operation ends.
 * Timed by `updatedAt` (the server's clock when its events carry one). Opt-in by import: a page
 * that shows no ETA does not carry it.
 *
 * @example
 * ```tsx
 * const { data } = useOperationProgress({ operationId, projectId })
 * const etaMs = useOperationEta(data)
 * ```
 */
export function useOperationEta(progress: OperationProgress | undefined): number | undefined {
  const first = useRef<{ id: string; at: number; done: number } | null>(null)
  if (!progress || progress.totalFiles <= 0 || isTerminalStatus(progress.status)) return undefined
  const done = progress.processedFiles + progress.failedFiles
  const at = progress.updatedAt.getTime()
  const sample = first.current
  // The first sample of each operation, kept once (what a render sees again in StrictMode).
  if (!sample || sample.id !== progress.operationId) {
    first.current = { id: progress.operationId, at, done }
    return undefined
  }
  const elapsedMs = at - sample.at
  const progressed = done - sample.done
  if (progressed < 2 || elapsedMs < 1000) return undefined
  return Math.round((Math.max(0, progress.totalFiles - done) * elapsedMs) / progressed)
}
