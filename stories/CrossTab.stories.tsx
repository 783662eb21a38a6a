import type { Meta, StoryObj } from '@storybook/react-vite'
import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { useEffect, useState, useSyncExternalStore } from 'react'
import { expect, waitFor, within } from 'storybook/test'
import { LiveStatusProvider } from '../src'
import { createCrossTab, type CrossTab } from '../src/transport/crossTab'
import { createMockLiveBackend, every, mockReferenceServer, operationEvents, playScenario, type MockLiveBackend } from '../src/testing'
import { OperationView } from './support/views'
import { documentIndexerEvents, documentIndexerOperationChannel } from '../src/dialects/documentIndexer'

const meta: Meta = { title: 'Cross-tab sharing' }
export default meta

let stories = 0

interface World {
  backend: MockLiveBackend
  tabs: { name: string; crossTab: CrossTab; queryClient: QueryClient }[]
}

/**
 * Two "tabs" of one browser profile, side by side: each has its own QueryClient, provider and
 * `createCrossTab` (its own tab id), as two real tabs would. Web Locks and BroadcastChannel work
 * between objects of one document as between documents, so the leader/follower protocol runs
 * exactly as across tabs: one mock socket serves both panels.
 */
function TwoTabs() {
  const [world, setWorld] = useState<World | null>(null)
  useEffect(() => {
    const backend = createMockLiveBackend()
    const server = mockReferenceServer(backend, { operationChannel: documentIndexerOperationChannel })
    server.project('p1')
    const key = `story-${++stories}-${Math.random().toString(36).slice(2)}`
    const tabs = ['Tab A', 'Tab B'].map((name) => ({ name, crossTab: createCrossTab({ key, tabId: name })!, queryClient: new QueryClient() }))
    setWorld({ backend, tabs })
    const stop = playScenario(every(operationEvents('index', 30), 120, (event) => server.publish('p1', { ...event, operation_id: 'op1' }))).stop
    return () => {
      stop()
      backend.dispose()
      for (const tab of tabs) tab.queryClient.clear()
    }
  }, [])
  const sockets = useSockets(world?.backend)
  if (!world) return null
  return (
    <div style={{ display: 'grid', gap: 16 }}>
      <p data-testid="sockets">
        Sockets to the server: <strong>{sockets}</strong>
      </p>
      <div style={{ display: 'grid', gridTemplateColumns: '1fr 1fr', gap: 16 }}>
        {world.tabs.map((tab) => (
          <section key={tab.name} aria-label={tab.name} style={{ border: '1px solid #d0d5dd', borderRadius: 8, padding: 12 }}>
            <h3 style={{ marginTop: 0 }}>
              {tab.name} · <Role crossTab={tab.crossTab} />
            </h3>
            <QueryClientProvider client={tab.queryClient}>
              <LiveStatusProvider
                dialect={documentIndexerEvents}
                apiUrl={world.backend.apiUrl}
                accessToken="story-token"
                WebSocket={world.backend.WebSocket}
                fetch={world.backend.fetch}
                crossTab={tab.crossTab}
                pollIntervalMs={1000}
              >
                <OperationView operationId="op1" />
              </LiveStatusProvider>
            </QueryClientProvider>
          </section>
        ))}
      </div>
    </div>
  )
}

function Role({ crossTab }: { crossTab: CrossTab }) {
  const leading = useSyncExternalStore(
    (listener) => crossTab.onRoleChange(listener),
    () => crossTab.roles().some((role) => role.leading),
  )
  return <span data-testid="role">{leading ? 'leads (holds the socket)' : 'follows'}</span>
}

function useSockets(backend: MockLiveBackend | undefined): number {
  const [count, setCount] = useState(0)
  useEffect(() => {
    if (!backend) return
    const timer = setInterval(() => setCount(backend.live()), 100)
    return () => clearInterval(timer)
  }, [backend])
  return count
}

/** One socket, two tabs: both follow the same operation to 100%; one leads, the other follows. */
export const TwoTabsOneSocket: StoryObj = {
  render: () => <TwoTabs />,
  play: async ({ canvasElement }) => {
    const canvas = within(canvasElement)
    // The tabs render after an effect made their world: found, not got (a loaded machine played first).
    const tabs = await Promise.all(['Tab A', 'Tab B'].map(async (name) => within(await canvas.findByRole('region', { name }, { timeout: 8000 }))))
    await waitFor(() => expect(canvas.getByTestId('sockets')).toHaveTextContent('Sockets to the server: 1'), { timeout: 8000 })
    await waitFor(
      () => {
        for (const tab of tabs) expect(tab.getByTestId('status')).toHaveTextContent('completed')
      },
      { timeout: 20_000 },
    )
    for (const tab of tabs) await expect(tab.getByTestId('percent')).toHaveTextContent('100%')
    const roles = tabs.map((tab) => tab.getByTestId('role').textContent)
    await expect(roles.filter((role) => role?.startsWith('leads'))).toHaveLength(1)
    await expect(canvas.getByTestId('sockets')).toHaveTextContent('Sockets to the server: 1')
  },
}
