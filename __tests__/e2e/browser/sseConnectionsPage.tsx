// The page of the SSE connections test (sseConnections.chromium.test.ts), bundled with esbuild from
// the sources and served by the reference server's own origin over plain HTTP/1.1. The test drives
// it through `window.ssePage`: mount components following projects over `sseTransport()`, issue
// REST requests, and read what happened. Every component reports its connection state and the
// progress it shows as data attributes, which the test waits on.
import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { StrictMode, useSyncExternalStore, type ReactNode } from 'react'
import { createRoot } from 'react-dom/client'
import { LiveStatusProvider, operationProgressChannel, useLiveSubscription, useOperationProgress } from '../../../src'
import { sseTransport } from '../../../src/sync/sseTransport'

const TOKEN = 'tok'
const params = new URLSearchParams(location.search)
/**
 * `shared` (the default): one provider, so one client, for the page, as the README sets it up.
 * `each`: a provider (a client) per component, which is what breaking the sharing looks like.
 */
const clients = params.get('clients') === 'each' ? 'each' : 'shared'
const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } })
const live = (children: ReactNode) => (
  <LiveStatusProvider apiUrl={location.origin} accessToken={TOKEN} {...sseTransport()}>
    {children}
  </LiveStatusProvider>
)

/**
 * A component showing an operation's progress: REST first, then the project's stream. The
 * components of a project follow 4 operations (`{projectId}-op0` … `-op3`), one stream for all.
 */
function Progress({ projectId, index }: { projectId: string; index: number }) {
  const { data, connection } = useOperationProgress({ operationId: `${projectId}-op${index % 4}`, projectId })
  return (
    <p data-project={projectId} data-state={connection.state} data-processed={data?.processedFiles ?? ''}>
      {`${projectId} #${index}: ${data?.processedFiles ?? '–'} (${connection.state})`}
    </p>
  )
}

/** A component holding the project's stream open and nothing else: no REST request of its own. */
function StreamOnly({ projectId, index }: { projectId: string; index: number }) {
  const { connection } = useLiveSubscription(operationProgressChannel, { operationId: `${projectId}-op`, projectId })
  return <p data-project={projectId} data-state={connection.state}>{`${projectId} #${index} (${connection.state})`}</p>
}

type Kind = 'progress' | 'stream'
const mounted = new Map<string, { count: number; kind: Kind }>()
const listeners = new Set<() => void>()
let version = 0
const changed = () => {
  version++
  listeners.forEach((listener) => listener())
}

function Page() {
  useSyncExternalStore(
    (listener) => (listeners.add(listener), () => listeners.delete(listener)),
    () => version,
  )
  const components = [...mounted].flatMap(([projectId, { count, kind }]) =>
    Array.from({ length: count }, (_, index) => {
      const Component = kind === 'progress' ? Progress : StreamOnly
      const element = <Component projectId={projectId} index={index} />
      return <div key={`${projectId}#${index}`}>{clients === 'each' ? live(element) : element}</div>
    }),
  )
  return clients === 'each' ? <>{components}</> : live(components)
}

interface RequestRecord {
  url: string
  issuedAt: number
  status?: number
  error?: string
  /** From the Resource Timing entry, once done: when the browser began sending it on a connection. */
  requestStart?: number
}
const requests: Record<string, RequestRecord> = {}

const api = {
  clients,
  /** Mounts `count` components following `projectId` (replacing any there). */
  mount(projectId: string, count: number, kind: Kind = 'progress') {
    mounted.set(projectId, { count, kind })
    changed()
  },
  /** Unmounts the project's components; returns the moment, on the page's clock. */
  unmount(projectId: string): number {
    const at = performance.now()
    mounted.delete(projectId)
    changed()
    return at
  },
  /** Starts a request with the token (not awaited); `state()` says when it is done. */
  request(name: string, path: string, init: { method?: string; body?: unknown } = {}) {
    const url = new URL(path, location.origin)
    url.searchParams.set('request', name)
    const record: RequestRecord = { url: url.href, issuedAt: performance.now() }
    requests[name] = record
    void fetch(url, {
      method: init.method ?? 'GET',
      headers: { Authorization: `Bearer ${TOKEN}`, ...(init.body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      cache: 'no-store',
    }).then(
      async (response) => {
        await response.arrayBuffer()
        const entry = performance.getEntriesByName(url.href).at(-1) as PerformanceResourceTiming | undefined
        record.requestStart = entry?.requestStart
        record.status = response.status
      },
      (error: unknown) => {
        record.error = String(error)
      },
    )
  },
  /** A request to another origin (another connection group of the browser), awaited. */
  async elsewhere(url: string): Promise<void> {
    await fetch(url, { mode: 'no-cors', cache: 'no-store' })
  },
  requests: () => requests,
}
;(globalThis as { ssePage?: typeof api }).ssePage = api

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <Page />
    </QueryClientProvider>
  </StrictMode>,
)
