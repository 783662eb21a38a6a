'use client'

import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { LiveStatusProvider } from 'live-status'
import { documentIndexerEvents } from 'live-status/dialects/document-indexer'
import { useState, type ReactNode } from 'react'

/** Client-side providers; the server component passes what it knows (URL, token). */
export function Providers({ apiUrl, accessToken, children }: { apiUrl: string; accessToken: string; children: ReactNode }) {
  const [queryClient] = useState(() => new QueryClient())
  return (
    <QueryClientProvider client={queryClient}>
      {/* The token goes in a first message (the default), never in a URL. The demo's reference
          server relays the document indexer's worker events: their vocabulary is its dialect's. */}
      <LiveStatusProvider apiUrl={apiUrl} accessToken={accessToken} dialect={documentIndexerEvents} pollIntervalMs={2000}>
        {children}
      </LiveStatusProvider>
    </QueryClientProvider>
  )
}
