import { useMemo } from 'react'
import { liveStatusOptions, type LiveStatusOptions } from '../channels/liveStatusOptions'
import { useLiveStatusClient } from './context'

/**
 * The query and mutation options of the provider's client, bound once: pass only parameters.
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
  return useMemo(() => liveStatusOptions(client), [client])
}
