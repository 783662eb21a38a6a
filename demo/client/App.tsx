import { Profiler, useCallback, useEffect, useRef, useState, useSyncExternalStore, type ComponentType } from 'react'
import {
  ConnectionStatus,
  connectionStatusStyle,
  LiveStatusProvider,
  useDirectoryScan,
  useIndexStatus,
  useOperationEta,
  useOperationProgress,
  type WebSocketConstructor,
} from '../../src'
import { CountingWebSocket, meter } from './meter'
import { LiveStatusDevtools, LiveStatusProfiler } from '../../src/devtools'
import { createCrossTab } from '../../src/transport/crossTab'
import { NaiveIndexPanel, NaiveOperationRow } from './naive/NaivePanels'
import { authHeaders, signIn, storedToken, tabToken } from './session'
import { demoFetch, type Cluster } from './cluster'
import { ClusterPanel } from './ClusterPanel'
import { documentIndexerEvents } from '../../src/dialects/documentIndexer'

const PROJECT = 'demo'
/**
 * The token goes in a first message on every socket (project and scan), never in a URL: URLs end
 * up in proxy and access logs, and the reference server refuses them by default. Said here even
 * where it is the library's default, so the demo works whichever version it is built against.
 */
const AUTH = { type: 'message', message: (token: string) => ({ type: 'auth', token }) } as const
type Trouble = 'none' | 'drop' | 'silent' | 'reject'
type RowProps = { operationId: string; token: string | null }

async function post<T>(path: string, body: unknown = {}, token: string | null = null): Promise<T> {
  const response = await demoFetch(path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...authHeaders(token) },
    body: JSON.stringify(body),
  })
  return (await response.json()) as T
}

/** `cluster`: served by `npm run demo:cluster` (see ./cluster.ts); null for one instance. */
export function App({ cluster = null }: { cluster?: Cluster | null }) {
  // This tab's own sign-in (sessionStorage): other tabs and reloads never share a revoked token.
  const [token, setToken] = useState<string | null>(storedToken)
  const [signInRequired, setSignInRequired] = useState(false)
  const [naive, setNaive] = useState(false)
  // Tabs with the same sign-in share one socket; a tab opened by the button below inherits this
  // tab's sessionStorage, hence its token. A tab signed in on its own has its own socket.
  // Not in the cluster: a shared socket never resumes with `since`, and moving between instances
  // with `since` is what the cluster demo shows.
  const [crossTab] = useState(() => (cluster ? null : createCrossTab({ key: 'demo' })))
  const [WebSocketClass] = useState(() => (cluster ? cluster.webSocket(CountingWebSocket) : CountingWebSocket))
  // In the cluster, REST takes turns over the instances too; it then carries the token itself.
  const [clusterFetch] = useState(() =>
    cluster
      ? async (url: string, init: RequestInit = {}) => {
          const headers = new Headers(init.headers)
          headers.set('Authorization', `Bearer ${storedToken() ?? (await tabToken())}`)
          if (!headers.has('Accept')) headers.set('Accept', 'application/json')
          return cluster.fetch(url, { ...init, headers })
        }
      : undefined,
  )
  useEffect(() => {
    if (!token) void tabToken().then(setToken)
  }, [token])
  const signInAgain = useCallback(async () => {
    const fresh = await signIn()
    setSignInRequired(false)
    setToken(fresh)
    return fresh
  }, [])
  return (
    <LiveStatusProvider
      apiUrl={window.location.origin}
      accessToken={token}
      auth={AUTH}
      // The reference server relays the document indexer's worker events: its vocabulary.
      dialect={documentIndexerEvents}
      // The DOM's handler types are narrower than the option's structural socket type.
      WebSocket={WebSocketClass as unknown as WebSocketConstructor}
      crossTab={crossTab}
      {...(clusterFetch ? { fetch: clusterFetch } : {})}
      pollIntervalMs={2000}
      resumeParam="since"
      heartbeat={{ intervalMs: 5000, timeoutMs: 3000 }}
      reconnect={{ initialDelayMs: 1000, maxDelayMs: 8000, maxAttempts: 8 }}
      onAuthError={() => setSignInRequired(true)}
      onEventError={(error) => console.warn('[demo] dropped event', error.reason, error.message)}
    >
      <header>
        <h1>live-status demo</h1>
        {naive ? (
          <span className="muted">hand-written page: no shared connection status</span>
        ) : (
          <ConnectionStatus target={{ projectId: PROJECT }} style={connectionStatusStyle} className="connection" />
        )}
        {signInRequired && !naive ? (
          <button onClick={() => void signInAgain()} data-testid="sign-in">
            Sign in again
          </button>
        ) : null}
        {cluster ? <ClusterPanel cluster={cluster} /> : <TroubleSwitch token={token} signInAgain={signInAgain} />}
      </header>
      <div className="toolbar">
        {/* The hand-written page talks to the instance that served it only: no balancing to show. */}
        {cluster ? null : (
          <label>
            <input type="checkbox" checked={naive} onChange={(event) => setNaive(event.target.checked)} /> Written by hand (one socket per
            component, a cache write per event)
          </label>
        )}
        {crossTab ? (
          <button type="button" onClick={() => window.open(window.location.href, '_blank')}>
            Open a tab sharing this socket
          </button>
        ) : null}
        <Meters />
      </div>
      <Profiler id="page" onRender={meter.countCommit}>
        <LiveStatusProfiler>
          <main>
            {naive ? <NaiveIndexPanel token={token} /> : <IndexPanel />}
            <Operations token={token} Row={naive ? NaiveOperationRow : OperationRow} listRefreshMs={cluster ? 1000 : null} />
            <ScanPanel />
          </main>
        </LiveStatusProfiler>
      </Profiler>
      {/* Inside the provider (it reads the client), outside the page's Profiler (its renders are not the page's). */}
      <aside id="devtools-slot" aria-label="Under the hood">
        <h2>Under the hood</h2>
        <LiveStatusDevtools position="inline" initialIsOpen />
      </aside>
    </LiveStatusProvider>
  )
}

/** Sockets this tab holds open, frames and React commits of the page per second (last second). */
function Meters() {
  const totals = useSyncExternalStore(meter.subscribe, () => meter.read().socketsOpen)
  const [rates, setRates] = useState({ frames: 0, commits: 0 })
  useEffect(() => {
    let last = meter.read()
    const timer = setInterval(() => {
      const now = meter.read()
      setRates({ frames: now.frames - last.frames, commits: now.commits - last.commits })
      last = now
    }, 1000)
    return () => clearInterval(timer)
  }, [])
  return (
    <span className="meters">
      Sockets open: <strong aria-label="sockets open">{totals}</strong> · frames/s: <strong aria-label="frames per second">{rates.frames}</strong> ·
      React commits/s: <strong aria-label="React commits per second">{rates.commits}</strong>
    </span>
  )
}

function TroubleSwitch({ token, signInAgain }: { token: string | null; signInAgain: () => Promise<string> }) {
  const [mode, setMode] = useState<Trouble>('none')
  // Only the newest answer counts: a sign-in re-reads the switch while a choice may be on its way.
  const latest = useRef(0)
  const apply = async (request: Promise<{ mode: Trouble }>) => {
    const ticket = ++latest.current
    const { mode: server } = await request
    if (ticket === latest.current) setMode(server)
  }
  // The switch shows the server's state (remembered across reloads): drop and silent are
  // server-wide, 'reject' is this tab's revoked token.
  useEffect(() => {
    if (token) void apply(demoFetch('/api/demo/trouble', { headers: authHeaders(token) }).then((r) => r.json()))
  }, [token])
  const choose = async (next: Trouble) => {
    setMode(next)
    // Leaving 'reject' means a fresh sign-in: the revoked token stays revoked.
    const current = mode === 'reject' ? await signInAgain() : token
    await apply(post<{ mode: Trouble }>('/api/demo/trouble', { mode: next }, current))
  }
  const labels: Record<Trouble, string> = { none: 'none', drop: 'drop connections', silent: 'go silent', reject: 'reject the token' }
  return (
    <fieldset data-testid="trouble">
      <legend>Network trouble (server side)</legend>
      {(Object.keys(labels) as Trouble[]).map((value) => (
        <label key={value} style={{ marginRight: '0.75rem' }}>
          <input type="radio" name="trouble" value={value} checked={mode === value} onChange={() => void choose(value)} /> {labels[value]}
        </label>
      ))}
    </fieldset>
  )
}

function IndexPanel() {
  const { data, reindex, isReindexing, isOutOfSync, error } = useIndexStatus(PROJECT)
  return (
    <section data-testid="index">
      <h2>Project index</h2>
      <div className="row">
        <span className="badge" data-state={data?.state} data-testid="index-state">
          {data?.state ?? 'loading'}
        </span>
        {data?.entityCount !== undefined ? <span className="muted">{data.entityCount} entities</span> : null}
        <button onClick={reindex} disabled={isReindexing} style={{ marginLeft: 'auto' }}>
          Reindex
        </button>
      </div>
      {data?.error ? <p className="stale">{data.error}</p> : null}
      {isOutOfSync ? <p className="stale">Not updating: connection and polling both failing.</p> : null}
      {error && !data ? <p className="stale">{error.message}</p> : null}
    </section>
  )
}

/** `listRefreshMs`: re-read the list this often (the cluster: operations started by other tabs, on either instance). */
function Operations({ token, Row, listRefreshMs }: { token: string | null; Row: ComponentType<RowProps>; listRefreshMs: number | null }) {
  const [ids, setIds] = useState<string[]>([])
  useEffect(() => {
    const read = () =>
      demoFetch('/api/demo/operations')
        .then((r) => r.json())
        .then((body: { operations: string[] }) => setIds((current) => [...new Set([...current, ...body.operations])]))
    void read()
    if (listRefreshMs === null) return
    const timer = setInterval(() => void read().catch(() => {}), listRefreshMs)
    return () => clearInterval(timer)
  }, [listRefreshMs])
  const start = async (type: string) => {
    const { operationId } = await post<{ operationId: string }>('/api/demo/operations', { type })
    setIds((current) => [operationId, ...current])
  }
  return (
    <section data-testid="operations">
      <h2>Operations</h2>
      <div className="row">
        {['index', 'append', 'reindex', 'remove_source'].map((type) => (
          <button key={type} onClick={() => void start(type)} data-testid={`start-${type}`}>
            Start {type.replace('_', ' ')}
          </button>
        ))}
      </div>
      <ul>
        {ids.map((id) => (
          <Row key={id} operationId={id} token={token} />
        ))}
      </ul>
      {ids.length === 0 ? <p className="muted">No operations yet.</p> : null}
    </section>
  )
}

function OperationRow({ operationId }: RowProps) {
  const { data, isOutOfSync } = useOperationProgress(operationId, { projectId: PROJECT })
  const etaMs = useOperationEta(data)
  if (!data) return <li className="muted">{operationId}: loading…</li>
  return (
    <li data-testid={`operation-${operationId}`} data-status={data.status} data-percent={Math.round(data.percent)}>
      <div className="row">
        <strong>{data.operationType ?? 'operation'}</strong>
        <span className="badge" data-status={data.status}>
          {data.status}
        </span>
        {data.stage && data.stage !== data.status ? <span className="muted">{data.stage}</span> : null}
        <span style={{ marginLeft: 'auto' }} data-testid="percent">
          {Math.round(data.percent)}%
        </span>
      </div>
      <progress value={data.percent} max={100} />
      <div className="muted">
        {data.processedFiles}/{data.totalFiles} files{data.failedFiles ? `, ${data.failedFiles} failed` : ''}
        {etaMs !== undefined ? ` · about ${Math.ceil(etaMs / 1000)} s left` : ''}
        {data.currentFile && data.status === 'processing' ? ` · ${data.currentFile}` : ''}
      </div>
      {isOutOfSync ? <div className="stale">Not updating</div> : null}
    </li>
  )
}

function ScanPanel() {
  const { start, cancel, data } = useDirectoryScan()
  const [path, setPath] = useState('/documents')
  const [recursive, setRecursive] = useState(true)
  return (
    <section data-testid="scan">
      <h2>Directory scan</h2>
      <form
        className="row"
        onSubmit={(event) => {
          event.preventDefault()
          start({ path, recursive })
        }}
      >
        <input type="text" value={path} onChange={(e) => setPath(e.target.value)} aria-label="Path" />
        <label>
          <input type="checkbox" checked={recursive} onChange={(e) => setRecursive(e.target.checked)} /> recursive
        </label>
        <button type="submit" disabled={data.state === 'scanning'}>
          Scan
        </button>
        <button type="button" onClick={cancel} disabled={data.state !== 'scanning'}>
          Cancel
        </button>
      </form>
      <div className="row">
        <span className="badge" data-testid="scan-state" data-status={data.state}>
          {data.state}
        </span>
        {data.state !== 'idle' ? (
          <span className="muted" data-testid="scan-progress">
            {data.scanned}/{data.total}
          </span>
        ) : null}
      </div>
      {data.state === 'scanning' ? <progress value={data.scanned} max={data.total || 1} /> : null}
      {data.currentPath && data.state === 'scanning' ? <div className="muted">{data.currentPath}</div> : null}
      {data.state === 'completed' ? (
        <div className="muted" data-testid="scan-result">
          {data.count} files, {(data.totalSize / 1_000_000).toFixed(1)} MB
          {data.warnings.length ? ` · ${data.warnings.length} warning: ${data.warnings[0]}` : ''}
        </div>
      ) : null}
    </section>
  )
}
