/**
 * An open stream asks `authenticate` and `authorize` again every `recheckAccessMs`: a revoked
 * user kept reading the project's events for as long as the connection stayed up (an attacker's
 * probe, 2026-12-06, a day later still).
 */
import { afterEach, expect, test, vi } from 'vitest'
import { jobSource } from '../../src/next'
import { bodyReader, handler, paramsOf, streamRequest, TOKEN } from './support'

afterEach(() => {
  vi.useRealTimers()
})

function revocable(recheckAccessMs?: number | false, heartbeatMs?: number) {
  let allowed = true
  let checks = 0
  let push!: (seq: number) => void
  const { GET, errors } = handler({
    recheckAccessMs,
    ...(heartbeatMs ? { heartbeatMs } : {}),
    authenticate: (token) => (checks++, allowed && token === TOKEN ? { id: 'u1' } : null),
    authorize: () => allowed,
    source: jobSource((_projectId, context) => {
      push = (seq) => void context.push({ event: { type: 'progress', seq } })
    }),
  })
  return { GET, errors, revoke: () => (allowed = false), push: (seq: number) => push(seq), checks: () => checks }
}

test('a revoked user: the stream ends at the next check, before the next event', async () => {
  vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] })
  const { GET, revoke, push, checks } = revocable(60_000)
  const body = bodyReader(await GET(streamRequest('/api/live/p1'), paramsOf('p1')))
  push(1)
  await body.until((text) => text.includes('"seq":1'))
  vi.advanceTimersByTime(60_000)
  // Still allowed: checked, and the stream goes on.
  await vi.waitFor(() => expect(checks()).toBe(2))
  push(2)
  await body.until((text) => text.includes('"seq":2'))
  revoke()
  vi.advanceTimersByTime(60_000)
  vi.useRealTimers()
  // The stream ends (the client reconnects and is refused with 401); seq 3 never goes out.
  const text = await body.rest()
  push(3)
  expect(text).not.toContain('"seq":3')
  expect(checks()).toBe(3)
})

test('recheckAccessMs: false checks once, when the stream opens', async () => {
  vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] })
  // No heartbeat within the day: a client that reads nothing for a day is ended as stalled.
  const { GET, revoke, push, checks } = revocable(false, 48 * 3600_000)
  const body = bodyReader(await GET(streamRequest('/api/live/p1'), paramsOf('p1')))
  revoke()
  vi.advanceTimersByTime(24 * 3600_000)
  vi.useRealTimers()
  push(1)
  await body.until((text) => text.includes('"seq":1'))
  await body.cancel()
  expect(checks()).toBe(1)
})

test('a check that throws ends the stream too, reported without the token', async () => {
  vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] })
  let calls = 0
  const { GET, errors } = handler({
    recheckAccessMs: 1000,
    authenticate: (token) => {
      if (++calls > 1) throw new Error(`session store down while checking ${token}`)
      return { id: 'u1' }
    },
    authorize: () => true,
    source: jobSource(() => {}),
  })
  const body = bodyReader(await GET(streamRequest('/api/live/p1'), paramsOf('p1')))
  vi.advanceTimersByTime(1000)
  vi.useRealTimers()
  await body.rest()
  expect(errors).toHaveLength(1)
  expect(errors[0]).toContain('authenticate or authorize failed')
  expect(errors[0]).not.toContain(TOKEN)
})
