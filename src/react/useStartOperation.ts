import { useMutation, useQueryClient, type UseMutationOptions, type UseMutationResult } from '@tanstack/react-query'
import { startOperationOptions, type StartedOperation, type StartOperationContext, type StartOperationVariables } from '../channels/operationCommands'
import { useLiveStatusClient } from './context'
import { withCallbacks } from './withCallbacks'

/** What `useStartOperation` takes besides `projectId`: TanStack's own mutation options (`onSuccess`, `retry`, …); `onMutate` is the hook's (the optimistic row). */
export type UseStartOperationOptions = Omit<UseMutationOptions<StartedOperation, Error, StartOperationVariables | void, StartOperationContext>, 'mutationFn' | 'mutationKey' | 'onMutate'>

/**
 * Starts an operation in a project as a TanStack mutation: `mutate({ type })` POSTs the
 * `operationStart` endpoint and resolves to `{ operationId }`, whose row shows `pending` at once;
 * `useOperationProgress({ operationId, projectId })` follows it live. Propose an `operationId` to
 * see the row before the server answers (taken back if the start fails).
 *
 * @example
 * ```tsx
 * const start = useStartOperation({ projectId })
 * const { data } = useOperationProgress({ operationId: start.data?.operationId, projectId })
 * <button onClick={() => start.mutate({ type: 'index' })} disabled={start.isPending}>Start</button>
 * ```
 */
export function useStartOperation(
  params: { projectId: string },
  options: UseStartOperationOptions = {},
): UseMutationResult<StartedOperation, Error, StartOperationVariables | void, StartOperationContext> {
  const client = useLiveStatusClient()
  const queryClient = useQueryClient()
  return useMutation(withCallbacks(startOperationOptions(client, params, { queryClient }), options))
}
