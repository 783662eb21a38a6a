import { useRef } from 'react'
import { warnOnce } from '../transport/devWarnings'

/**
 * Development only (callers sit behind `process.env.NODE_ENV !== 'production'`): says once that the
 * QueryClient changed under a mounted provider. TanStack's `useQuery` keeps the observer it made for
 * the first client, so the screen would go on showing the old cache while live writes go to the new.
 */
export function useQueryClientSwapWarning(queryClient: object): void {
  const first = useRef(queryClient)
  if (first.current !== queryClient) {
    warnOnce('query-client-swap', () => 'The QueryClient changed under a mounted <LiveStatusProvider>: hooks already mounted keep showing the old cache. Remount the subtree when you swap it (a `key` on the provider).')
  }
}
