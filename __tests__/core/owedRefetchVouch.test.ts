// Found by generated schedules (integration/sharedSocketLoader.schedules, seeds 4 and 5): a writer
// that joined a loader's fetch on a socket that had moved owes a read after that fetch's answer
// (`#refetchAfter`), asked on a timer. When its view leaves before the timer fires, `left` saw no
// read owed (the flag was already cleared) and vouched for the loader's stale answer: the next view
// on the same socket mark read nothing, and showed the old count for good (quietCheckMs: false).
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

test("a view that leaves before the read owed after a loader's answer does not vouch for that answer", async () => {
  const server = await startWsServer()
  cleanups.push(() => server.kill())
  const truth: Record<string, Job> = { a: { n: 0, done: false }, b: { n: 0, done: false } }
  const asked: Record<string, number> = { a: 0, b: 0 }
  const held: (() => void)[] = []
  let slow = true
  const channel = jobChannel('jobs-owed', { truth, asked, delay: () => (slow ? new Promise<void>((resolve) => held.push(resolve)) : undefined) })
  const client = new LiveStatusClient({
    apiUrl: `http://127.0.0.1:${server.port}`, accessToken: 'eyJhbGciOiJIUzI1NiJ9.review-owed-value', auth: { type: 'query' }, WebSocket, heartbeat: false,
    quietCheckMs: false,
    scheduleFlush: (flush) => (queueMicrotask(flush), () => {}),
  })
  const queryClient = new QueryClient()
  cleanups.push(() => client.dispose(), () => queryClient.clear())
  const publish = (id: string, job: Job) => {
    truth[id] = job
    server.broadcast({ id, ...job })
  }
  const roundTrip = async () => {
    const n = truth.a!.n + 1
    publish('a', { n, done: false })
    await vi.waitFor(() => expect(queryClient.getQueryData<Job>(['job', 'a'])?.n).toBe(n))
  }
  const showB = () => {
    const observer = new QueryObserver(queryClient, { ...liveQueryOptions(client, channel, { id: 'b' }, { queryClient }), staleTime: Infinity, retry: false })
    const hide = [observer.subscribe(() => {}), client.live(queryClient, channel, { id: 'b' })]
    return () => hide.forEach((release) => release())
  }
  cleanups.push(client.live(queryClient, channel, { id: 'a' }))
  await waitForStatus(client.hub.watchStatus(client.socketUrl('/ws/project')), (s) => s.state === 'open')
  // The loader reads b = 0 and its answer is held.
  const prefetch = queryClient.prefetchQuery({ ...liveQueryOptions(client, channel, { id: 'b' }, { queryClient }), retry: false })
  await vi.waitFor(() => expect(held.length).toBe(1))
  publish('b', { n: 1, done: false }) // unheard: nobody listens for b yet
  await roundTrip()
  const hide = showB() // joins the loader's fetch on a socket that moved: owes a read after it
  slow = false
  held.splice(0).forEach((resolve) => resolve())
  await prefetch
  hide() // leaves before the owed read's timer
  await new Promise((resolve) => setTimeout(resolve, 10))
  cleanups.push(showB()) // comes back on the same socket, nothing said since
  await vi.waitFor(() => expect(queryClient.getQueryState(['job', 'b'])?.fetchStatus).toBe('idle'))
  await roundTrip()
  await vi.waitFor(() => expect(queryClient.getQueryState(['job', 'b'])?.fetchStatus).toBe('idle'))
  // Before the fix (and before 94319ba): { n: 0 } for good, REST asked once.
  expect(queryClient.getQueryData<Job>(['job', 'b'])).toEqual({ n: 1, done: false })
  expect(asked.b).toBe(2)
})
