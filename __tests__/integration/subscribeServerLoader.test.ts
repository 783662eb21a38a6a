// Why a page mounted after a loader's prefetch reads REST once more on an open shared socket (a
// change that vouched for the loader's answer at its send mark was reverted on 2026-12-07 for
// this): a server that sends a job's events only to sockets that subscribed to it (the `onOpen`
// subscribe pattern of docs/backends.md, on a shared `project` socket). Nobody subscribed to `b`
// before its view mounts, so the socket's silence since the loader's read says nothing about `b`:
// what changed between that read and the subscribe went to no one. Vouched, the view showed the
// loader's "running" after the end, for good.
import { QueryClient, QueryObserver } from '@tanstack/query-core'
import { afterEach, expect, test, vi } from 'vitest'
import { WebSocket } from 'ws'
import { LiveStatusClient, liveQueryOptions } from '../../src/core'
import { jobChannel, type Job } from '../helpers/jobChannel'
import { startWsServer, waitForStatus } from '../helpers/wsServer'

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn()
})

async function world(options: { slowRest?: boolean; refetchOnOpen?: boolean } = {}) {
  const subscribed = new Map<WebSocket, Set<string>>()
  const server = await startWsServer({
    onConnection: (socket) => {
      subscribed.set(socket, new Set())
      socket.on('message', (data) => {
        const message = JSON.parse(String(data)) as { subscribe?: string }
        if (message.subscribe) subscribed.get(socket)!.add(message.subscribe)
      })
    },
  })
  cleanups.push(() => server.kill())
  const held: (() => void)[] = []
  const truth: Record<string, Job> = { a: { n: 0, done: false }, b: { n: 1, done: false } }
  const asked: Record<string, number> = { a: 0, b: 0 }
  const channel = jobChannel(
    'jobs-subscribe',
    { truth, asked, delay: () => (options.slowRest ? new Promise<void>((resolve) => held.push(resolve)) : undefined) },
    // docs/backends.md: subscribe on open, and read REST there when the server sends no state.
    { onOpen: ({ send, params, refetch, reconnected }) => { send({ subscribe: params.id }); if (options.refetchOnOpen && !reconnected) refetch() } },
  )
  const client = new LiveStatusClient({
    apiUrl: `http://127.0.0.1:${server.port}`, accessToken: 'eyJhbGciOiJIUzI1NiJ9.review-subscribe-value', auth: { type: 'query' }, WebSocket, heartbeat: false,
    quietCheckMs: false,
    scheduleFlush: (flush) => (queueMicrotask(flush), () => {}),
  })
  const queryClient = new QueryClient()
  cleanups.push(() => client.dispose(), () => queryClient.clear())
  const url = client.socketUrl('/ws/project')
  /** The server's state moves on, and says so to the sockets subscribed to `id`. */
  const publish = (id: string, job: Job) => {
    truth[id] = job
    for (const [socket, ids] of subscribed) if (ids.has(id) && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ id, ...job }))
  }
  const optionsOf = (id: string) => liveQueryOptions(client, channel, { id }, { queryClient })
  const showA = async () => {
    cleanups.push(client.live(queryClient, channel, { id: 'a' }))
    await waitForStatus(client.hub.watchStatus(url), (s) => s.state === 'open')
    await vi.waitFor(() => expect([...subscribed.values()].some((ids) => ids.has('a'))).toBe(true))
  }
  const showB = () => {
    const observer = new QueryObserver(queryClient, { ...optionsOf('b'), staleTime: Infinity, retry: false })
    cleanups.push(observer.subscribe(() => {}), client.live(queryClient, channel, { id: 'b' }))
  }
  const idle = () => vi.waitFor(() => expect(queryClient.getQueryState(['job', 'b'])?.fetchStatus).toBe('idle'))
  /** Once b's subscribe reached the server, a round trip on the socket (an event of a), TanStack idle. */
  const settle = async () => {
    await vi.waitFor(() => expect([...subscribed.values()].some((ids) => ids.has('b'))).toBe(true))
    await idle()
    const n = truth.a!.n + 1
    publish('a', { n, done: false })
    await vi.waitFor(() => expect(queryClient.getQueryData<Job>(['job', 'a'])?.n).toBe(n))
    await idle()
  }
  const frames = () => client.hub.get(url)!.stats.framesReceived
  return { queryClient, asked, truth, publish, optionsOf, showA, showB, settle, frames, held }
}

const b = (w: Awaited<ReturnType<typeof world>>) => w.queryClient.getQueryData<Job>(['job', 'b'])

test('loader read b, b ended before its view subscribed: the view shows the end', async () => {
  const w = await world()
  await w.showA()
  await w.queryClient.prefetchQuery({ ...w.optionsOf('b'), retry: false })
  expect(b(w)).toEqual({ n: 1, done: false })
  const frames = w.frames()
  // b ends; nobody subscribed to b, so the socket carries nothing.
  w.publish('b', { n: 5, done: true })
  w.showB()
  await w.settle()
  expect(w.frames()).toBe(frames + 1) // only a's event
  // 94319ba: asked 1, b shows { n: 1, done: false } ("running") for good (quietCheckMs: false).
  expect(b(w)).toEqual({ n: 5, done: true })
  expect(w.asked.b).toBe(2)
})

for (const refetchOnOpen of [false, true])
test(`loader read b and its answer is still out when the view subscribes in a later turn: the view shows the end (onOpen refetch: ${refetchOnOpen})`, async () => {
  const w = await world({ slowRest: true, refetchOnOpen })
  await w.showA()
  const prefetch = w.queryClient.prefetchQuery({ ...w.optionsOf('b'), retry: false })
  await vi.waitFor(() => expect(w.held.length).toBe(1)) // REST read b = { n: 1 } and holds its answer
  w.publish('b', { n: 5, done: true }) // unheard: nobody subscribed to b
  w.showB() // a later turn: joins the loader's fetch
  // Answer everything from now on.
  for (const resolve of w.held.splice(0)) resolve()
  await prefetch
  await vi.waitFor(() => expect(w.held.length + w.asked.b!).toBeGreaterThan(0))
  const release = setInterval(() => w.held.splice(0).forEach((r) => r()), 1)
  cleanups.push(() => clearInterval(release))
  await w.settle()
  // 94319ba: asked 1, b shows { n: 1, done: false } for good.
  expect(b(w)).toEqual({ n: 5, done: true })
  expect(w.asked.b).toBe(2)
})
