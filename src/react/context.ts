import { createContext, useContext } from 'react'
import type { LiveStatusClient } from '../sync/liveStatusClient'

export const LiveStatusContext = createContext<LiveStatusClient | null>(null)

/** The client of the nearest `<LiveStatusProvider>`. */
export function useLiveStatusClient(): LiveStatusClient {
  const client = useContext(LiveStatusContext)
  if (!client) throw new Error(`[live-status] No <LiveStatusProvider> above this component${process.env.NODE_ENV !== 'production' ? ': wrap your app (inside <QueryClientProvider>) in one' : ''}.`)
  return client
}
