// The page of the TanStack Devtools plugin test: an app with live-status and the Query devtools
// in TanStack Devtools, the way the docs tell a user to set them up. Its server is the test's.
import { TanStackDevtools } from '@tanstack/react-devtools'
import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { ReactQueryDevtoolsPanel } from '@tanstack/react-query-devtools'
import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { LiveStatusProvider, useOperationProgress } from '../../../src'
import { LiveStatusProfiler, liveStatusDevtoolsPlugin } from '../../../src/devtools'

function Progress({ id }: { id: string }) {
  const { data } = useOperationProgress({ operationId: id, projectId: 'p1' })
  return <p>{`${id}: ${data?.processedFiles ?? '–'}`}</p>
}

const queryClient = new QueryClient()

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <LiveStatusProvider apiUrl={location.origin} accessToken="token">
        <LiveStatusProfiler>
          <Progress id="op1" />
          <Progress id="op1" />
          <Progress id="op2" />
        </LiveStatusProfiler>
        <TanStackDevtools plugins={[{ name: 'TanStack Query', render: <ReactQueryDevtoolsPanel /> }, liveStatusDevtoolsPlugin()]} />
      </LiveStatusProvider>
    </QueryClientProvider>
  </StrictMode>,
)
