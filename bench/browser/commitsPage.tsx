// The page of bench/commitsChromium.ts: an app builder's build followed with `useLiveQuery` on a
// channel of its own (`batch-update` envelopes), React commits counted by a <Profiler>, display
// frames by a requestAnimationFrame loop.
import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { Profiler } from 'react'
import { createRoot } from 'react-dom/client'
import { z } from 'zod'
import { defineChannel, LiveStatusProvider, useLiveQuery } from '../../src'

const update = z.looseObject({ type: z.string(), data: z.unknown().optional(), sessionId: z.string().optional() })
type Build = { updates: number; last?: unknown }
const buildChannel = defineChannel<{ projectId: string }, z.infer<typeof update>, Build>({
  name: 'bench-build',
  queryKey: ({ projectId }) => ['bench-build', projectId],
  socket: (_client, { projectId }) => `/ws?projectId=${projectId}`,
  schema: update,
  reduce: (data, event) => ({ updates: (data?.updates ?? 0) + 1, last: event.data }),
  fetch: async ({ previous }) => previous ?? { updates: 0 },
  isActive: () => true,
})

const state = { commits: 0, frames: 0, updates: 0, target: 0, commitsToTarget: -1, framesToTarget: -1 }
const countFrames = () => {
  state.frames++
  requestAnimationFrame(countFrames)
}
requestAnimationFrame(countFrames)

function Build() {
  const { data } = useLiveQuery(buildChannel, { projectId: 'app1' })
  state.updates = data?.updates ?? 0
  return <span>{state.updates}</span>
}

const onCommit = () => {
  state.commits++
  if (state.commitsToTarget < 0 && state.updates >= state.target) {
    state.commitsToTarget = state.commits
    state.framesToTarget = state.frames
  }
}

createRoot(document.getElementById('root')!).render(
  <QueryClientProvider client={new QueryClient()}>
    <LiveStatusProvider apiUrl={location.origin} auth={{ type: 'none' }} batches={{ 'batch-update': 'updates' }}>
      <Profiler id="build" onRender={onCommit}>
        <Build />
      </Profiler>
    </LiveStatusProvider>
  </QueryClientProvider>,
)

Object.assign(globalThis, {
  commitsBench: {
    state,
    /** Counts from now until the cache holds `more` more updates. */
    expect(more: number) {
      Object.assign(state, { commits: 0, frames: 0, target: state.updates + more, commitsToTarget: -1, framesToTarget: -1 })
    },
  },
})
