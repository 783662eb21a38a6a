// A frame lost while events still wait to be written: the write and the loss each asked REST again
// in the same turn, and TanStack cancelled the first request for the second (a re-read, 2026-12-06).
import { QueryClient, QueryObserver } from '@tanstack/query-core'
import { afterEach, expect, test, vi } from 'vitest'
import { WebSocket } from 'ws'
import { z } from 'zod'
import { defineChannel, LiveStatusClient, liveQueryOptions } from '../../src/core'
import { LiveQuerySync, type SyncHost } from '../../src/sync/liveQuerySync'
import { startDialectServer, waitForData } from '../helpers/dialectServer'

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  vi.useRealTimers()
  for (const fn of cleanups.splice(0).reverse()) await fn()
})

type Item = { n: number; done: boolean }
type ItemR = Item & { result?: string }
type ItemEvent = { type: 'tick' | 'done' | 'bad'; id: string }

/**
 * `send()` sends the frames, then one that cannot be read (a frame lost), on the socket that
 * connected. The test calls it once the first REST answer is in the cache: on a loaded machine that
 * answer could come after the frames, and a loss while the first read is out rightly reads again
 * (that read was sent before the lost frame), cancelling the first.
 */
async function setup(frames: string[]) {
  const sockets: { send: (data: string) => void }[] = []
  const server = await startDialectServer({
    rest: { 'GET /items/a': () => ({ status: 200, body: { n: 0, done: false } }) },
    sockets: [{ match: (p) => p === '/ws/items', handle: (socket) => void sockets.push(socket) }],
  })
  const send = async () => {
    await expect.poll(() => sockets.length).toBe(1)
    for (const frame of [...frames, '{"type":']) sockets[0]!.send(frame)
  }
  return { ...server, send }
}

/**
 * A client following item `a` of `apiUrl` (one query, its writer and a subscribed observer), which
 * writes nothing before a loss (frames of one task wait for the next animation frame: the loss
 * writes what waits). `signals`: one per REST read.
 */
function followItems(apiUrl: string) {
  const signals: AbortSignal[] = []
  const client = new LiveStatusClient({
    apiUrl, accessToken: 'tok_0123456789abcdef', auth: { type: 'query' }, WebSocket, heartbeat: false,
    reconnect: { initialDelayMs: 5000, maxDelayMs: 5000, maxAttempts: 1, stableAfterMs: 5000 },
    scheduleFlush: () => () => {},
    onCallbackError: () => {},
  })
  const queryClient = new QueryClient()
  cleanups.push(() => client.dispose(), () => queryClient.clear())
  const channel = defineChannel<{ id: string }, ItemEvent, ItemR>({
    name: 'items',
    queryKey: ({ id }) => ['items', id],
    socket: () => '/ws/items',
    schema: z.object({ type: z.enum(['tick', 'done', 'bad']), id: z.string() }),
    route: { params: (p) => p.id, event: (e) => e.id },
    reduce: (d = { n: 0, done: false }, e) => {
      if (e.type === 'bad') throw new Error('reducer bug')
      return e.type === 'done' ? { ...d, done: true } : { ...d, n: d.n + 1 }
    },
    fetch: async ({ client: c, params, signal }) => (signals.push(signal), (await c.getJson(`/items/${params.id}`, { signal })) as ItemR),
    isActive: (d) => !d?.done,
    isTerminal: (d) => d?.done === true,
  })
  const params = { id: 'a' }
  const observer = new QueryObserver(queryClient, { ...liveQueryOptions(client, channel, params, { queryClient }), retry: false })
  cleanups.push(observer.subscribe(() => {}))
  cleanups.push(client.live(queryClient, channel, params))
  return { queryClient, key: channel.queryKey(params), signals }
}

for (const [name, frames] of [
  ['an end', ['{"type":"tick","id":"a"}', '{"type":"done","id":"a"}']],
  ['an event the reducer throws on', ['{"type":"tick","id":"a"}', '{"type":"bad","id":"a"}']],
] as const) {
  test(`a loss with ${name} waiting to be written asks REST once, not twice with the first cancelled`, async () => {
    const server = await setup([...frames])
    cleanups.push(() => server.close())
    const { queryClient, key, signals } = followItems(server.apiUrl)
    // The first answer, then the frames, the loss's write and its REST read.
    await waitForData<Item>(queryClient, key, (d) => d !== undefined)
    await server.send()
    await waitForData<Item>(queryClient, key, (d) => d?.n === 1)
    await expect.poll(() => signals.length).toBeGreaterThanOrEqual(2)
    await expect.poll(() => queryClient.getQueryState(key)?.fetchStatus).toBe('idle')
    // Before: three reads, the second cancelled by the third in the same turn.
    expect(signals.filter((s) => s.aborted)).toHaveLength(0)
    expect(signals).toHaveLength(2)
  })
}

// A review's probes: a loss asked REST, and an end written later in the same turn was never checked
// against REST (its refetch was dropped, and the fetch already out did not know of the end);
// and fake timers that fake queueMicrotask kept every later refetch dropped.
test('an end written in the same turn as an earlier loss still gets REST re-read until REST agrees', async () => {
  const started = Date.now()
  let reads = 0
  const server = await startDialectServer({
    rest: {
      // REST lags: it learns of the end 300 ms after the socket said it.
      'GET /items/a': () => (reads++, Date.now() - started > 600 ? { status: 200, body: { n: 1, done: true, result: 'final' } } : { status: 200, body: { n: 0, done: false } }),
    },
    sockets: [
      {
        match: (p) => p === '/ws/items',
        // One TCP chunk: tick, a lost frame, the end, another lost frame (ws emits them in one turn).
        handle: (socket) => setTimeout(() => ['{"type":"tick","id":"a"}', '{"type":', '{"type":"done","id":"a"}', '{"type":'].forEach((f) => socket.send(f)), 300),
      },
    ],
  })
  cleanups.push(() => server.close())
  const { queryClient, key } = followItems(server.apiUrl)
  await waitForData<ItemR>(queryClient, key, (d) => d?.done === true)
  // REST's own answer (result: 'final') arrives with the first "REST agrees" re-read (1 s after the lagging answer).
  await expect.poll(() => queryClient.getQueryData<ItemR>(key)?.result, { timeout: 3000 }).toBe('final')
}, 10_000)

test('a loss in a later task refetches again while queueMicrotask is faked', async () => {
  vi.useFakeTimers({ toFake: ['queueMicrotask'] })
  const queryClient = new QueryClient()
  const host = {
    flushQueue: { add: () => {}, delete: () => {}, onError: () => {} },
    quietCheckMs: false,
    socketStatus: () => undefined,
  } as unknown as SyncHost
  let fetches = 0
  const channel = {
    queryKey: () => ['probe'],
    reduce: (d: unknown) => d,
    fetch: async () => ({ n: ++fetches }),
    isActive: () => true,
  } as never
  const sync = new LiveQuerySync<unknown, unknown, { n: number }>(queryClient, host, channel, {}, null, false)
  const observer = new QueryObserver(queryClient, { queryKey: ['probe'], queryFn: ({ signal }) => sync.fetch(signal), retry: false })
  const off = observer.subscribe(() => {})
  await new Promise((r) => setTimeout(r, 50))
  expect(queryClient.getQueryData(['probe'])).toEqual({ n: 1 })
  sync.lost()
  await new Promise((r) => setTimeout(r, 50))
  expect(queryClient.getQueryData(['probe'])).toEqual({ n: 2 })
  // A later task, a later loss (vi.waitFor is not used: it advances the fake clock).
  sync.lost()
  await new Promise((r) => setTimeout(r, 50))
  expect(fetches).toBe(3)
  off()
})
