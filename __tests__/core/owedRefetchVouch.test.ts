// Found by generated schedules (integration/sharedSocketLoader.schedules, seeds 4 and 5): a writer
// that joined a loader's fetch on a socket that had moved owes a read after that fetch's answer
// (`#refetchAfter`), asked on a timer. When its view leaves before the timer fires, `left` saw no
// read owed (the flag was already cleared) and vouched for the loader's stale answer: the next view
// on the same socket mark read nothing, and showed the old count for good (quietCheckMs: false).
// Then, on a writer alone (fake timers): the owed read's timer goes with the writer (it held a
// stopped writer up to 30 s), and two ways an owed read goes unasked, each read by the next view.
import { QueryClient, QueryObserver } from '@tanstack/query-core'
import { afterEach, expect, test, vi } from 'vitest'
import { WebSocket } from 'ws'
import { LiveStatusClient, liveQueryOptions } from '../../src/core'
import { writeUndoable } from '../../src/channels/commands'
import { LiveQuerySync, MAX_JOURNAL_EVENTS, type SyncHost } from '../../src/sync/liveQuerySync'
import type { Connection } from '../../src/transport/connection'
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

const host = { flushQueue: { add() {}, delete() {}, onError() {} }, quietCheckMs: false, socketStatus: () => undefined } as unknown as SyncHost

test('a writer that stops leaves no timer for the read it owes (up to 30 s after overflows), nor arms one when its fetch answers after', async () => {
  vi.useFakeTimers()
  cleanups.push(() => vi.useRealTimers())
  // gcTime Infinity: the cache itself sets no timer.
  const queryClient = new QueryClient({ defaultOptions: { queries: { gcTime: Infinity } } })
  /** A writer whose fetch is out and has seen more events than its journal keeps: its answer is not taken, and REST is owed after a backoff. */
  const overflowed = (id: string) => {
    let answer!: (data: { n: number }) => void
    const channel = { queryKey: () => ['owed', id], reduce: (d = { n: 0 }) => ({ n: d.n + 1 }), fetch: () => new Promise((resolve) => (answer = resolve)), isActive: () => true } as never
    const sync = new LiveQuerySync<unknown, unknown, { n: number }>(queryClient, host, channel, {}, null, false)
    const fetched = sync.fetch(new AbortController().signal)
    for (let i = 0; i <= MAX_JOURNAL_EVENTS; i++) sync.accept({})
    sync.flush()
    return { sync, answered: () => (answer({ n: 0 }), fetched) }
  }
  const a = overflowed('a')
  await a.answered()
  expect(vi.getTimerCount()).toBe(1)
  a.sync.stop()
  // Before: the timer stayed, holding the stopped writer until it fired.
  expect(vi.getTimerCount()).toBe(0)
  const b = overflowed('b')
  b.sync.stop()
  await b.answered()
  expect(vi.getTimerCount()).toBe(0)
})

test.each([
  ['no one observes the query when the owed read is asked: TanStack marks it invalidated, and the next view reads on mount', false, true, false, false],
  // Before the fix the writer vouched for the invalidated data: the next writer, joining the same
  // quiet socket, read nothing, and neither did a view that does not refetch on mount ({ n: 0 } for good).
  ['no one observes the query when the owed read is asked, and the next view does not refetch on mount: its writer reads', false, false, false, false],
  // The writer's own next write (a frame) cleared TanStack's mark (setQueryData): before the
  // fix's second form the writer vouched again, and a view with a staleTime kept { n: 50002 } for good.
  ['the owed read is only marked, then the writer writes a frame: the next view still reads', false, true, true, false],
  // The same without leaving: the write cleared the mark, and a view mounting later within its
  // staleTime read nothing. The writer's writes now keep the mark until a fetch answers.
  ['the owed read is only marked, then the writer writes a frame and stays: a view mounting later within its staleTime reads', false, true, true, true],
  ['the view leaves between the timer and the read it asks: the writer vouches for nothing, and the next one reads', true, true, false, false],
])('an owed read that is not made: %s', async (_, leaveBeforeAsked, refetchOnMount, writeAfter, stays) => {
  vi.useFakeTimers()
  cleanups.push(() => vi.useRealTimers())
  const queryClient = new QueryClient({ defaultOptions: { queries: { gcTime: Infinity } } })
  let asked = 0
  let answer!: (data: { n: number }) => void
  const channel = {
    queryKey: () => ['unasked'],
    reduce: (d = { n: 0 }) => ({ n: d.n + 1 }),
    fetch: () => (++asked === 1 ? new Promise((resolve) => (answer = resolve)) : Promise.resolve({ n: -1 })),
    isActive: () => true,
  } as never
  // One open socket that says nothing between the two views: its status and frames do not move.
  const status = { state: 'open' }
  const stats = { framesReceived: 3 }
  const connection = { getStatus: () => status, stats } as unknown as Connection
  const first = new LiveQuerySync<unknown, unknown, { n: number }>(queryClient, host, channel, {}, null, false)
  first.opened(false, () => true, connection)
  const fetched = first.fetch(new AbortController().signal)
  for (let i = 0; i <= MAX_JOURNAL_EVENTS; i++) first.accept({})
  first.flush()
  answer({ n: 0 })
  await fetched
  if (leaveBeforeAsked) vi.advanceTimersByTime(30_000)
  else await vi.advanceTimersByTimeAsync(30_000)
  if (writeAfter) {
    expect(queryClient.getQueryState(['unasked'])?.isInvalidated).toBe(true)
    stats.framesReceived++
    first.accept({})
    first.flush()
  }
  if (!stays) {
    first.left(connection)
    first.stop()
  }
  await vi.advanceTimersByTimeAsync(0)
  // TanStack holds the query invalidated, the writer's writes since included: where the read did not
  // happen, and, in the last row, since the first frames (written before the query existed while
  // the socket's opening read was owed; this test answers that read outside TanStack, which would
  // have cleared the mark).
  expect(queryClient.getQueryState(['unasked'])?.isInvalidated).toBe(true)
  const next = stays ? first : new LiveQuerySync<unknown, unknown, { n: number }>(queryClient, host, channel, {}, null, false)
  if (!stays) next.opened(false, () => true, connection)
  const observer = new QueryObserver(queryClient, { queryKey: ['unasked'], queryFn: ({ signal }) => next.fetch(signal), staleTime: Infinity, retry: false, refetchOnMount })
  cleanups.push(observer.subscribe(() => {}), () => next.stop())
  await vi.advanceTimersByTimeAsync(0)
  expect(asked).toBe(2)
  expect(queryClient.getQueryData(['unasked'])).toEqual({ n: -1 })
})

test("the mark a writer keeps over its writes goes with the first answer, whoever's fetch made it: the writer's writes after it leave the query fresh", async () => {
  const queryClient = new QueryClient({ defaultOptions: { queries: { gcTime: Infinity } } })
  let asked = 0
  const channel = { queryKey: () => ['kept'], reduce: (d = { n: 0 }) => ({ n: d.n + 1 }), fetch: () => (asked++, Promise.resolve({ n: 0 })), isActive: () => true } as never
  const writer = new LiveQuerySync<unknown, unknown, { n: number }>(queryClient, host, channel, {}, null, false)
  cleanups.push(() => writer.stop())
  const frame = () => (writer.accept({}), writer.flush())
  frame()
  writer.refetch()
  await Promise.resolve()
  // Nothing observes the query: TanStack only marks it, and the writer's frames keep the mark.
  expect(queryClient.getQueryState(['kept'])?.isInvalidated).toBe(true)
  frame()
  expect(queryClient.getQueryState(['kept'])).toMatchObject({ isInvalidated: true, data: { n: 2 } })
  // The app reads the query with a queryFn of its own: the writer cannot tell its read was made,
  // but TanStack's answer clears the mark, and the writer does not put it back (the reverted
  // cac315d did, on every write: a staleTime no longer held).
  await queryClient.fetchQuery({ queryKey: ['kept'], queryFn: () => ({ n: 10 }) })
  frame()
  expect(queryClient.getQueryState(['kept'])).toMatchObject({ isInvalidated: false, data: { n: 11 } })
  const observer = new QueryObserver(queryClient, { queryKey: ['kept'], queryFn: ({ signal }) => writer.fetch(signal), staleTime: Infinity, retry: false })
  cleanups.push(observer.subscribe(() => {}))
  await new Promise((resolve) => setTimeout(resolve, 0))
  expect(asked).toBe(0)
  expect(observer.getCurrentResult().data).toEqual({ n: 11 })
})

/** A writer that stays, its query read by views that come and go; REST answers when told. */
function staysWriter(key: string, queryKeyHashFn?: (key: readonly unknown[]) => string) {
  const queryClient = new QueryClient({ defaultOptions: { queries: { gcTime: Infinity, queryKeyHashFn } } })
  let asked = 0
  const answers: ((data: { n: number }) => void)[] = []
  const channel = { queryKey: () => [key], reduce: (d = { n: 0 }) => ({ n: d.n + 1 }), fetch: () => (asked++, new Promise((resolve) => answers.push(resolve))), isActive: () => true } as never
  const writer = new LiveQuerySync<unknown, unknown, { n: number }>(queryClient, host, channel, {}, null, false)
  cleanups.push(() => writer.stop())
  const view = () => {
    const observer = new QueryObserver(queryClient, { queryKey: [key], queryFn: ({ signal }) => writer.fetch(signal), staleTime: Infinity, retry: false })
    return observer.subscribe(() => {})
  }
  return { queryClient, writer, view, answers, asked: () => asked, frame: () => (writer.accept({}), writer.flush()) }
}

test('the owed read is out when its view leaves, after a frame: TanStack (5.85+) reverts to the frame\'s state without the mark, and the writer marks it again', async () => {
  vi.useFakeTimers()
  cleanups.push(() => vi.useRealTimers())
  const { queryClient, writer, view, answers, asked, frame } = staysWriter('reverted')
  const leave = view()
  await vi.advanceTimersByTimeAsync(0)
  answers.shift()!({ n: 100 })
  await vi.advanceTimersByTimeAsync(0)
  writer.refetch() // the job's end, say, while the view shows the query: the read is made
  await vi.advanceTimersByTimeAsync(0)
  expect(asked()).toBe(2)
  frame()
  leave() // the read's signal was consumed: TanStack cancels it with a revert
  await vi.advanceTimersByTimeAsync(0)
  frame()
  // Before the fix (TanStack 5.85.1 to 5.108): not marked, and the view below read nothing.
  expect(queryClient.getQueryState(['reverted'])?.isInvalidated).toBe(true)
  cleanups.push(view())
  await vi.advanceTimersByTimeAsync(0)
  expect(asked()).toBe(3)
})

test.each([
  ['the default hash', undefined],
  // Until the undo hashed the key as the client does, it found no query to keep marked.
  ["the client's own queryKeyHashFn", (key: readonly unknown[]) => `own:${JSON.stringify(key)}`],
])("a failed command's undo while the writer's read is only marked keeps the mark: the next view within its staleTime reads (%s)", async (_, queryKeyHashFn) => {
  vi.useFakeTimers()
  cleanups.push(() => vi.useRealTimers())
  const { queryClient, writer, view, asked, frame } = staysWriter('undone', queryKeyHashFn)
  frame()
  writer.refetch() // nothing observes the query: only marked
  await vi.advanceTimersByTimeAsync(0)
  const client = { channel: (channel: unknown) => channel, writeLive: (_q: unknown, _c: unknown, _p: unknown, update: never) => writer.write(update) } as never
  const undo = writeUndoable(client, queryClient, { queryKey: () => ['undone'] } as never, {}, (data: { n: number } | undefined) => ({ n: (data?.n ?? 0) + 1000 }))
  undo()
  // Before the fix: the undo's setQueryData cleared the mark, and the view below read nothing.
  expect(queryClient.getQueryState(['undone'])).toMatchObject({ isInvalidated: true, data: { n: 1 } })
  cleanups.push(view())
  await vi.advanceTimersByTimeAsync(0)
  expect(asked()).toBe(1)
})

test('a writer whose asked read was answered vouches for its data: the next writer on the same quiet socket reads nothing', async () => {
  vi.useFakeTimers()
  cleanups.push(() => vi.useRealTimers())
  const queryClient = new QueryClient({ defaultOptions: { queries: { gcTime: Infinity, retry: false } } })
  let asked = 0
  const channel = { queryKey: () => ['answered'], reduce: (d = { n: 0 }) => ({ n: d.n + 1 }), fetch: () => Promise.resolve({ n: ++asked }), isActive: () => true } as never
  const status = { state: 'open' }
  const connection = { getStatus: () => status, stats: { framesReceived: 3 } } as unknown as Connection
  const first = new LiveQuerySync<unknown, unknown, { n: number }>(queryClient, host, channel, {}, null, false)
  // Joining an open socket it has no note of: the writer asks REST, and its view's fetch answers.
  first.opened(false, () => true, connection)
  const view = new QueryObserver(queryClient, { queryKey: ['answered'], queryFn: ({ signal }) => first.fetch(signal), staleTime: Infinity })
  const leave = view.subscribe(() => {})
  await vi.advanceTimersByTimeAsync(0)
  expect(asked).toBe(1)
  leave()
  first.left(connection)
  first.stop()
  // Nothing said on the socket since: the next writer trusts that answer (a writer that never
  // counted answers would read again on every rejoin).
  const next = new LiveQuerySync<unknown, unknown, { n: number }>(queryClient, host, channel, {}, null, false)
  next.opened(false, () => true, connection)
  const again = new QueryObserver(queryClient, { queryKey: ['answered'], queryFn: ({ signal }) => next.fetch(signal), staleTime: Infinity })
  cleanups.push(again.subscribe(() => {}), () => next.stop())
  await vi.advanceTimersByTimeAsync(0)
  expect(asked).toBe(1)
  expect(queryClient.getQueryData(['answered'])).toEqual({ n: 1 })
})
