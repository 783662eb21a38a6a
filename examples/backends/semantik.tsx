/**
 * Semantik (document indexer), as its current server code speaks: per-operation sockets that take
 * the token as an `access_token.<jwt>` subprotocol, a directory-scan socket that takes `?token=`
 * only, enveloped events with their counters inside `data`, server pings. See docs/backends.md.
 */
import {
  ConnectionStatus,
  LiveStatusProvider,
  useDirectoryScan,
  useOperationProgress,
  type LiveStatusClientOptions,
} from '../../src'
import { documentIndexer } from '../../src/dialects/documentIndexer'

/** Everything the document indexer needs is its dialect; the token is the provider's `accessToken`. */
export function semantikOptions(apiUrl: string): LiveStatusClientOptions {
  return { apiUrl, dialect: documentIndexer }
}

export function OperationBar({ operationId }: { operationId: string }) {
  const { data, connection } = useOperationProgress(operationId)
  if (!data) return <p>Loading…</p>
  return (
    <div>
      <progress value={data.percent} max={100} />
      <span>
        {data.status} · {data.processedFiles}/{data.totalFiles} {data.stage ?? ''} {data.error ?? ''}
      </span>
      {connection.state !== 'open' && <ConnectionStatus target={{ operationId }} />}
    </div>
  )
}

export function ScanButton() {
  const scan = useDirectoryScan()
  return (
    <div>
      <button onClick={() => scan.start({ path: '/documents' })}>Scan</button>
      <span>
        {scan.data.state} {scan.data.scanned}/{scan.data.total} {scan.data.warnings.join('; ')}
      </span>
    </div>
  )
}

export function SemantikApp({ accessToken }: { accessToken: string | undefined }) {
  return (
    <LiveStatusProvider {...semantikOptions('https://semantik.example.com')} accessToken={accessToken}>
      <OperationBar operationId="op-1" />
      <ScanButton />
    </LiveStatusProvider>
  )
}
