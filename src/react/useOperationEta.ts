import { useState } from 'react'
import { createOperationEta } from '../channels/operationEta'
import type { OperationProgress } from '../channels/operationProgress'

/**
 * Estimated time left for an operation, in milliseconds, from the rate this component has observed
 * since it first saw the operation progress (or since the counts first changed, when that came
 * within a second: a cached count a remount showed, caught up at once, is not progress): `undefined` until two items and one second of progress
 * have been seen (a single burst does not promise a wild figure), and once the operation ends.
 * Timed by this machine's clock when the counts change, as they arrive (socket or polling): never
 * the server's stamps, which may be old (`started_at`) or on another clock. Opt-in by import: a page
 * that shows no ETA does not carry it. Without React: `createOperationEta()`.
 *
 * @example
 * ```tsx
 * const { data } = useOperationProgress({ operationId, projectId })
 * const etaMs = useOperationEta(data)
 * ```
 */
export function useOperationEta(progress: OperationProgress | undefined): number | undefined {
  const [eta] = useState(createOperationEta)
  return eta(progress)
}
