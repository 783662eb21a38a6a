import { QueryClient } from '@tanstack/query-core'
import { expect, test, vi } from 'vitest'
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

function setup(options: { onCallbackError?: (error: unknown) => void } = {}) {
  let pending: (() => void) | undefined
  const client = new LiveStatusClient({
    apiUrl: 'http://activity.test',
    accessToken: 'activity-token-1',
    WebSocket: QuietSocket as never,
    heartbeat: false,
    quietCheckMs: false,
    ...options,
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

test('a listener that throws costs neither the other listeners nor the write: its error goes to onCallbackError', async () => {
  const errors: unknown[] = []
  const { client, flush } = setup({ onCallbackError: (error) => errors.push(error) })
  const queryClient = new QueryClient()
  const heard: LiveActivity[] = []
  watchActivity(client, () => {
    throw new Error('a devtools bug')
  })
  watchActivity(client, (activity) => heard.push(activity))
  const release = client.live(queryClient, channel, { id: 'x' })
  await new Promise((resolve) => setTimeout(resolve, 0))
  const socket = QuietSocket.last!
  socket.readyState = 1
  socket.onopen?.()
  socket.onmessage?.({ data: JSON.stringify({ type: 'tick' }) })
  flush()
  expect(queryClient.getQueryData(['ticks', 'x'])).toBe(1)
  expect(heard).toHaveLength(1)
  expect(errors).toHaveLength(1)
  expect(String(errors[0])).toMatch(/a devtools bug/)
  release()
  client.dispose()
})

test('two copies of the module (HMR, two installs) share the listeners: neither removes the other', async () => {
  const { client } = setup()
  vi.resetModules()
  const first = await import('../../src/devtools/liveActivity')
  vi.resetModules()
  const second = await import('../../src/devtools/liveActivity')
  expect(first.watchActivity).not.toBe(second.watchActivity)
  const heard: string[] = []
  const offFirst = first.watchActivity(client, () => heard.push('first'))
  const offSecond = second.watchActivity(client, () => heard.push('second'))
  offFirst()
  const offAgain = second.watchActivity(client, () => heard.push('again'))
  client.observe?.({ type: 'fetch', queryKey: ['k'], ok: true })
  expect(heard).toEqual(['second', 'again'])
  offSecond()
  offAgain()
  expect(client.observe).toBeUndefined()
  client.dispose()
})

test('the same listener watched twice (two panels sharing one handler): one stop leaves the other watching', () => {
  const client = new LiveStatusClient({ apiUrl: 'http://activity.test', accessToken: 'eyJhbGciOiJIUzI1NiJ9.watch-twice-token', heartbeat: false })
  const heard: LiveActivity[] = []
  const log = (activity: LiveActivity) => heard.push(activity)
  const offPanel1 = watchActivity(client, log)
  const offPanel2 = watchActivity(client, log)
  offPanel1()
  // Before, listeners were a Set: the first stop removed both, and the client stopped reporting.
  client.observe?.({ type: 'fetch', queryKey: ['k'], ok: true })
  expect(heard).toHaveLength(1)
  offPanel2()
  expect(client.observe).toBeUndefined()
  client.dispose()
})
