/**
 * A fast stream: the cache writer folds waiting events ahead of the flush in runs
 * (FOLD_AHEAD_EVENTS), so they are not kept alive until the frame ends. What the cache gets, and
 * when, must not change.
 */
import { QueryClient } from '@tanstack/query-core'
import { describe, expect, test } from 'vitest'
import { z } from 'zod'
import { defineChannel, LiveStatusClient } from '../../src/core'
import { watchActivity } from '../../src/devtools/liveActivity'
import type { WebSocketLike } from '../../src/transport/types'

class HandSocket implements WebSocketLike {
  static last: HandSocket | undefined
  readyState = 0
  onopen: WebSocketLike['onopen'] = null
  onmessage: WebSocketLike['onmessage'] = null
  onerror: WebSocketLike['onerror'] = null
  onclose: WebSocketLike['onclose'] = null
  constructor() {
    HandSocket.last = this
    queueMicrotask(() => {
      this.readyState = 1
      this.onopen?.({})
    })
  }
  send() {}
  close() {
    this.readyState = 3
  }
}

type Count = { n: number; last: number; order: number[] }
let answer: Count = { n: 0, last: 0, order: [] }
let fetches = 0
const channel = defineChannel<{ id: string }, { type: 'tick'; i: number }, Count>({
  name: 'ticks',
  queryKey: ({ id }) => ['ticks', id],
  socket: (_client, { id }) => `/ws/${id}`,
  schema: z.object({ type: z.literal('tick'), i: z.number() }),
  // Keeps the order it saw: folding in runs must give what one pass gives.
  reduce: (data, event) => ({ n: (data?.n ?? 0) + 1, last: event.i, order: [...(data?.order ?? []), event.i] }),
  fetch: async ({ previous }) => {
    fetches++
    return previous ?? answer
  },
  isActive: () => true,
})

async function setup() {
  let pending: (() => void) | undefined
  const client = new LiveStatusClient({
    apiUrl: 'http://fold.test',
    accessToken: 't',
    WebSocket: HandSocket,
    heartbeat: false,
    quietCheckMs: false,
    scheduleFlush: (flush) => {
      pending = flush
      return () => (pending = undefined)
    },
  })
  const queryClient = new QueryClient()
  const counters = { cacheWrites: 0, eventsWritten: 0 }
  watchActivity(client, (activity) => {
    if (activity.type !== 'write') return
    counters.cacheWrites++
    counters.eventsWritten += activity.events
  })
  const writes: number[] = []
  queryClient.getQueryCache().subscribe((event) => {
    if (event.type === 'updated' && event.action.type === 'success') writes.push(queryClient.getQueryData<Count>(['ticks', 'a'])?.n ?? -1)
  })
  const release = client.live(queryClient, channel, { id: 'a' })
  await new Promise((resolve) => setTimeout(resolve, 0))
  const socket = HandSocket.last!
  return {
    client,
    counters,
    queryClient,
    writes,
    send: (from: number, to: number) => {
      for (let i = from; i <= to; i++) socket.onmessage?.({ data: JSON.stringify({ type: 'tick', i }) })
    },
    /** The frame ends. */
    flush: () => {
      const flush = pending
      pending = undefined
      flush?.()
    },
    data: () => queryClient.getQueryData<Count>(['ticks', 'a']),
    release,
  }
}

describe('events folded ahead of the flush', () => {
  test('1,000 events in one frame: one write, the events in order, as one pass gives', async () => {
    const live = await setup()
    live.send(1, 1000)
    expect(live.data()).toBeUndefined()
    live.flush()
    expect(live.writes).toEqual([1000])
    expect(live.data()!.order).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1))
    expect(live.counters).toMatchObject({ cacheWrites: 1, eventsWritten: 1000 })
    live.release()
  })

  test('a fetch that starts meanwhile gets them first, and nothing is written twice', async () => {
    const live = await setup()
    fetches = 0
    live.send(1, 600)
    const fetched = live.client.fetchLive(live.queryClient, channel, { id: 'a' }, new AbortController().signal)
    expect(live.data()!.n).toBe(600)
    await expect(fetched).resolves.toMatchObject({ n: 600 })
    live.flush()
    expect(live.writes).toEqual([600])
    expect(fetches).toBe(1)
    live.release()
  })

  test('data written by someone else in the frame wins over the events folded before it, which REST then tells: the query refetches', async () => {
    const live = await setup()
    // 256 (FOLD_AHEAD_EVENTS) are folded as they arrive, onto the data of then.
    live.send(1, 256)
    live.queryClient.setQueryData<Count>(['ticks', 'a'], { n: 42, last: 42, order: [] })
    live.send(257, 266)
    live.flush()
    // The 10 events after the write are applied on it; the 256 before it are REST's to tell.
    expect(live.data()).toMatchObject({ n: 52, last: 266 })
    // REST is asked at the end of the turn, once, whatever asked for it in the turn.
    await expect.poll(() => live.queryClient.getQueryState(['ticks', 'a'])?.isInvalidated).toBe(true)
    live.release()
  })
})
