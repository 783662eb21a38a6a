// While a REST fetch is out, every flushed event is kept (the journal) to be re-applied on
// its answer. A server that never answers the GET but keeps streaming grew it without bound (an
// attacker's probe, 2026-12-06): past MAX_JOURNAL_EVENTS it is let go and REST is read again.
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

test('events streamed while a REST fetch hangs are not all retained (memory bounded)', async () => {
  const server = await startWsServer()
  cleanups.push(() => server.kill())
  let release!: (value: { n: number }) => void
  const hanging = new Promise<{ n: number }>((resolve) => (release = resolve))
  let reductions = 0
  let fetches = 0
  const channel = defineChannel<{ id: string }, { type: 'tick' }, { n: number }>({
    name: 'journal',
    queryKey: ({ id }) => ['journal', id],
    socket: () => '/ws/j',
    schema: z.object({ type: z.literal('tick') }),
    reduce: (d = { n: 0 }) => (reductions++, { n: d.n + 1 }),
    // The first GET hangs (the server accepted it and answers only much later); REST has caught up by the next.
    fetch: () => (++fetches === 1 ? hanging : Promise.resolve({ n: 20_000 })),
    isActive: () => true,
  })
  const client = new LiveStatusClient({
    apiUrl: `http://127.0.0.1:${server.port}`, accessToken: 'eyJhbGciOiJIUzI1NiJ9.probe-secret-token-value', auth: { type: 'query' }, WebSocket, heartbeat: false,
    quietCheckMs: false,
    scheduleFlush: (flush) => { const t = setTimeout(flush, 1); return () => clearTimeout(t) },
  })
  const queryClient = new QueryClient()
  cleanups.push(() => client.dispose(), () => queryClient.clear())
  const params = { id: 'a' }
  // The writer first, as useLiveQuery's effects order it: the fetch is then journaled.
  cleanups.push(client.live(queryClient, channel, params))
  const observer = new QueryObserver(queryClient, { ...liveQueryOptions(client, channel, params, { queryClient }), retry: false })
  cleanups.push(observer.subscribe(() => {}))
  await waitForStatus(client.hub.watchStatus(client.socketUrl('/ws/j')), (s) => s.state === 'open')
  const EVENTS = 20_000
  for (let i = 0; i < EVENTS; i += 500) {
    server.broadcast({ type: 'batch', events: Array.from({ length: 500 }, () => ({ type: 'tick' })) })
    // One batch written at a time, so each is its own journal entry, as a stream's frames are.
    await vi.waitFor(() => expect(queryClient.getQueryData<{ n: number }>(['journal', 'a'])?.n).toBe(i + 500))
  }
  const before = reductions
  release({ n: 0 })
  await vi.waitFor(() => expect(queryClient.getQueryState(['journal', 'a'])?.fetchStatus).toBe('idle'))
  // Before, all 20,000 events were held until the answer (and would be for hours with a hung GET),
  // then replayed. Now none is: the answer, older than what the cache holds, is not taken, and
  // REST is read again.
  await vi.waitFor(() => expect(fetches).toBe(2))
  await vi.waitFor(() => expect(queryClient.getQueryState(['journal', 'a'])?.fetchStatus).toBe('idle'))
  expect(reductions - before).toBe(0)
  expect(queryClient.getQueryData(['journal', 'a'])).toEqual({ n: EVENTS })
})
