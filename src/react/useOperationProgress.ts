import { useMemo } from 'react'
import {
  operationProgressChannel,
  type OperationProgress,
  type OperationProgressParams,
} from '../channels/operationProgress'
import { useLiveQuery, type LiveQueryOptions, type LiveQueryResult } from './useLiveQuery'

/** Options of `useOperationProgress`: which operation, and TanStack's query options. */
export interface UseOperationProgressOptions<TSelected = OperationProgress> extends LiveQueryOptions<OperationProgress, TSelected> {
  /** With the default endpoints, the operations of a project share the project's socket. @default undefined */
  projectId?: string
  /** Turns this backend's REST status body into `OperationProgress` fields. @default parseOperationStatus */
  parse?: OperationProgressParams['parse']
}

/**
 * An operation's progress, live: both dialects of the document indexer (flat events with worker
 * stages, and the `{ type, data }` envelope) and the `current_state` snapshot. `percent` never
 * goes backwards. The time left: `useOperationEta(data)`.
 *
 * @example
 * ```tsx
 * const { data } = useOperationProgress({ operationId, projectId })
 * // or, short: useOperationProgress(operationId, { projectId })
 * return <progress value={data?.percent ?? 0} max={100} />
 * ```
 */
export function useOperationProgress<TSelected = OperationProgress>(
  operationId: string | null | undefined,
  options?: UseOperationProgressOptions<TSelected>,
): LiveQueryResult<TSelected>
// The options form last: a compiler that reports one failed overload reports this one, naming an unknown option.
export function useOperationProgress<TSelected = OperationProgress>(
  options: UseOperationProgressOptions<TSelected> & { operationId: string | null | undefined },
): LiveQueryResult<TSelected>
export function useOperationProgress<TSelected = OperationProgress>(
  first: string | null | undefined | (UseOperationProgressOptions<TSelected> & { operationId: string | null | undefined }),
  second: UseOperationProgressOptions<TSelected> = {},
): LiveQueryResult<TSelected> {
  const { operationId, projectId, parse, enabled = true, ...rest } =
    typeof first === 'object' && first !== null ? first : { ...second, operationId: first }
  const params = useMemo<OperationProgressParams>(
    () => ({ operationId: operationId ?? '', projectId, parse }),
    [operationId, projectId, parse],
  )
  return useLiveQuery(operationProgressChannel, params, { ...rest, enabled: enabled && !!operationId })
}
