// A review's probe of the opt-in keep-alive: the client's `heartbeat` takes a plain object or a
// keepAlive(), merged with a dialect's field by field. A keepAlive() that carried every default
// replaced the dialect's schedule and timeout: under appBuilder (a server that drops clients whose
// own heartbeat is over 60 s old, whatever the traffic) a busy stream got no ping at all. And a
// field passed through as undefined never pinged, and re-armed a 1 ms timer for good.
import { afterEach, beforeEach, expect, test, vi } from 'vitest'
import { LiveStatusClient, type LiveStatusClientOptions } from '../../src/core'
import { appBuilder } from '../../src/dialects/appBuilder'
import { keepAlive } from '../../src/transport'
import { fakeSource } from '../helpers/fakeSources'
import { createMockEndpoint, flush } from '../helpers/mockEndpoint'

beforeEach(() => vi.useFakeTimers())
afterEach(() => {
  vi.clearAllTimers()
  vi.useRealTimers()
})

async function pingsOnBusyStream(options: Partial<LiveStatusClientOptions>) {
  const endpoint = createMockEndpoint()
  const client = new LiveStatusClient({
    apiUrl: 'http://app.test', accessToken: 'secret-token-123', WebSocket: endpoint.WebSocket,
    onlineManager: fakeSource(true), focusManager: fakeSource(true), random: () => 1, auth: { type: 'query' },
    ...options,
  })
  client.hub.acquire(endpoint.url)
  await flush()
  for (let i = 0; i < 30; i++) {
    endpoint.send({ type: 'progress', n: i })
    await vi.advanceTimersByTimeAsync(100)
  }
  client.dispose()
  return { received: endpoint.received, heartbeat: client.hub.options.heartbeat }
}

test('plain { intervalMs } under appBuilder keeps the fixed schedule', async () => {
  expect((await pingsOnBusyStream({ dialect: appBuilder, heartbeat: { intervalMs: 1000 } })).received).toHaveLength(3)
})

test('keepAlive({ intervalMs }) under appBuilder keeps the fixed schedule too', async () => {
  const { received, heartbeat } = await pingsOnBusyStream({ dialect: appBuilder, heartbeat: keepAlive({ intervalMs: 1000 }) })
  expect(heartbeat).toMatchObject({ schedule: 'fixed', timeoutMs: 35_000 })
  expect(received).toHaveLength(3)
})

test('a heartbeat field passed through as undefined hides no default: a ping after 25 s of silence, no 1 ms timer loop', async () => {
  const endpoint = createMockEndpoint()
  const interval: number | undefined = undefined
  const client = new LiveStatusClient({
    apiUrl: 'http://app.test', accessToken: 'secret-token-123', WebSocket: endpoint.WebSocket,
    onlineManager: fakeSource(true), focusManager: fakeSource(true), random: () => 1, auth: { type: 'query' },
    heartbeat: { intervalMs: interval },
  })
  client.hub.acquire(endpoint.url)
  await flush()
  const now = vi.spyOn(Date, 'now')
  await vi.advanceTimersByTimeAsync(30_000)
  const checks = now.mock.calls.length // 30,000 here: check() every 1 ms
  now.mockRestore()
  client.dispose()
  // Before: no ping, and check() every 1 ms (30,000 calls).
  expect(endpoint.received.length).toBeGreaterThan(0)
  expect(checks).toBeLessThan(100)
})
