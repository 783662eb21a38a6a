'use client'

import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { LiveStatusProvider } from 'live-status'
import { documentIndexerEvents } from 'live-status/dialects/document-indexer'
import { sseTransport } from 'live-status/sse'
import { useState, type ReactNode } from 'react'
import type { Transport } from './settings'

/**
 * This app's route handler (`app/api/live/[projectId]/route.ts`) as an absolute URL: a relative
 * path would be joined to the reference server's URL. The server renders these providers too,
 * where there is no `location`; there the path stays relative, harmless since nothing connects
 * during server rendering.
 */
const liveRoute = (projectId: string) => `${typeof window === 'undefined' ? '' : window.location.origin}/api/live/${encodeURIComponent(projectId)}`

/** Client-side providers; the server component passes what it knows (URL, token, transport). */
export function Providers({ apiUrl, accessToken, transport, children }: { apiUrl: string; accessToken: string; transport: Transport; children: ReactNode }) {
  const [queryClient] = useState(() => new QueryClient())
  // Read once, like the provider's other connection options.
  const [streams] = useState(() => (transport === 'sse' ? sseTransport({ streamPath: liveRoute }) : {}))
  return (
    <QueryClientProvider client={queryClient}>
      {/* On sockets the token goes in a first message (the default), on SSE in the Authorization
          header: never in a URL. The demo's reference server relays the document indexer's worker
          events: their vocabulary is its dialect's. */}
      <LiveStatusProvider apiUrl={apiUrl} accessToken={accessToken} dialect={documentIndexerEvents} pollIntervalMs={2000} {...streams}>
        {children}
      </LiveStatusProvider>
    </QueryClientProvider>
  )
}
