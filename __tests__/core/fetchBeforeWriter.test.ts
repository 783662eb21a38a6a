// A REST fetch for the key that began before its live writer (a loader's prefetchQuery, or
// useQuery(liveQueryOptions) called before useLiveSubscription in a component) is not journaled:
// its answer, asked before the socket's events, replaced them and nothing refetched (an attacker's
// probe, 2026-12-06). Now a writer made while such a fetch is out joins it.
import { QueryClient, QueryObserver } from '@tanstack/query-core'
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

test('a reducer miss refetches even after an early (prefetch) fetch that ignored its abort was cancelled', async () => {
  const server = await startWsServer()
  cleanups.push(() => server.kill())
  let fetches = 0
  const channel = defineChannel<{ id: string }, { type: 'tick' | 'bad' }, { n: number }>({
    name: 'early-join',
    queryKey: ({ id }) => ['early-join', id],
    socket: () => '/ws/ej',
    schema: z.object({ type: z.enum(['tick', 'bad']) }),
    reduce: (d = { n: 0 }, e) => {
      if (e.type === 'bad') throw new Error('reducer cannot read this event')
      return { n: d.n + 1 }
    },
    // The loader's GET hangs and ignores its signal (a fetch wrapper not wired to AbortSignal);
    // every later GET answers at once.
    fetch: () => (++fetches === 1 ? new Promise<{ n: number }>(() => {}) : Promise.resolve({ n: 100 })),
    isActive: () => true,
  })
  const client = new LiveStatusClient({
    apiUrl: `http://127.0.0.1:${server.port}`, accessToken: 'eyJhbGciOiJIUzI1NiJ9.review-secret-token-value', auth: { type: 'query' }, WebSocket, heartbeat: false,
    quietCheckMs: false,
    onCallbackError: () => {},
    scheduleFlush: (flush) => (queueMicrotask(flush), () => {}),
  })
  const queryClient = new QueryClient()
  cleanups.push(() => client.dispose(), () => queryClient.clear())
  const params = { id: 'x' }
  const key = channel.queryKey(params)
  // Stale data from an earlier visit; the route loader prefetches before the page mounts.
  queryClient.setQueryData(key, { n: 0 })
  void queryClient.prefetchQuery(liveQueryOptions(client, channel, params, { queryClient })).catch(() => {})
  expect(fetches).toBe(1)
  // The page mounts: its writer joins the loader's fetch, then its observer.
  cleanups.push(client.live(queryClient, channel, params))
  const observer = new QueryObserver(queryClient, { ...liveQueryOptions(client, channel, params, { queryClient }), retry: false })
  cleanups.push(observer.subscribe(() => {}))
  await waitForStatus(client.hub.watchStatus(client.socketUrl('/ws/ej')), (s) => s.state === 'open')
  // Something invalidates (a mutation, a reconnect): TanStack aborts the hung loader fetch and asks again.
  await queryClient.invalidateQueries({ queryKey: key })
  await vi.waitFor(() => expect(queryClient.getQueryState(key)?.fetchStatus).toBe('idle'))
  expect(fetches).toBe(2)
  expect(queryClient.getQueryData(key)).toEqual({ n: 100 })
  // An event the reducer throws on: the cache lacks it, REST must be read again (no fetch is out).
  server.broadcast({ type: 'bad' })
  // Before (a review's finding), the aborted loader fetch's join was never closed: #fetchesInFlight
  // stayed 1, the miss only set #refetchAfter, and no close ever fired it.
  await vi.waitFor(() => expect(fetches).toBe(3), { timeout: 3000 })
})

test('control: the same miss refetches when the writer started the fetch itself', async () => {
  const server = await startWsServer()
  cleanups.push(() => server.kill())
  let fetches = 0
  const channel = defineChannel<{ id: string }, { type: 'tick' | 'bad' }, { n: number }>({
    name: 'early-join-control',
    queryKey: ({ id }) => ['early-join-control', id],
    socket: () => '/ws/ejc',
    schema: z.object({ type: z.enum(['tick', 'bad']) }),
    reduce: (d = { n: 0 }, e) => {
      if (e.type === 'bad') throw new Error('reducer cannot read this event')
      return { n: d.n + 1 }
    },
    fetch: () => (++fetches === 1 ? new Promise<{ n: number }>(() => {}) : Promise.resolve({ n: 100 })),
    isActive: () => true,
  })
  const client = new LiveStatusClient({
    apiUrl: `http://127.0.0.1:${server.port}`, accessToken: 'eyJhbGciOiJIUzI1NiJ9.review-secret-token-value', auth: { type: 'query' }, WebSocket, heartbeat: false,
    quietCheckMs: false,
    onCallbackError: () => {},
    scheduleFlush: (flush) => (queueMicrotask(flush), () => {}),
  })
  const queryClient = new QueryClient()
  cleanups.push(() => client.dispose(), () => queryClient.clear())
  const params = { id: 'x' }
  const key = channel.queryKey(params)
  queryClient.setQueryData(key, { n: 0 })
  cleanups.push(client.live(queryClient, channel, params))
  void queryClient.prefetchQuery(liveQueryOptions(client, channel, params, { queryClient })).catch(() => {})
  const observer = new QueryObserver(queryClient, { ...liveQueryOptions(client, channel, params, { queryClient }), retry: false })
  cleanups.push(observer.subscribe(() => {}))
  await waitForStatus(client.hub.watchStatus(client.socketUrl('/ws/ejc')), (s) => s.state === 'open')
  await queryClient.invalidateQueries({ queryKey: key })
  await vi.waitFor(() => expect(queryClient.getQueryState(key)?.fetchStatus).toBe('idle'))
  server.broadcast({ type: 'bad' })
  await vi.waitFor(() => expect(fetches).toBe(3), { timeout: 3000 })
})
