/**
 * What a client can make the route handler hold (an attacker's probe, 2026-12-06):
 * - a client that stopped reading: every heartbeat tick enqueued another `: ping` regardless of
 *   backpressure (the source is pull-based, the pings were not), for as long as it stayed up;
 * - a client that left while `authenticate` ran: the source was started anyway with an aborted
 *   signal, and the relay's AbortError was reported as "the source could not start".
 */
import { afterEach, expect, test, vi } from 'vitest'
import { createSseRouteHandler, referenceServerSource } from '../../src/next'
import { bodyReader, deferred, handler, paramsOf, streamRequest } from './support'

afterEach(() => {
  vi.useRealTimers()
})

test('a client that does not read: pings queued behind it stay bounded (backpressure), not one per tick for ever', async () => {
  vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] })
  const finish = deferred()
  const { GET } = handler({
    heartbeatMs: 1000,
    source: async function* () {
      await finish.promise
    },
  })
  const response = await GET(streamRequest('/api/live/p1'), paramsOf('p1'))
  // The client reads nothing for 10,000 heartbeat intervals (2.8 h at 1 s; 42 h at the default 15 s).
  vi.advanceTimersByTime(10_000 * 1000)
  vi.useRealTimers()
  finish.resolve()
  const text = await bodyReader(response).rest()
  const pings = text.split(': ping').length - 1
  expect(pings).toBeLessThanOrEqual(2)
})

test('a client that left during authenticate: the source is not started, nothing is reported', async () => {
  const authenticated = deferred<{ id: string } | null>()
  const leave = new AbortController()
  const source = vi.fn(referenceServerSource({ url: 'http://127.0.0.1:9', token: 'service-token-abcdefghijklmnop' }))
  const errors: string[] = []
  const { GET } = createSseRouteHandler<{ id: string }>({
    authenticate: () => authenticated.promise,
    authorize: () => true,
    source,
    onError: (message) => errors.push(message),
  })
  const answer = GET(streamRequest('/api/live/p1', { signal: leave.signal }), paramsOf('p1'))
  leave.abort()
  authenticated.resolve({ id: 'u1' })
  const response = await answer
  expect({ errors, sourceCalls: source.mock.calls.length, status: response.status }).toEqual({ errors: [], sourceCalls: 0, status: expect.any(Number) })
})
