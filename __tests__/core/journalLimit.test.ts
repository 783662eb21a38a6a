// While a REST fetch is out, every flushed event is kept (the journal) to be applied again on its
// answer. A server that never answered the GET but kept streaming grew it without bound (an
// attacker's probe, 2026-12-06); a limit of 10,000 then turned a fast stream into back-to-back
// REST calls whose answers were all dropped (a review). Now: up to MAX_JOURNAL_EVENTS the answer is
// taken with the events on top; past it the answer is not taken, and REST is read again after a
// backoff.
import { QueryClient, QueryObserver } from '@tanstack/query-core'
import { afterEach, expect, test, vi } from 'vitest'
import { WebSocket } from 'ws'
import { z } from 'zod'
import { defineChannel, LiveStatusClient, liveQueryOptions } from '../../src/core'
import { MAX_JOURNAL_EVENTS } from '../../src/sync/liveQuerySync'
import { startWsServer, waitForStatus } from '../helpers/wsServer'

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn()
})

type Data = { n: number; rest?: number }
const BATCH = 2000

/** A writer whose first GET answers only when told (`answer`); later GETs answer at once with `{ n: caughtUp, rest }`. */
async function setup(caughtUp: number) {
  const server = await startWsServer()
  cleanups.push(() => server.kill())
  let answer!: (value: Data) => void
  let reductions = 0
  let fetches = 0
  const channel = defineChannel<{ id: string }, { type: 'tick' }, Data>({
    name: 'journal',
    queryKey: ({ id }) => ['journal', id],
    socket: () => '/ws/j',
    schema: z.object({ type: z.literal('tick') }),
    reduceMany: (d = { n: 0 }, events) => ((reductions += events.length), { ...d, n: d.n + events.length }),
    reduce: (d = { n: 0 }) => (reductions++, { ...d, n: d.n + 1 }),
    fetch: () => (++fetches === 1 ? new Promise<Data>((resolve) => (answer = resolve)) : Promise.resolve({ n: caughtUp, rest: fetches })),
    isActive: () => true,
  })
  const client = new LiveStatusClient({
    apiUrl: `http://127.0.0.1:${server.port}`, accessToken: 'eyJhbGciOiJIUzI1NiJ9.journal-secret-token-value', auth: { type: 'query' }, WebSocket, heartbeat: false,
    quietCheckMs: false,
    maxPayloadBytes: 1 << 22,
    scheduleFlush: (flush) => (queueMicrotask(flush), () => {}),
  })
  const queryClient = new QueryClient()
  cleanups.push(() => client.dispose(), () => queryClient.clear())
  const params = { id: 'a' }
  const key = channel.queryKey(params)
  // The writer first, as useLiveQuery's effects order it: the fetch is then journaled.
  cleanups.push(client.live(queryClient, channel, params))
  const observer = new QueryObserver(queryClient, { ...liveQueryOptions(client, channel, params, { queryClient }), retry: false })
  cleanups.push(observer.subscribe(() => {}))
  await waitForStatus(client.hub.watchStatus(client.socketUrl('/ws/j')), (s) => s.state === 'open')
  const stream = async (events: number) => {
    for (let i = 0; i < events; i += BATCH) {
      server.broadcast({ type: 'batch', events: Array.from({ length: BATCH }, () => ({ type: 'tick' })) })
      // One frame written at a time, so each is its own journal entry, as a stream's frames are.
      await vi.waitFor(() => expect(queryClient.getQueryData<Data>(key)?.n).toBe(i + BATCH))
    }
  }
  return { queryClient, key, stream, answer: (value: Data) => answer(value), fetches: () => fetches, reductions: () => reductions }
}

test('a fast stream during one REST call: its answer is taken with every event on top, and no more GETs follow', async () => {
  const { queryClient, key, stream, answer, fetches } = await setup(0)
  // 30,000 events during the call: 100,000 a second for 300 ms.
  await stream(30_000)
  answer({ n: 5, rest: 1 })
  await vi.waitFor(() => expect(queryClient.getQueryData(key)).toEqual({ n: 30_005, rest: 1 }))
  expect(queryClient.getQueryState(key)?.fetchStatus).toBe('idle')
  expect(fetches()).toBe(1)
})

test('past MAX_JOURNAL_EVENTS during a hung call: nothing is replayed, the answer is not taken, REST is read again after a backoff', async () => {
  const { queryClient, key, stream, answer, fetches, reductions } = await setup(60_000)
  const events = Math.ceil((MAX_JOURNAL_EVENTS + 1) / BATCH) * BATCH
  await stream(events)
  const before = reductions()
  answer({ n: 0, rest: 1 })
  await vi.waitFor(() => expect(queryClient.getQueryState(key)?.fetchStatus).toBe('idle'))
  // The cache keeps what the socket said; the answer, older than that, is not taken.
  expect(reductions() - before).toBe(0)
  expect(queryClient.getQueryData(key)).toEqual({ n: events })
  expect(fetches()).toBe(1)
  // A second and last GET, a backoff later, whose answer (REST caught up) is taken.
  await vi.waitFor(() => expect(queryClient.getQueryData(key)).toEqual({ n: 60_000, rest: 2 }), { timeout: 5000 })
  expect(fetches()).toBe(2)
})
