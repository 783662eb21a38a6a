import { useQueryClient } from '@tanstack/react-query'
import { useMemo } from 'react'
import { liveStatusOptions, type LiveStatusOptions } from '../channels/liveStatusOptions'
import { useLiveStatusClient } from './context'

/**
 * The query and mutation options of the provider's client and QueryClient, bound once: pass only
 * parameters.
 *
 * @example
 * ```tsx
 * const live = useLiveStatusOptions()
 * const { data } = useSuspenseQuery(live.indexStatus.queryOptions({ projectId }))
 * const cancel = useMutation(live.cancelOperation.mutationOptions())
 * ```
 */
export function useLiveStatusOptions(): LiveStatusOptions {
  const client = useLiveStatusClient()
  // Bound too: TanStack versions before the mutation context would leave the optimistic rows out.
  const queryClient = useQueryClient()
  return useMemo(() => liveStatusOptions(client, { queryClient }), [client, queryClient])
}
