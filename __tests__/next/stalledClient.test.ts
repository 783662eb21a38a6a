/**
 * A client that stops taking the body without the request ever being aborted (a half-open
 * connection, a runtime that does not abort `request.signal`) held its source, and its user's
 * `maxStreamsPerUser` slot, for good: after ten such streams the user was refused until a restart
 * (a review, 2026-12-06). The stream now ends after STALLED_TICKS heartbeats with nothing taken.
 */
import { afterEach, expect, test, vi } from 'vitest'
import { STALLED_TICKS } from '../../src/next/eventStream'
import { bodyReader, handler, paramsOf, streamRequest } from './support'

afterEach(() => {
  vi.useRealTimers()
})

/** A source that sends one event per pull, for ever, until its signal aborts. */
async function* endless(signal: AbortSignal) {
  for (let seq = 1; !signal.aborted; seq++) yield { seq, event: { type: 'tick', project_id: 'p1', n: seq } }
}

test('a stream whose client takes nothing for STALLED_TICKS heartbeats ends, and gives its slot back', async () => {
  vi.useFakeTimers()
  const signals: AbortSignal[] = []
  const { GET } = handler({ heartbeatMs: 1000, maxStreamsPerUser: 1, source: async (_p, { signal }) => (signals.push(signal), endless(signal)) })
  const first = await GET(streamRequest(), paramsOf('p1'))
  expect(first.status).toBe(200)
  // The body is never read: the runtime's buffer (one chunk here) fills and stays full.
  expect((await GET(streamRequest(), paramsOf('p1'))).status).toBe(429)
  await vi.advanceTimersByTimeAsync(1000 * (STALLED_TICKS - 1))
  expect(signals[0]!.aborted).toBe(false)
  await vi.advanceTimersByTimeAsync(1000)
  expect(signals[0]!.aborted).toBe(true)
  const again = await GET(streamRequest(), paramsOf('p1'))
  expect(again.status).toBe(200)
  await again.body!.cancel()
})

test('a client that reads, however slowly, is never ended for it', async () => {
  vi.useFakeTimers()
  const signals: AbortSignal[] = []
  const { GET } = handler({ heartbeatMs: 1000, source: async (_p, { signal }) => (signals.push(signal), endless(signal)) })
  const response = await GET(streamRequest(), paramsOf('p1'))
  const body = bodyReader(response)
  for (let tick = 0; tick < STALLED_TICKS * 3; tick++) {
    // One event a heartbeat: slower than the source, never stalled for a whole tick.
    await body.until((text) => text.split('data: ').length - 1 > tick)
    await vi.advanceTimersByTimeAsync(1000)
  }
  expect(signals[0]!.aborted).toBe(false)
  vi.useRealTimers()
  await body.cancel()
  await vi.waitFor(() => expect(signals[0]!.aborted).toBe(true))
})
