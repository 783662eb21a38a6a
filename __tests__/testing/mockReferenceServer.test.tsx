// @vitest-environment happy-dom
import { act, screen } from '@testing-library/react'
import { expect, test } from 'vitest'
import { useDirectoryScan, useIndexStatus, useOperationProgress } from '../../src'
import { createMockLiveBackend, mockReferenceServer, mockScanSocket, operationEvents, playScenario, every } from '../../src/testing'
import { advance, setupLive, useFakeLiveClock } from '../helpers/renderWithLive'
import { documentIndexerEvents, documentIndexerOperationChannel } from '../../src/dialects/documentIndexer'

useFakeLiveClock()

function Page() {
  const index = useIndexStatus('p1')
  const operation = useOperationProgress('op1', { projectId: 'p1' })
  const scan = useDirectoryScan()
  return (
    <div>
      <span data-testid="index">{index.data?.state ?? 'loading'}</span>
      <span data-testid="operation">{operation.data ? `${operation.data.status}:${Math.round(operation.data.percent)}:${operation.data.stage ?? ''}` : 'loading'}</span>
      <span data-testid="scan">{`${scan.data.state}:${scan.data.count}`}</span>
      <button onClick={() => scan.start({ path: '/documents' })}>Scan</button>
    </div>
  )
}
const text = (id: string) => screen.getByTestId(id).textContent

test('the hooks run unchanged against the mock reference server, driven by scripted scenarios', async () => {
  const backend = createMockLiveBackend()
  const server = mockReferenceServer(backend, { operationChannel: documentIndexerOperationChannel })
  server.project('p1')
  mockScanSocket(backend, '/ws/scan/00000000-0000-4000-8000-0000000000aa', { tickMs: 10 })
  // The scripts are the document indexer's worker events, relayed by the reference server.
  const { renderLive } = setupLive({ fetch: backend.fetch, dialect: documentIndexerEvents }, backend)
  globalThis.crypto.randomUUID = () => '00000000-0000-4000-8000-0000000000aa'
  renderLive(<Page />)
  await advance()
  expect(text('index')).toBe('not_indexed')

  const script = playScenario([
    { afterMs: 100, run: () => server.publish('p1', { type: 'index_started', project_id: 'p1' }) },
    ...every(operationEvents('reindex', 10), 50, (event) => server.publish('p1', { ...event, operation_id: 'op1' })),
    { afterMs: 100, run: () => server.publish('p1', { type: 'index_complete', project_id: 'p1', entity_count: 42 }) },
  ])
  await advance(150)
  expect(text('index')).toBe('indexing')
  await advance(300)
  expect(text('operation')).toMatch(/^processing:\d+:reprocessing$/)
  await advance(2000)
  await script.done
  expect(text('index')).toBe('complete')
  expect(text('operation')).toBe('completed:100:completed')

  act(() => screen.getByText('Scan').click())
  await advance(1000)
  expect(text('scan')).toBe('completed:300')
})
