// A frame lost while events still wait to be written: the write and the loss each asked REST again
// in the same turn, and TanStack cancelled the first request for the second (a re-read, 2026-12-06).
import { QueryClient, QueryObserver } from '@tanstack/query-core'
import { afterEach, expect, test } from 'vitest'
import { WebSocket } from 'ws'
import { z } from 'zod'
import { defineChannel, LiveStatusClient, liveQueryOptions } from '../../src/core'
import { startDialectServer, waitForData } from '../helpers/dialectServer'

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn()
})

type Item = { n: number; done: boolean }
type ItemEvent = { type: 'tick' | 'done' | 'bad'; id: string }

function setup(frames: string[]) {
  return startDialectServer({
    rest: { 'GET /items/a': () => ({ status: 200, body: { n: 0, done: false } }) },
    // The frames, then one that cannot be read (a frame lost).
    sockets: [{ match: (p) => p === '/ws/items', handle: (socket) => setTimeout(() => [...frames, '{"type":'].forEach((f) => socket.send(f)), 20) }],
  })
}

for (const [name, frames] of [
  ['an end', ['{"type":"tick","id":"a"}', '{"type":"done","id":"a"}']],
  ['an event the reducer throws on', ['{"type":"tick","id":"a"}', '{"type":"bad","id":"a"}']],
] as const) {
  test(`a loss with ${name} waiting to be written asks REST once, not twice with the first cancelled`, async () => {
    const server = await setup([...frames])
    cleanups.push(() => server.close())
    const signals: AbortSignal[] = []
    const client = new LiveStatusClient({
      apiUrl: server.apiUrl, accessToken: 'tok_0123456789abcdef', auth: { type: 'query' }, WebSocket, heartbeat: false,
      reconnect: { initialDelayMs: 5000, maxDelayMs: 5000, maxAttempts: 1, stableAfterMs: 5000 },
      // Nothing is written before the loss (frames of one task wait for the next animation frame): the loss writes what waits.
      scheduleFlush: () => () => {},
      onCallbackError: () => {},
    })
    const queryClient = new QueryClient()
    cleanups.push(() => client.dispose(), () => queryClient.clear())
    const channel = defineChannel<{ id: string }, ItemEvent, Item>({
      name: 'items',
      queryKey: ({ id }) => ['items', id],
      socket: () => '/ws/items',
      schema: z.object({ type: z.enum(['tick', 'done', 'bad']), id: z.string() }),
      route: { params: (p) => p.id, event: (e) => e.id },
      reduce: (d = { n: 0, done: false }, e) => {
        if (e.type === 'bad') throw new Error('reducer bug')
        return e.type === 'done' ? { ...d, done: true } : { ...d, n: d.n + 1 }
      },
      fetch: async ({ client: c, params, signal }) => (signals.push(signal), (await c.getJson(`/items/${params.id}`, { signal })) as Item),
      isActive: (d) => !d?.done,
      isTerminal: (d) => d?.done === true,
    })
    const params = { id: 'a' }
    const observer = new QueryObserver(queryClient, { ...liveQueryOptions(client, channel, params, { queryClient }), retry: false })
    cleanups.push(observer.subscribe(() => {}))
    cleanups.push(client.live(queryClient, channel, params))
    const key = channel.queryKey(params)
    // The first answer, then the loss's write and its REST read.
    await waitForData<Item>(queryClient, key, (d) => d !== undefined)
    await waitForData<Item>(queryClient, key, (d) => d?.n === 1)
    await expect.poll(() => signals.length).toBeGreaterThanOrEqual(2)
    await expect.poll(() => queryClient.getQueryState(key)?.fetchStatus).toBe('idle')
    // Before: three reads, the second cancelled by the third in the same turn.
    expect(signals.filter((s) => s.aborted)).toHaveLength(0)
    expect(signals).toHaveLength(2)
  })
}
