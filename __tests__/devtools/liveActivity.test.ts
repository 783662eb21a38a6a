import { QueryClient } from '@tanstack/query-core'
import { expect, test } from 'vitest'
import { z } from 'zod'
import { defineChannel, LiveStatusClient } from '../../src/core'
import { liveSockets, watchActivity } from '../../src/devtools'
import type { LiveActivity } from '../../src/core'

class QuietSocket {
  static last: QuietSocket | undefined
  readyState = 0
  onopen: (() => void) | null = null
  onmessage: ((event: { data: unknown }) => void) | null = null
  onclose: (() => void) | null = null
  onerror: (() => void) | null = null
  constructor(readonly url: string) {
    QuietSocket.last = this
  }
  send() {}
  close() {}
}

const channel = defineChannel<{ id: string }, { type: 'tick' }, number>({
  name: 'ticks',
  queryKey: ({ id }) => ['ticks', id],
  socket: () => '/ticks',
  schema: z.object({ type: z.literal('tick') }),
  reduce: (n = 0) => n + 1,
  fetch: async () => 0,
  isActive: () => true,
})

function setup() {
  let pending: (() => void) | undefined
  const client = new LiveStatusClient({
    apiUrl: 'http://activity.test',
    accessToken: 't',
    WebSocket: QuietSocket as never,
    heartbeat: false,
    quietCheckMs: false,
    scheduleFlush: (flush) => {
      pending = flush
      return () => (pending = undefined)
    },
  })
  return { client, flush: () => pending?.() }
}

test('watchActivity: every listener hears each write; the last one gone, the client builds no report', async () => {
  const { client, flush } = setup()
  const queryClient = new QueryClient()
  expect(client.observe).toBeUndefined()
  const a: LiveActivity[] = []
  const b: LiveActivity[] = []
  const offA = watchActivity(client, (activity) => a.push(activity))
  const offB = watchActivity(client, (activity) => b.push(activity))
  const release = client.live(queryClient, channel, { id: 'x' })
  const other = client.live(queryClient, channel, { id: 'y' })
  const again = client.live(queryClient, channel, { id: 'x' })
  await new Promise((resolve) => setTimeout(resolve, 0))
  const socket = QuietSocket.last!
  socket.readyState = 1
  socket.onopen?.()
  expect(liveSockets(client)).toEqual([{ url: 'ws://activity.test/ticks', queries: 2, components: 3 }])

  socket.onmessage?.({ data: JSON.stringify({ type: 'tick' }) })
  socket.onmessage?.({ data: JSON.stringify({ type: 'tick' }) })
  flush()
  expect(a).toEqual([
    { type: 'write', queryKey: ['ticks', 'x'], events: 2 },
    { type: 'write', queryKey: ['ticks', 'y'], events: 2 },
  ])
  expect(b).toEqual(a)

  offA()
  offA()
  expect(client.observe).toBeTypeOf('function')
  offB()
  expect(client.observe).toBeUndefined()
  socket.onmessage?.({ data: JSON.stringify({ type: 'tick' }) })
  flush()
  expect(a).toHaveLength(2)
  expect(queryClient.getQueryData(['ticks', 'x'])).toBe(3)

  again()
  other()
  expect(liveSockets(client)).toEqual([{ url: 'ws://activity.test/ticks', queries: 1, components: 1 }])
  release()
  expect(liveSockets(client)).toEqual([])
  client.dispose()
})
