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
  type Endpoints,
  type LiveStatusClientOptions,
} from '../../src'

const segment = encodeURIComponent

export const semantikEndpoints = {
  operationSocket: (operationId: string) => `/ws/operations/${segment(operationId)}`,
  operationStatus: (operationId: string) => `/api/v2/operations/${segment(operationId)}`,
  scanSocket: (scanId: string) => `/ws/directory-scan/${segment(scanId)}`,
  // The scan starts over REST once its socket is open; its events carry the server's file count.
  scanStart: () => '/api/v2/directory-scan/preview',
} satisfies Partial<Endpoints>

export function semantikOptions(apiUrl: string): LiveStatusClientOptions {
  return {
    apiUrl,
    endpoints: semantikEndpoints,
    // Operation sockets: the token as a subprotocol (the `?token=` form is deprecated there)…
    auth: { type: 'protocol', protocols: (token) => [`access_token.${token}`] },
    // …the directory-scan socket: `?token=` only. Offered a subprotocol it does not pick, the
    // handshake fails (in Node, `ws` refuses the reply): one backend, two auth transports.
    endpointOptions: (url) => (url.includes('/ws/directory-scan/') ? { auth: { type: 'query', param: 'token' } } : undefined),
    // A bad token is refused before the upgrade (1006); after it, 1008 means "too many sockets"
    // (10 per user): back off and retry rather than sign out. REST's 401 tells a bad token.
    authCloseCodes: [4401, 4403],
    // The server pings `{"type":"ping"}` every 30 s: answered with `{"type":"pong"}` by default
    // (`reply`), never reported as an error. Our own pings get `{"type":"pong"}` back.
  }
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
