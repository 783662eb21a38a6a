/**
 * Review of bfee74e (`eventStream`'s heartbeat): the tick now measures the quiet time with the
 * wall clock (`Date.now() - wroteAt`) and, when that says "not yet", re-arms for
 * `heartbeatMs - quietMs`. A wall clock that steps back (NTP correcting a fast clock, a VM resumed
 * from a snapshot, an operator's `date -s`) makes `quietMs` negative: the next tick is pushed out
 * by the whole step. For that long no ping goes out (a proxy's idle timeout closes the stream) and
 * the stalled-client check never runs (a half-open client keeps its source and its user's slot).
 * The fixed interval before the commit did not read the clock at all.
 */
import { afterEach, expect, test, vi } from 'vitest'
import { STALLED_TICKS } from '../../src/next/eventStream'
import type { ProjectEventSource } from '../../src/next'
import { bodyReader, handler, paramsOf, streamRequest } from './support'

afterEach(() => {
  vi.useRealTimers()
})

const HOUR = 3_600_000

test('review: after the wall clock steps back an hour, a quiet stream still gets its ping within heartbeatMs', async () => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'setInterval', 'clearTimeout', 'clearInterval', 'Date'] })
  // A source with nothing to say for now.
  const source: ProjectEventSource = async function* (_projectId, { signal }) {
    await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }))
  }
  const { GET } = handler({ source, heartbeatMs: 1000 })
  const body = bodyReader(await GET(streamRequest(), paramsOf('p1')))
  await body.until((text) => text.startsWith('retry:'))
  const pings = () => (body.text.match(/^: ping$/gm) ?? []).length
  await vi.advanceTimersByTimeAsync(1000)
  await body.until(() => pings() === 1)
  // The host's clock is corrected backwards by an hour (timers keep their own, relative, time).
  vi.setSystemTime(Date.now() - HOUR)
  const next = body.until(() => pings() === 2)
  // Three heartbeats of silence: before the commit, three pings.
  await vi.advanceTimersByTimeAsync(3000)
  const pinged = await Promise.race([next.then(() => true), new Promise<boolean>((resolve) => setImmediate(() => resolve(false)))])
  expect(pinged).toBe(true)
  await body.cancel()
})

test('review: after the wall clock steps back an hour, a client that stopped reading is still ended after STALLED_TICKS heartbeats', async () => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'setInterval', 'clearTimeout', 'clearInterval', 'Date'] })
  const signals: AbortSignal[] = []
  async function* endless(signal: AbortSignal) {
    for (let seq = 1; !signal.aborted; seq++) yield { seq, event: { type: 'tick', project_id: 'p1', n: seq } }
  }
  const { GET } = handler({ heartbeatMs: 1000, maxStreamsPerUser: 1, source: async (_p, { signal }) => (signals.push(signal), endless(signal)) })
  const response = await GET(streamRequest(), paramsOf('p1'))
  expect(response.status).toBe(200)
  // The body is never read (a half-open client). The clock steps back an hour meanwhile.
  await vi.advanceTimersByTimeAsync(10)
  vi.setSystemTime(Date.now() - HOUR)
  await vi.advanceTimersByTimeAsync(1000 * (STALLED_TICKS + 2))
  // Documented: "one minute at the default 15 s"; here it holds the source and the slot for an hour.
  expect(signals[0]!.aborted).toBe(true)
  expect((await GET(streamRequest(), paramsOf('p1'))).status).toBe(200)
})
