import { useCallback, useEffect, useState } from 'react'
import {
  ConnectionStatus,
  LiveStatusProvider,
  useDirectoryScan,
  useIndexStatus,
  useOperationProgress,
} from '../../src'

const PROJECT = 'demo'
type Trouble = 'none' | 'drop' | 'silent' | 'reject'

async function post<T>(path: string, body: unknown = {}): Promise<T> {
  const response = await fetch(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) })
  return (await response.json()) as T
}

export function App() {
  const [token, setToken] = useState<string | null>('demo-token')
  const [signInRequired, setSignInRequired] = useState(false)
  const signIn = useCallback(async () => {
    const { token: fresh } = await post<{ token: string }>('/api/demo/login')
    setSignInRequired(false)
    setToken(fresh)
  }, [])
  return (
    <LiveStatusProvider
      apiUrl={window.location.origin}
      accessToken={token}
      pollIntervalMs={2000}
      resumeParam="since"
      heartbeat={{ intervalMs: 5000, timeoutMs: 3000 }}
      reconnect={{ initialDelayMs: 1000, maxDelayMs: 8000, maxAttempts: 8 }}
      onAuthError={() => setSignInRequired(true)}
      onEventError={(error) => console.warn('[demo] dropped event', error.reason, error.message)}
    >
      <header>
        <h1>live-status demo</h1>
        <ConnectionStatus target={{ projectId: PROJECT }} styled className="connection" />
        {signInRequired ? (
          <button onClick={signIn} data-testid="sign-in">
            Sign in again
          </button>
        ) : null}
        <TroubleSwitch />
      </header>
      <main>
        <IndexPanel />
        <Operations />
        <ScanPanel />
      </main>
    </LiveStatusProvider>
  )
}

function TroubleSwitch() {
  const [mode, setMode] = useState<Trouble>('none')
  const choose = async (next: Trouble) => {
    setMode(next)
    await post('/api/demo/trouble', { mode: next })
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

function Operations() {
  const [ids, setIds] = useState<string[]>([])
  useEffect(() => {
    void fetch('/api/demo/operations')
      .then((r) => r.json())
      .then((body: { operations: string[] }) => setIds((current) => [...new Set([...current, ...body.operations])]))
  }, [])
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
          <OperationRow key={id} operationId={id} />
        ))}
      </ul>
      {ids.length === 0 ? <p className="muted">No operations yet.</p> : null}
    </section>
  )
}

function OperationRow({ operationId }: { operationId: string }) {
  const { data, isOutOfSync } = useOperationProgress(operationId, { projectId: PROJECT })
  if (!data) return <li className="muted">{operationId}: loading…</li>
  return (
    <li data-testid={`operation-${operationId}`} data-status={data.status} data-percent={Math.round(data.percent)}>
      <div className="row">
        <strong>{data.operationType ?? 'operation'}</strong>
        <span className="badge" data-status={data.status}>
          {data.status}
        </span>
        <span className="muted">{data.stage}</span>
        <span style={{ marginLeft: 'auto' }} data-testid="percent">
          {Math.round(data.percent)}%
        </span>
      </div>
      <progress value={data.percent} max={100} />
      <div className="muted">
        {data.processedFiles}/{data.totalFiles} files{data.failedFiles ? `, ${data.failedFiles} failed` : ''}
        {data.etaMs !== undefined ? ` · about ${Math.ceil(data.etaMs / 1000)} s left` : ''}
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
        <span className="badge" data-testid="scan-state">
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
