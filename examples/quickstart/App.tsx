'use client'
import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { ConnectionStatus, LiveStatusProvider, useOperationProgress } from 'live-status'

const queryClient = new QueryClient()

export function App({ accessToken }: { accessToken?: string }) {
  return (
    <QueryClientProvider client={queryClient}>
      <LiveStatusProvider apiUrl="https://api.example.com" accessToken={accessToken}>
        <ConnectionStatus target={{ projectId: 'p1' }} styled />
        <Import operationId="op-42" />
      </LiveStatusProvider>
    </QueryClientProvider>
  )
}

function Import({ operationId }: { operationId: string }) {
  const { data, isPending } = useOperationProgress({ operationId, projectId: 'p1' })
  if (isPending) return <p>Loading…</p>
  return <progress value={data?.percent ?? 0} max={100} aria-label={`${data?.status}`} />
}
