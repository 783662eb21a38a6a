import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { App } from './App'
import { loadCluster } from './cluster'

const queryClient = new QueryClient()
// Served by `npm run demo:cluster`, the page balances over its instances; by `npm start`, not.
const cluster = await loadCluster()

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <App cluster={cluster} />
    </QueryClientProvider>
  </StrictMode>,
)
