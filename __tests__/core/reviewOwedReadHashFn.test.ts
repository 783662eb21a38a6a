/**
 * Review of d187a3d: the writer finds its query by `defaultQueryOptions({ queryKey }).queryHash`.
 * A `queryKeyHashFn` given by `setQueryDefaults` for a key prefix (not in `defaultOptions`) is one
 * `setQueryData` uses too: a read owed must stay owed under it, as under `defaultOptions`' one.
 */
import { QueryClient, QueryObserver } from '@tanstack/query-core'
import { afterEach, expect, test, vi } from 'vitest'
import { LiveQuerySync, type SyncHost } from '../../src/sync/liveQuerySync'

const host = { flushQueue: { add() {}, delete() {}, onError() {} }, quietCheckMs: false, socketStatus: () => undefined } as unknown as SyncHost
const cleanups: (() => unknown)[] = []
afterEach(() => {
  for (const fn of cleanups.splice(0).reverse()) fn()
  vi.useRealTimers()
})

const ownHash = (key: readonly unknown[]) => `own:${JSON.stringify(key)}`

test.each([
  ['registered before the writer is made', true],
])("a read asked while nothing observes the query stays owed under setQueryDefaults' queryKeyHashFn for a prefix: %s", async (_, before) => {
  vi.useFakeTimers()
  const queryClient = new QueryClient({ defaultOptions: { queries: { gcTime: Infinity, retry: false } } })
  if (before) queryClient.setQueryDefaults(['live'], { queryKeyHashFn: ownHash })
  let asked = 0
  const answers: ((data: { n: number }) => void)[] = []
  const channel = { queryKey: () => ['live', 'job'], reduce: (d = { n: 0 }) => ({ n: d.n + 1 }), fetch: () => (asked++, new Promise((resolve) => answers.push(resolve))), isActive: () => true } as never
  const writer = new LiveQuerySync<unknown, unknown, { n: number }>(queryClient, host, channel, {}, null, false)
  cleanups.push(() => writer.stop())
  if (!before) queryClient.setQueryDefaults(['live'], { queryKeyHashFn: ownHash })
  const options = { queryKey: ['live', 'job'], queryFn: ({ signal }: { signal: AbortSignal }) => writer.fetch(signal), staleTime: Infinity }
  const frame = () => (writer.accept({}), writer.flush())
  frame()
  expect(queryClient.getQueryCache().get(ownHash(['live', 'job']))).toBeDefined()
  writer.refetch() // nothing observes the query: TanStack only marks it
  await vi.advanceTimersByTimeAsync(0)
  frame() // a frame after the ask: no answer
  await vi.advanceTimersByTimeAsync(0)
  expect(asked).toBe(0)
  expect(queryClient.getQueryState(['live', 'job'])?.isInvalidated).toBe(true)
  cleanups.push(new QueryObserver(queryClient, options).subscribe(() => {}))
  await vi.advanceTimersByTimeAsync(0)
  // The view mounting within its staleTime reads the owed read.
  expect(asked).toBe(1)
})
