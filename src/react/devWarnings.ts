import { useRef } from 'react'
import { warnOnce } from '../transport/devWarnings'

/**
 * Development only (callers sit behind `process.env.NODE_ENV !== 'production'`): says once that the
 * QueryClient changed under a mounted data hook. TanStack's `useQuery` keeps the observer it made
 * for the first client, so the screen would go on showing the old cache while live writes go to
 * the new. Called by the hooks that hold such an observer: a subtree remounted with the new client
 * (a `key`) says nothing.
 */
export function useQueryClientSwapWarning(queryClient: object): void {
  const first = useRef(queryClient)
  if (first.current !== queryClient) {
    warnOnce('query-client-swap', () => 'The QueryClient changed under a mounted live-status hook: it keeps showing the old cache (TanStack\'s useQuery keeps its first client). Remount the hooks when you swap it (a `key` on the provider or the subtree).')
  }
}
