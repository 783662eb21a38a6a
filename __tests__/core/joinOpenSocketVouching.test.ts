// When may a writer that left vouch for the data it left in the cache? A review of 3d727de found
// three cases where the note said "nothing missed" although the data had missed something: a
// writer stopped with its read still queued (StrictMode's effect, cleanup, effect), one stopped
// with events heard but not yet written (the flush waits for the next animation frame), and two
// queries holding one data object (a shared `initialData`). Each failed before the fix in
// src/sync/liveQuerySync.ts (`#behind`, the query in the note).
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


async function world(options: { manualFlush?: boolean; idleCloseMs?: number } = {}) {
  const server = await startWsServer()
  cleanups.push(() => server.kill())
  const truth: Record<string, Job> = { a: { n: 0, done: false }, b: { n: 0, done: false } }
  const asked: Record<string, number> = { a: 0, b: 0 }
  const channel = jobChannel('jobs-vouching', { truth, asked })
  const flushes: (() => void)[] = []
  const client = new LiveStatusClient({
    apiUrl: `http://127.0.0.1:${server.port}`, accessToken: 'eyJhbGciOiJIUzI1NiJ9.review-secret-value', auth: { type: 'query' }, WebSocket, heartbeat: false,
    quietCheckMs: false,
    ...(options.idleCloseMs !== undefined ? { idleCloseMs: options.idleCloseMs } : {}),
    // manualFlush: a frame's flush not run yet (an animation frame is up to 16 ms away).
    scheduleFlush: options.manualFlush ? (flush) => (flushes.push(flush), () => {}) : (flush) => (queueMicrotask(flush), () => {}),
  })
  const queryClient = new QueryClient()
  cleanups.push(() => client.dispose(), () => queryClient.clear())
  const url = client.socketUrl('/ws/project')
  const connection = () => client.hub.get(url)!
  const status = () => client.hub.get(url)?.getStatus().state
  const publish = (id: string, job: Job) => {
    truth[id] = job
    server.broadcast({ id, ...job })
  }
  const showA = async () => {
    cleanups.push(client.live(queryClient, channel, { id: 'a' }))
    await waitForStatus(client.hub.watchStatus(url), (s) => s.state === 'open')
  }
  const showB = (staleTime: number) => {
    const observer = new QueryObserver(queryClient, { ...liveQueryOptions(client, channel, { id: 'b' }, { queryClient }), staleTime, retry: false })
    const hide = [observer.subscribe(() => {}), client.live(queryClient, channel, { id: 'b' })]
    return () => hide.forEach((release) => release())
  }
  const framesArrived = async (n: number) => vi.waitFor(() => expect(connection().stats.framesReceived).toBeGreaterThanOrEqual(n))
  const runFlushes = () => flushes.splice(0).forEach((f) => f())
  const settled = () => vi.waitFor(() => expect(queryClient.getQueryState(['job', 'b'])?.fetchStatus).toBe('idle'))
  const optionsB = liveQueryOptions(client, channel, { id: 'b' }, { queryClient })
  const liveOf = (id: string) => client.live(queryClient, channel, { id })
  return { queryClient, asked, truth, publish, showA, showB, connection, framesArrived, runFlushes, settled, optionsB, liveOf, status, server }
}

const b = (w: Awaited<ReturnType<typeof world>>) => w.queryClient.getQueryData<Job>(['job', 'b'])

test('mount, unmount, mount in one turn (StrictMode): the first writer\'s queued read is not lost to the second', async () => {
  const w = await world()
  w.queryClient.setQueryData(['job', 'b'], { n: 1, done: false })
  await w.showA()
  const before = w.connection().stats.framesReceived
  w.publish('b', { n: 8, done: true }) // nobody listens for b
  await w.framesArrived(before + 1)
  // StrictMode: effect, cleanup, effect again, in one commit.
  w.showB(Infinity)()
  const hide = w.showB(Infinity)
  cleanups.push(hide)
  await w.settled()
  // A socket round trip (a's event) so a refetch, had one been asked, has run.
  w.publish('a', { n: 1, done: false })
  await vi.waitFor(() => expect(w.queryClient.getQueryData<Job>(['job', 'a'])?.n).toBe(1))
  await w.settled()
  expect(w.asked.b).toBe(1) // before: 0
  expect(b(w)).toEqual({ n: 8, done: true }) // before: { n: 1, done: false } for good (quietCheckMs: false)
})

test('an event taken but not yet written when the last view leaves is not counted as heard', async () => {
  const w = await world({ manualFlush: true })
  w.queryClient.setQueryData(['job', 'b'], { n: 1, done: false })
  await w.showA()
  const hideB = w.showB(Infinity)
  w.runFlushes()
  await w.settled()
  const before = w.connection().stats.framesReceived
  w.publish('b', { n: 8, done: true }) // b's writer takes it; its flush waits for the next frame
  await w.framesArrived(before + 1)
  hideB() // the view leaves before that frame: stop() drops #pending, left() records the frame as heard
  w.runFlushes()
  const hide = w.showB(Infinity)
  cleanups.push(hide)
  await Promise.resolve(); await Promise.resolve()
  w.runFlushes()
  await w.settled()
  expect(w.asked.b).toBe(2) // before: 1 (the first join's read only)
  expect(b(w)).toEqual({ n: 8, done: true }) // before: { n: 0, done: false } for good
})

test('two queries holding one data object (a shared initialData constant): one leaving does not vouch for the other', async () => {
  const w = await world()
  const PENDING = { n: 0, done: false }
  w.truth.c = { n: 0, done: false }; w.asked.c = 0
  w.truth.b = { n: 3, done: true } // b ended before anything here listened for it
  w.queryClient.setQueryData(['job', 'c'], PENDING)
  w.queryClient.setQueryData(['job', 'b'], PENDING)
  const releaseC = w.liveOf('c') // c's writer is there when the socket opens
  await w.showA()
  releaseC() // c leaves: leftAt(PENDING) = where the socket is now
  const hide = w.showB(Infinity)
  cleanups.push(hide)
  await Promise.resolve(); await Promise.resolve()
  await w.settled()
  expect(w.asked.b).toBe(1) // before: 0, b shows { n: 0, done: false } for good
})

