'use client'

import { ConnectionStatus, useIndexStatus, useOperationProgress } from 'live-status'
import { useEffect, useState } from 'react'

export function LiveJob({ projectId, operationId }: { projectId: string; operationId: string | null }) {
  const index = useIndexStatus(projectId)
  const operation = useOperationProgress(operationId, { projectId })
  const [hydrated, setHydrated] = useState(false)
  useEffect(() => setHydrated(true), [])
  return (
    <main data-hydrated={hydrated ? 'true' : 'false'}>
      <h1>Project {projectId}</h1>
      <ConnectionStatus target={{ projectId }} styled />
      <p>
        Index: <strong data-testid="index-state">{index.data?.state ?? 'loading'}</strong>
        {index.data?.entityCount !== undefined ? ` · ${index.data.entityCount} entities` : ''}
      </p>
      {operationId ? (
        <section data-testid="operation" data-status={operation.data?.status ?? 'loading'} data-percent={Math.round(operation.data?.percent ?? 0)}>
          <p>
            Operation {operationId}: {operation.data?.status ?? 'loading'} {operation.data?.stage ? `· ${operation.data.stage}` : ''}
          </p>
          <progress value={operation.data?.percent ?? 0} max={100} style={{ width: 320 }} />
          <p>
            {Math.round(operation.data?.percent ?? 0)}% · {operation.data?.processedFiles ?? 0}/{operation.data?.totalFiles ?? 0} files
          </p>
        </section>
      ) : null}
    </main>
  )
}
