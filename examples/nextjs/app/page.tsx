import { LiveJob } from './LiveJob'
import { Providers } from './providers'

// Read at request time: the backend URL and token come from the server's environment.
export const dynamic = 'force-dynamic'

export default async function Page({ searchParams }: { searchParams: Promise<{ op?: string }> }) {
  const { op } = await searchParams
  return (
    <Providers apiUrl={process.env.LIVE_STATUS_API_URL ?? 'http://127.0.0.1:4173'} accessToken={process.env.LIVE_STATUS_TOKEN ?? 'demo-token'}>
      <LiveJob projectId="demo" operationId={op ?? null} />
    </Providers>
  )
}
