import { ConnectionStatus, connectionStatusStyle, useDirectoryScan, useIndexStatus, useOperationEta, useOperationProgress } from '../../src'

/** Small views the stories share: what an app would render with each hook. */
export function IndexView({ projectId = 'p1' }: { projectId?: string }) {
  const { data, isOutOfSync, reindex, isReindexing } = useIndexStatus(projectId)
  return (
    <div style={{ display: 'grid', gap: 8, maxWidth: 420 }}>
      <ConnectionStatus target={{ projectId }} style={connectionStatusStyle} />
      <div>
        Index: <strong data-testid="index-state">{data?.state ?? 'loading'}</strong>
        {data?.entityCount !== undefined ? <span data-testid="entity-count"> · {data.entityCount} entities</span> : null}
      </div>
      {data?.error ? <div role="alert">{data.error}</div> : null}
      {isOutOfSync ? <div data-testid="stale">Not updating</div> : null}
      <button onClick={reindex} disabled={isReindexing}>
        Reindex
      </button>
    </div>
  )
}

export function OperationView({ operationId, projectId = 'p1' }: { operationId: string; projectId?: string }) {
  const { data, isOutOfSync } = useOperationProgress(operationId, { projectId })
  const etaMs = useOperationEta(data)
  return (
    <div style={{ display: 'grid', gap: 6, maxWidth: 420 }} data-testid={`operation-${operationId}`} data-status={data?.status ?? 'loading'}>
      <ConnectionStatus target={{ projectId }} style={connectionStatusStyle} />
      <div>
        <strong>{data?.operationType ?? 'operation'}</strong> · <span data-testid="status">{data?.status ?? 'loading'}</span> ·{' '}
        <span data-testid="stage">{data?.stage ?? ''}</span>
      </div>
      <progress value={data?.percent ?? 0} max={100} style={{ width: '100%' }} />
      <div>
        <span data-testid="percent">{Math.round(data?.percent ?? 0)}%</span> · <span data-testid="files">{data ? `${data.processedFiles}/${data.totalFiles}` : ''}</span> files
        {etaMs !== undefined ? ` · about ${Math.ceil(etaMs / 1000)} s left` : ''}
      </div>
      {isOutOfSync ? <div data-testid="stale">Not updating</div> : null}
    </div>
  )
}

export function ScanView() {
  const { start, cancel, data } = useDirectoryScan()
  return (
    <div style={{ display: 'grid', gap: 8, maxWidth: 420 }}>
      <div style={{ display: 'flex', gap: 8 }}>
        <button onClick={() => start({ path: '/documents', recursive: true })} disabled={data.state === 'scanning'}>
          Scan /documents
        </button>
        <button onClick={cancel} disabled={data.state !== 'scanning'}>
          Cancel
        </button>
      </div>
      <div>
        <strong data-testid="scan-state">{data.state}</strong> · <span data-testid="scan-progress">{`${data.scanned}/${data.total}`}</span>
      </div>
      {data.state === 'scanning' ? <progress value={data.scanned} max={data.total || 1} style={{ width: '100%' }} /> : null}
      {data.state === 'completed' ? (
        <div data-testid="scan-result">
          {data.count} files · {(data.totalSize / 1e6).toFixed(1)} MB · {data.warnings.length} warning
        </div>
      ) : null}
    </div>
  )
}
