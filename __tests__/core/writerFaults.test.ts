// The cache writer (LiveQuerySync) against odd `seq` values and app callbacks that throw (an attacker's probe, 2026-12-06).
import { QueryClient, QueryObserver } from '@tanstack/query-core'
import { afterEach, expect, test, vi } from 'vitest'
import { WebSocket } from 'ws'
import { z } from 'zod'
import { defineChannel, LiveStatusClient, liveQueryOptions, operationProgressChannel, type OperationProgress } from '../../src/core'
import { startDialectServer, waitForData } from '../helpers/dialectServer'

const TOKEN = 'eyJhbGciOiJIUzI1NiJ9.probe-secret-token-value'
const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn()
})

function clientFor(apiUrl: string, extra: Partial<ConstructorParameters<typeof LiveStatusClient>[0]> = {}) {
  const errors: unknown[] = []
  const client = new LiveStatusClient({
    apiUrl, accessToken: TOKEN, auth: { type: 'query' }, WebSocket, heartbeat: false,
    reconnect: { initialDelayMs: 20, maxDelayMs: 40, maxAttempts: 5, stableAfterMs: 5000 },
    scheduleFlush: (flush) => (queueMicrotask(flush), () => {}),
    onCallbackError: (e) => errors.push(e),
    ...extra,
  })
  const queryClient = new QueryClient()
  cleanups.push(() => client.dispose(), () => queryClient.clear())
  return { client, queryClient, errors }
}

test('64-bit `seq` values (snowflake ids, > 2^53) do not make later events look like repeats', async () => {
  // Three consecutive ids of one millisecond: JSON.parse reads them as the same double.
  const frames = [1, 2, 3].map((n) => `{"type":"file_completed","operation_id":"op1","processed_files":${n},"total_files":4,"seq":170000000000000000${n}}`)
  const server = await startDialectServer({
    rest: { 'GET /api/operations/op1': () => ({ status: 200, body: { id: 'op1', status: 'processing', processed_files: 0, total_files: 4 } }) },
    sockets: [{ match: (p) => p === '/ws/operations/op1', handle: (socket) => setTimeout(() => frames.forEach((f) => socket.send(f)), 50) }],
  })
  cleanups.push(() => server.close())
  const { client, queryClient } = clientFor(server.apiUrl)
  const params = { operationId: 'op1' }
  const observer = new QueryObserver(queryClient, { ...liveQueryOptions(client, operationProgressChannel, params, { queryClient }), retry: false })
  cleanups.push(observer.subscribe(() => {}))
  cleanups.push(client.live(queryClient, operationProgressChannel, params))
  const key = operationProgressChannel.queryKey(params)
  await waitForData<OperationProgress>(queryClient, key, (d) => d?.processedFiles === 3)
  // Before, 2 and 3 were dropped as repeats of seq 1.7e18 (no count, no refetch).
  expect(queryClient.getQueryData<OperationProgress>(key)?.processedFiles).toBe(3)
})

test("one query's channel onOpen that throws does not stop the other queries of the socket from refetching after a reconnect", async () => {
  let restA = 0
  let sockets = 0
  const server = await startDialectServer({
    rest: {
      'GET /items/a': () => (restA++, { status: 200, body: { n: restA } }),
      'GET /items/b': () => ({ status: 200, body: { n: 0 } }),
    },
    // The first socket dies after 100 ms (a deploy); the second stays.
    sockets: [{ match: (p) => p === '/ws/items', handle: (socket) => { if (++sockets === 1) setTimeout(() => socket.close(1012, 'restart'), 100) } }],
  })
  cleanups.push(() => server.close())
  const { client, queryClient, errors } = clientFor(server.apiUrl)
  const channel = defineChannel<{ id: string }, { type: 'tick'; id: string }, { n: number }>({
    name: 'items',
    queryKey: ({ id }) => ['items', id],
    socket: () => '/ws/items',
    schema: z.object({ type: z.literal('tick'), id: z.string() }),
    route: { params: (p) => p.id, event: (e) => e.id },
    reduce: (d = { n: 0 }) => ({ n: d.n + 1 }),
    fetch: async ({ client: c, params }) => (await c.getJson(`/items/${params.id}`)) as { n: number },
    isActive: () => true,
    // A careless subscribe message: one query's params lack what it reads.
    onOpen: ({ params }) => {
      if (params.id === 'b') throw new Error('onOpen bug for b')
    },
  })
  for (const id of ['b', 'a']) {
    const params = { id }
    const observer = new QueryObserver(queryClient, { ...liveQueryOptions(client, channel, params, { queryClient }), retry: false })
    cleanups.push(observer.subscribe(() => {}))
    cleanups.push(client.live(queryClient, channel, params))
  }
  // Before, 'b' threw first in the router's loop; 'a' never heard of the reconnect, so it did not
  // refetch what it may have missed (restA stayed 1).
  await vi.waitFor(() => expect(restA).toBe(2), { timeout: 5000 })
  expect(sockets).toBe(2)
  expect(errors.map(String)).toContain('Error: onOpen bug for b')
})

test('a channel `matches` that throws on one event is followed by a refetch, as a reducer that throws is', async () => {
  let rest = 0
  const server = await startDialectServer({
    rest: { 'GET /items/a': () => (rest++, { status: 200, body: { n: 10 * rest } }) },
    sockets: [{ match: (p) => p === '/ws/items', handle: (socket) => setTimeout(() => socket.send(JSON.stringify({ type: 'tick', id: 'a', odd: true })), 50) }],
  })
  cleanups.push(() => server.close())
  const { client, queryClient, errors } = clientFor(server.apiUrl)
  const channel = defineChannel<{ id: string }, { type: 'tick'; id: string; odd?: boolean }, { n: number }>({
    name: 'items-matches',
    queryKey: ({ id }) => ['items-m', id],
    socket: () => '/ws/items',
    schema: z.object({ type: z.literal('tick'), id: z.string(), odd: z.boolean().optional() }),
    matches: (event) => {
      if (event.odd) throw new Error('matches bug')
      return true
    },
    reduce: (d = { n: 0 }) => ({ n: d.n + 1 }),
    fetch: async ({ client: c }) => (await c.getJson('/items/a')) as { n: number },
    isActive: () => true,
  })
  const params = { id: 'a' }
  const observer = new QueryObserver(queryClient, { ...liveQueryOptions(client, channel, params, { queryClient }), retry: false })
  cleanups.push(observer.subscribe(() => {}))
  cleanups.push(client.live(queryClient, channel, params))
  // Before, the event never reached the cache and nothing re-read REST (rest stayed 1).
  await vi.waitFor(() => expect(rest).toBe(2), { timeout: 5000 })
  expect(errors.map(String)).toEqual(['Error: matches bug'])
  await vi.waitFor(() => expect(queryClient.getQueryData(['items-m', 'a'])).toEqual({ n: 20 }))
})
