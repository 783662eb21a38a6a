import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { useEffect, useState, type ReactNode } from 'react'
import { LiveStatusProvider, type LiveStatusProviderProps } from '../../src'
import { createMockLiveBackend, mockReferenceServer, type MockLiveBackend } from '../../src/testing'
import { documentIndexerEvents, documentIndexerOperationChannel } from '../../src/dialects/documentIndexer'

export type Reference = ReturnType<typeof mockReferenceServer>

export interface LiveStoryProps {
  /** Runs once the page is mounted; returns a cleanup (stop the scenario). */
  scenario: (backend: MockLiveBackend, server: Reference) => (() => void) | void
  /** Extra provider props (faster heartbeat, a custom online source, …). */
  provider?: Partial<LiveStatusProviderProps>
  children: ReactNode
}

interface World {
  backend: MockLiveBackend
  server: Reference
  queryClient: QueryClient
}

function createWorld(): World {
  const backend = createMockLiveBackend()
  const server = mockReferenceServer(backend, { operationChannel: documentIndexerOperationChannel })
  // The project's socket and REST routes exist before the page connects, as on a real server.
  server.project('p1')
  return { backend, server, queryClient: new QueryClient() }
}

/**
 * A story's whole world: a mock backend speaking the reference server's protocol (in the browser,
 * through mock-socket), a QueryClient, and the provider wired to them.
 *
 * The world is made and disposed by one effect, so each mount owns one: StrictMode's extra
 * unmount/mount (Storybook's dev server runs stories in StrictMode) disposes the first world and
 * makes a fresh one, instead of leaving the page on a disposed backend that refuses every socket.
 */
export function LiveStory({ scenario, provider, children }: LiveStoryProps) {
  const [world, setWorld] = useState<World | null>(null)
  useEffect(() => {
    const fresh = createWorld()
    setWorld(fresh)
    return () => {
      fresh.backend.dispose()
      fresh.queryClient.clear()
    }
  }, [])
  useEffect(() => (world ? (scenario(world.backend, world.server) ?? undefined) : undefined), [world, scenario])
  if (!world) return null
  return (
    <QueryClientProvider client={world.queryClient}>
      <LiveStatusProvider
        apiUrl={world.backend.apiUrl}
        accessToken="story-token"
        WebSocket={world.backend.WebSocket}
        fetch={world.backend.fetch}
        pollIntervalMs={1000}
        reconnect={{ initialDelayMs: 500, maxDelayMs: 2000 }}
        // The scenarios play the document indexer's worker events through the reference server.
        dialect={documentIndexerEvents}
        {...provider}
      >
        {children}
      </LiveStatusProvider>
    </QueryClientProvider>
  )
}
