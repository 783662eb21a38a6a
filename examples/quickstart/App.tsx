import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { ConnectionStatus, LiveStatusProvider, useOperationProgress, useStartOperation } from 'live-status'

// What `npm start` in a clone of live-status prints for a second app: the demo server's URL, a
// token it accepts and its project. Your app passes its own (the token once the user signs in).
const apiUrl = 'http://127.0.0.1:4173'
const accessToken = 'demo-token'
const projectId = 'demo'

const queryClient = new QueryClient()

export default function App() {
  return (
    <QueryClientProvider client={queryClient}>
      <LiveStatusProvider apiUrl={apiUrl} accessToken={accessToken}>
        <ConnectionStatus target={{ projectId }} />
        <Job />
      </LiveStatusProvider>
    </QueryClientProvider>
  )
}

function Job() {
  const start = useStartOperation({ projectId })
  const operationId = start.data?.operationId
  const { data } = useOperationProgress({ operationId, projectId })
  return (
    <p>
      <button onClick={() => start.mutate({ type: 'index' })} disabled={start.isPending}>
        Start a job
      </button>{' '}
      {operationId ? <progress value={data?.percent ?? 0} max={100} aria-label="Job progress" /> : null}{' '}
      {data ? `${Math.round(data.percent)}% · ${data.status}` : null}
      {start.error ? ` Could not start: ${start.error.message}` : null}
    </p>
  )
}
