import { dehydrate, HydrationBoundary, QueryClient } from '@tanstack/react-query'
// `live-status/core` has no client boundary: keys, channels and query options work on the server.
import { LiveStatusClient, liveStatusOptions } from 'live-status/core'
import { accessToken, apiUrl } from './settings'
import { LiveJob } from './LiveJob'

// Read at request time: the backend URL and token come from the server's environment.
export const dynamic = 'force-dynamic'

/**
 * Prefetches the index status (and the operation, if any) on the server, so the first HTML shows
 * the real state; the browser takes over live from there.
 */
export default async function Page({ searchParams }: { searchParams: Promise<{ op?: string }> }) {
  const { op } = await searchParams
  const client = new LiveStatusClient({ apiUrl: apiUrl(), accessToken: accessToken() })
  // The options factories, bound to this request's client once.
  const live = liveStatusOptions(client)
  const queryClient = new QueryClient()
  await Promise.all([
    queryClient.prefetchQuery(live.indexStatus.queryOptions({ projectId: 'demo' })),
    op ? queryClient.prefetchQuery(live.operationProgress.queryOptions({ operationId: op, projectId: 'demo' })) : null,
  ])
  client.dispose()
  return (
    <HydrationBoundary state={dehydrate(queryClient)}>
      <LiveJob projectId="demo" operationId={op ?? null} />
    </HydrationBoundary>
  )
}
