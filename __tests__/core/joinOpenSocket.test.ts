// A writer that joins a socket already open for other queries, on data the cache kept (a remount
// within `staleTime`, a view enabled again), missed what that socket said of its query while none
// listened. Found by the generated `enabled`/`select` schedules (seed 4): the screen kept a count
// the server had passed until the quiet check, or for good with `quietCheckMs: false`.
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


/** Jobs `a` and `b` on one project socket; REST answers the server's truth and counts each ask. */
async function world(options: { onOpenRefetch?: boolean; slowRest?: boolean } = {}) {
  const held: (() => void)[] = []
  let holding = options.slowRest === true
  const server = await startWsServer()
  cleanups.push(() => server.kill())
  const truth: Record<string, Job> = { a: { n: 0, done: false }, b: { n: 0, done: false } }
  const asked: Record<string, number> = { a: 0, b: 0 }
  const channel = jobChannel(
    `jobs-${options.onOpenRefetch ? 'greetless' : 'plain'}`,
    { truth, asked, delay: () => (holding ? new Promise<void>((resolve) => held.push(resolve)) : undefined) },
    // A backend that says nothing when a socket opens (the ontology editor's index socket).
    { onOpen: options.onOpenRefetch ? ({ reconnected, refetch }) => reconnected || refetch() : undefined },
  )
  const client = new LiveStatusClient({
    apiUrl: `http://127.0.0.1:${server.port}`, accessToken: 'eyJhbGciOiJIUzI1NiJ9.join-open-secret-value', auth: { type: 'query' }, WebSocket, heartbeat: false,
    quietCheckMs: false,
    scheduleFlush: (flush) => (queueMicrotask(flush), () => {}),
  })
  const queryClient = new QueryClient()
  cleanups.push(() => client.dispose(), () => queryClient.clear())
  const publish = (id: string, job: Job) => {
    truth[id] = job
    server.broadcast({ id, ...job })
  }
  const optionsOf = (id: string) => liveQueryOptions(client, channel, { id }, { queryClient })
  /** Job `a` is shown: the project's socket is open, and stays open for it. */
  const showA = async () => {
    cleanups.push(client.live(queryClient, channel, { id: 'a' }))
    await waitForStatus(client.hub.watchStatus(client.socketUrl('/ws/project')), (s) => s.state === 'open')
  }
  /** Job `b` changes while nobody listens for it; an event of `a` after it shows the frame was read. */
  const bMovesUnheard = async (job: Job) => {
    publish('b', job)
    publish('a', { n: truth.a!.n + 1, done: false })
    const a = truth.a!.n
    await vi.waitFor(() => expect(queryClient.getQueryData<Job>(['job', 'a'])?.n).toBe(a))
  }
  /** A view of `b` on what the cache kept (`staleTime` keeps TanStack from refetching at mount). */
  const showB = (staleTime: number) => {
    const observer = new QueryObserver(queryClient, { ...optionsOf('b'), staleTime, retry: false })
    const hide = [observer.subscribe(() => {}), client.live(queryClient, channel, { id: 'b' })]
    cleanups.push(...hide)
    return () => hide.forEach((release) => release())
  }
  const idle = () => vi.waitFor(() => expect(queryClient.getQueryState(['job', 'b'])?.fetchStatus).toBe('idle'))
  /**
   * What `b` was asked, once a request owed after a fetch (`setTimeout(0)`, then a promise job) would
   * have been made: a socket round trip later, with TanStack idle again.
   */
  const askedOfB = async () => {
    await idle()
    await bMovesUnheard(truth.b!)
    await idle()
    return asked.b
  }
  /** Sends the REST answers held so far (`slowRest`), once one is. */
  const answer = async () => {
    await vi.waitFor(() => expect(held.length).toBeGreaterThan(0))
    for (const resolve of held.splice(0)) resolve()
  }
  /** Answers every REST request at once from now on. */
  const answerAtOnce = () => {
    holding = false
    for (const resolve of held.splice(0)) resolve()
  }
  return { queryClient, asked, truth, optionsOf, showA, bMovesUnheard, showB, askedOfB, answer, answerAtOnce }
}

test('a writer that joins an open socket on cached data of an active job reads REST once', async () => {
  const w = await world()
  w.queryClient.setQueryData(['job', 'b'], { n: 1, done: false })
  await w.showA()
  await w.bMovesUnheard({ n: 5, done: false })
  w.showB(Infinity)
  // Before: the cache kept n 1 for good (the quiet check is off), and REST was never asked.
  await vi.waitFor(() => expect(w.queryClient.getQueryData<Job>(['job', 'b'])).toEqual({ n: 5, done: false }))
  expect(await w.askedOfB()).toBe(1)
})

test('an end said while nobody listened reaches the view that comes back', async () => {
  const w = await world()
  w.queryClient.setQueryData(['job', 'b'], { n: 1, done: false })
  await w.showA()
  await w.bMovesUnheard({ n: 8, done: true })
  w.showB(Infinity)
  await vi.waitFor(() => expect(w.queryClient.getQueryData<Job>(['job', 'b'])).toEqual({ n: 8, done: true }))
})

test('an ended job kept in the cache is not read again: it cannot change', async () => {
  const w = await world()
  w.queryClient.setQueryData(['job', 'b'], { n: 8, done: true })
  await w.showA()
  await w.bMovesUnheard({ n: 8, done: true })
  w.showB(Infinity)
  expect(await w.askedOfB()).toBe(0)
})

test('a stale view that TanStack refetches at mount makes one REST request, not a cancelled one and another', async () => {
  const w = await world()
  w.queryClient.setQueryData(['job', 'b'], { n: 1, done: false })
  await w.showA()
  await w.bMovesUnheard({ n: 5, done: false })
  // The observer subscribes first (its fetch starts), then the writer joins the open socket.
  w.showB(0)
  await vi.waitFor(() => expect(w.queryClient.getQueryData<Job>(['job', 'b'])).toEqual({ n: 5, done: false }))
  expect(await w.askedOfB()).toBe(1)
})

test("a backend that greets no one: the dialect's read on open joins the fetch the view began in the same turn", async () => {
  const w = await world({ onOpenRefetch: true, slowRest: true })
  await w.showA()
  await w.bMovesUnheard({ n: 3, done: false })
  // No cached data: the observer's first fetch is out when the writer joins the open socket, and
  // the channel's `onOpen` asks for a read. Before: a second request, the first one cancelled.
  w.showB(Infinity)
  await w.answer()
  await vi.waitFor(() => expect(w.queryClient.getQueryData<Job>(['job', 'b'])).toEqual({ n: 3, done: false }))
  // A second request (a refetch owed after the first fetch) is answered too, and counted below.
  w.answerAtOnce()
  expect(await w.askedOfB()).toBe(1)
})

test('a writer that joins an open socket and a fetch sent before it, in an earlier turn, reads REST again after that fetch', async () => {
  const w = await world({ slowRest: true })
  await w.showA()
  // A route loader asks for b; its answer is on its way when b moves, unheard.
  const prefetch = w.queryClient.prefetchQuery({ ...w.optionsOf('b'), retry: false })
  await w.bMovesUnheard({ n: 4, done: false })
  w.showB(Infinity)
  await w.answer()
  await prefetch
  w.answerAtOnce()
  // Before: the loader's answer (n 0, read before the event) stayed for good.
  await vi.waitFor(() => expect(w.queryClient.getQueryData<Job>(['job', 'b'])).toEqual({ n: 4, done: false }))
  expect(await w.askedOfB()).toBe(2)
})

test("a view that comes back to a socket that said nothing meanwhile keeps the app's staleTime: no REST read", async () => {
  const w = await world()
  await w.showA()
  const hideB = w.showB(Infinity)
  await vi.waitFor(() => expect(w.queryClient.getQueryData<Job>(['job', 'b'])).toEqual({ n: 0, done: false }))
  expect(w.asked.b).toBe(1)
  hideB()
  // The socket stays open for `a` and says nothing; `b` comes back on what the cache kept.
  w.showB(Infinity)
  expect(await w.askedOfB()).toBe(1)
})
