import { useMutation, useQueryClient, type UseMutationOptions, type UseMutationResult } from '@tanstack/react-query'
import { cancelOperationOptions, type CancelOperationContext, type CancelOperationVariables } from '../channels/operationCommands'
import { useLiveStatusClient } from './context'
import { withCallbacks } from './withCallbacks'

/** TanStack's own mutation options (`onSuccess`, `retry`, …); `onMutate` is the hook's (the `cancelling` stage). */
export type UseCancelOperationOptions = Omit<UseMutationOptions<void, Error, CancelOperationVariables, CancelOperationContext>, 'mutationFn' | 'mutationKey' | 'onMutate'>

/**
 * Asks the server to cancel an operation, as a TanStack mutation: `mutate({ operationId })` POSTs
 * the `operationCancel` endpoint; the row's stage reads `cancelling` at once and goes back if the
 * request fails. The status turns `cancelled` when the server says so: a job may finish first.
 *
 * @example
 * ```tsx
 * const cancel = useCancelOperation()
 * <button onClick={() => cancel.mutate({ operationId, projectId })} disabled={cancel.isPending}>Cancel</button>
 * ```
 */
export function useCancelOperation(options: UseCancelOperationOptions = {}): UseMutationResult<void, Error, CancelOperationVariables, CancelOperationContext> {
  const client = useLiveStatusClient()
  const queryClient = useQueryClient()
  return useMutation(withCallbacks(cancelOperationOptions(client, { queryClient }), options))
}
