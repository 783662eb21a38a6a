// Review of 24028ea: a read the writer asks while a fetch nobody observes is out (a loader's
// `prefetchQuery`, `fetchQuery`, `ensureQueryData`) is only marked by TanStack, and that older
// fetch's answer clears the mark: the writer's writes then did not put it back (the mark was gone),
// and a view mounting within its staleTime read nothing, though no fetch begun after the ask answered.
import { QueryClient, QueryObserver } from '@tanstack/query-core'
import { afterEach, expect, test, vi } from 'vitest'
import { LiveQuerySync, type SyncHost } from '../../src/sync/liveQuerySync'

const host = { flushQueue: { add() {}, delete() {}, onError() {} }, quietCheckMs: false, socketStatus: () => undefined } as unknown as SyncHost
const cleanups: (() => unknown)[] = []
afterEach(() => {
  for (const fn of cleanups.splice(0).reverse()) fn()
  vi.useRealTimers()
})

// A client's own `queryKeyHashFn`: until the writer hashed keys as the client does, it found no
// query to keep marked, and the view read nothing (asked stayed 1).
const ownHash = (key: readonly unknown[]) => `own:${JSON.stringify(key)}`

test.each([
  ['a frame before the ask (the query has data)', true, undefined],
  ['no data yet when asked', false, undefined],
  ["a frame before the ask, the client's own queryKeyHashFn", true, ownHash],
  ["no data yet when asked, the client's own queryKeyHashFn", false, ownHash],
])("a read asked while an unobserved prefetch is out stays owed after that prefetch's answer: %s", async (_, frameFirst, queryKeyHashFn) => {
  vi.useFakeTimers()
  const queryClient = new QueryClient({ defaultOptions: { queries: { gcTime: Infinity, retry: false, queryKeyHashFn } } })
  let asked = 0
  const answers: ((data: { n: number }) => void)[] = []
  const channel = { queryKey: () => ['prefetched'], reduce: (d = { n: 0 }) => ({ n: d.n + 1 }), fetch: () => (asked++, new Promise((resolve) => answers.push(resolve))), isActive: () => true } as never
  const writer = new LiveQuerySync<unknown, unknown, { n: number }>(queryClient, host, channel, {}, null, false)
  cleanups.push(() => writer.stop())
  const options = { queryKey: ['prefetched'], queryFn: ({ signal }: { signal: AbortSignal }) => writer.fetch(signal), staleTime: Infinity }
  const frame = () => (writer.accept({}), writer.flush())
  // A loader prefetches through the live query's queryFn; nothing observes the query.
  const prefetch = queryClient.prefetchQuery(options)
  await vi.advanceTimersByTimeAsync(0)
  expect(asked).toBe(1)
  if (frameFirst) frame()
  writer.refetch() // the job's end on the socket, say: REST is owed after it
  await vi.advanceTimersByTimeAsync(0)
  answers.shift()!({ n: 100 }) // the prefetch, sent before the ask, answers
  await prefetch
  await vi.advanceTimersByTimeAsync(0)
  frame()
  await vi.advanceTimersByTimeAsync(0)
  expect(asked).toBe(1) // nothing observes the query: the owed read is not made yet, only kept
  const observer = new QueryObserver(queryClient, options)
  cleanups.push(observer.subscribe(() => {}))
  await vi.advanceTimersByTimeAsync(0)
  // On 24028ea, with a frame before the ask: 1 (the view kept the prefetch's answer, plus frames).
  expect(asked).toBe(2)
})

test("a read the app answered with its own queryFn is not marked again when a later read of the writer's is cancelled", async () => {
  vi.useFakeTimers()
  const queryClient = new QueryClient({ defaultOptions: { queries: { gcTime: Infinity, retry: false } } })
  let asked = 0
  const answers: ((data: { n: number }) => void)[] = []
  const channel = { queryKey: () => ['answeredElsewhere'], reduce: (d = { n: 0 }) => ({ n: d.n + 1 }), fetch: () => (asked++, new Promise((resolve) => answers.push(resolve))), isActive: () => true } as never
  const writer = new LiveQuerySync<unknown, unknown, { n: number }>(queryClient, host, channel, {}, null, false)
  cleanups.push(() => writer.stop())
  const options = { queryKey: ['answeredElsewhere'], queryFn: ({ signal }: { signal: AbortSignal }) => writer.fetch(signal), staleTime: Infinity }
  writer.accept({})
  writer.flush()
  writer.refetch() // nothing shows the query: only marked
  await vi.advanceTimersByTimeAsync(0)
  await queryClient.fetchQuery({ queryKey: ['answeredElsewhere'], queryFn: () => ({ n: 10 }) }) // the app's own read answers it
  expect(queryClient.getQueryState(['answeredElsewhere'])?.isInvalidated).toBe(false)
  // A view that reads on every mount leaves while its read is out: TanStack cancels it with a revert.
  const leave = new QueryObserver(queryClient, { ...options, staleTime: 0 }).subscribe(() => {})
  await vi.advanceTimersByTimeAsync(0)
  expect(asked).toBe(1)
  leave()
  await vi.advanceTimersByTimeAsync(0)
  // On 24028ea: marked again (the writer still counts its ask as owed), and the view below read REST.
  expect(queryClient.getQueryState(['answeredElsewhere'])?.isInvalidated).toBe(false)
  cleanups.push(new QueryObserver(queryClient, options).subscribe(() => {}))
  await vi.advanceTimersByTimeAsync(0)
  expect(asked).toBe(1)
})
