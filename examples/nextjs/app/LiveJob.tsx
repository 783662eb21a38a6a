'use client'

import { ConnectionStatus, connectionStatusStyle, useIndexStatus, useOperationProgress } from 'live-status'

export function LiveJob({ projectId, operationId }: { projectId: string; operationId: string | null }) {
  const index = useIndexStatus({ projectId })
  const operation = useOperationProgress({ operationId, projectId })
  const percent = Math.round(operation.data?.percent ?? 0)
  return (
    <main>
      <h1>Project {projectId}</h1>
      <ConnectionStatus target={{ projectId }} style={connectionStatusStyle} />
      <p>
        Index: <strong>{index.data?.state ?? 'loading'}</strong>
        {index.data?.entityCount !== undefined ? ` · ${index.data.entityCount} entities` : ''}
      </p>
      {operationId ? (
        <section aria-labelledby="operation-title">
          <h2 id="operation-title" style={{ fontSize: '1rem' }}>
            Operation {operationId}: {operation.data?.status ?? 'loading'}
            {operation.data?.stage && operation.data.stage !== operation.data.status ? ` · ${operation.data.stage}` : ''}
          </h2>
          <progress value={percent} max={100} style={{ width: 320 }} aria-label={`Operation ${operationId} progress`} />
          <p>
            {percent}% · {operation.data?.processedFiles ?? 0}/{operation.data?.totalFiles ?? 0} files
          </p>
        </section>
      ) : null}
    </main>
  )
}
