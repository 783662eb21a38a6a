'use client'

import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { LiveStatusProvider } from 'live-status'
import { useState, type ReactNode } from 'react'

/** The token in a first message, never in the socket URL (the reference server refuses `?token=`). */
const auth = { type: 'message', message: (token: string) => ({ type: 'auth', token }) } as const

/** Client-side providers; the server component passes what it knows (URL, token). */
export function Providers({ apiUrl, accessToken, children }: { apiUrl: string; accessToken: string; children: ReactNode }) {
  const [queryClient] = useState(() => new QueryClient())
  return (
    <QueryClientProvider client={queryClient}>
      <LiveStatusProvider apiUrl={apiUrl} accessToken={accessToken} auth={auth} pollIntervalMs={2000}>
        {children}
      </LiveStatusProvider>
    </QueryClientProvider>
  )
}
