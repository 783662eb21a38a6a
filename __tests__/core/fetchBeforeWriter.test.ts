// A REST fetch for the key that began before its live writer (a loader's prefetchQuery, or
// useQuery(liveQueryOptions) called before useLiveSubscription in a component) is not journaled:
// its answer, asked before the socket's events, replaced them and nothing refetched (an attacker's
// probe, 2026-12-06). Now a writer made while such a fetch is out joins it.
import { QueryClient } from '@tanstack/query-core'
import { afterEach, expect, test, vi } from 'vitest'
import { WebSocket } from 'ws'
import { z } from 'zod'
import { defineChannel, LiveStatusClient, liveQueryOptions } from '../../src/core'
import { startWsServer, waitForStatus } from '../helpers/wsServer'

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn()
})

test('events written while an earlier-started fetch is out survive its answer (or a refetch follows)', async () => {
  const server = await startWsServer()
  cleanups.push(() => server.kill())
  let answer!: (lines: string[]) => void
  let restCalls = 0
  // A build log: each event appends one line; REST returns the lines stored when it was asked.
  const channel = defineChannel<{ id: string }, { type: 'line'; text: string }, string[]>({
    name: 'log',
    queryKey: ({ id }) => ['log', id],
    socket: () => '/ws/log',
    schema: z.object({ type: z.literal('line'), text: z.string() }),
    reduce: (lines = [], event) => [...lines, event.text],
    fetch: () => (restCalls++, restCalls === 1 ? new Promise<string[]>((resolve) => (answer = resolve)) : Promise.resolve(['a', 'b', 'c'])),
    isActive: () => true,
  })
  const client = new LiveStatusClient({
    apiUrl: `http://127.0.0.1:${server.port}`, accessToken: 'eyJhbGciOiJIUzI1NiJ9.probe-secret-token-value', auth: { type: 'query' }, WebSocket, heartbeat: false,
    scheduleFlush: (flush) => (queueMicrotask(flush), () => {}),
  })
  const queryClient = new QueryClient()
  cleanups.push(() => client.dispose(), () => queryClient.clear())
  const params = { id: 'build1' }
  // A route loader prefetches; the page mounts before the answer.
  const prefetch = queryClient.prefetchQuery(liveQueryOptions(client, channel, params, { queryClient }))
  cleanups.push(client.live(queryClient, channel, params))
  await waitForStatus(client.hub.watchStatus(client.socketUrl('/ws/log')), (s) => s.state === 'open')
  for (const text of ['a', 'b', 'c']) server.broadcast({ type: 'line', text })
  await vi.waitFor(() => expect(queryClient.getQueryData(['log', 'build1'])).toEqual(['a', 'b', 'c']))
  answer([]) // REST's state when the loader asked: before the three lines
  await prefetch
  // Before, the cache held [] (the three lines lost), and no refetch followed. The answer is taken
  // with the lines written since on top, as for a fetch the writer started.
  expect(queryClient.getQueryData(['log', 'build1'])).toEqual(['a', 'b', 'c'])
  expect(restCalls).toBe(1)
})
