/**
 * The keep-alive and resume carry their own code (`keepAlive()`, `resumeBySeq()`), so that a bare
 * `SocketHub` bundles neither unless given them. The client (and so the provider) takes both in
 * their plain forms and gives the hub the code: it pings by default as it always did, a dialect's
 * heartbeat fields merged with an app's still run, and `resumeParam: 'since'` still resumes.
 */
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import { LiveStatusClient, type Dialect, type LiveStatusClientOptions } from '../../src/core'
import { appBuilder } from '../../src/dialects/appBuilder'
import { keepAlive } from '../../src/transport'
import { fakeSource } from '../helpers/fakeSources'
import { createMockEndpoint, flush } from '../helpers/mockEndpoint'

const TOKEN = 'secret-token-123'

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.clearAllTimers()
  vi.useRealTimers()
})

function setup(options: Partial<LiveStatusClientOptions> = {}) {
  const endpoint = createMockEndpoint()
  const client = new LiveStatusClient({
    apiUrl: 'http://app.test',
    accessToken: TOKEN,
    WebSocket: endpoint.WebSocket,
    onlineManager: fakeSource(true),
    focusManager: fakeSource(true),
    random: () => 1,
    auth: { type: 'query' },
    ...options,
  })
  return { endpoint, client, lease: client.hub.acquire(endpoint.url) }
}

describe('keep-alive', () => {
  test('on by default, as before: a ping after 25 s of silence, and a server that answers nothing is dropped at 35 s', async () => {
    const { endpoint, client, lease } = setup()
    await flush()
    await vi.advanceTimersByTimeAsync(24_990)
    expect(endpoint.received).toEqual([])
    await vi.advanceTimersByTimeAsync(10)
    expect(endpoint.received).toEqual([{ type: 'ping' }])
    await vi.advanceTimersByTimeAsync(10_000)
    expect(lease.connection.getStatus()).toMatchObject({ state: 'reconnecting', lastCloseReason: 'heartbeat timeout' })
    client.dispose()
  })

  test('heartbeat: false turns it off', async () => {
    const { endpoint, client, lease } = setup({ heartbeat: false })
    await vi.advanceTimersByTimeAsync(600_000)
    expect(endpoint.received).toEqual([])
    expect(lease.connection.getStatus().state).toBe('open')
    client.dispose()
  })

  test('a plain object, a keepAlive(), or one endpoint\'s plain object: each runs', async () => {
    const plain = setup({ heartbeat: { intervalMs: 100, message: { kind: 'plain' } } })
    const made = setup({ heartbeat: keepAlive({ intervalMs: 100, message: { kind: 'made' } }) })
    const perEndpoint = setup({ heartbeat: false, endpointOptions: () => ({ heartbeat: { intervalMs: 100, message: { kind: 'endpoint' } } }) })
    await flush(150)
    expect(plain.endpoint.received).toEqual([{ kind: 'plain' }])
    expect(made.endpoint.received).toEqual([{ kind: 'made' }])
    expect(perEndpoint.endpoint.received).toEqual([{ kind: 'endpoint' }])
    for (const { client } of [plain, made, perEndpoint]) client.dispose()
  })

  test("a dialect's heartbeat under an app's intervalMs runs with both: the dialect's schedule and message, the app's interval", async () => {
    const { endpoint, client } = setup({ dialect: appBuilder, heartbeat: { intervalMs: 1000 } })
    await flush()
    // A busy stream: the dialect's `fixed` schedule pings whatever the traffic.
    for (let i = 0; i < 30; i++) {
      endpoint.send({ type: 'progress', n: i })
      await vi.advanceTimersByTimeAsync(100)
    }
    expect(endpoint.received).toEqual([{ type: 'heartbeat' }, { type: 'heartbeat' }, { type: 'heartbeat' }])
    client.dispose()
  })

  test("a dialect's keepAlive() under an app's plain field keeps the dialect's other fields", async () => {
    const dialect: Dialect = { name: 'x', options: { heartbeat: keepAlive({ intervalMs: 60_000, message: { op: 'keepalive' } }) } }
    const { endpoint, client } = setup({ dialect, heartbeat: { intervalMs: 100 } })
    await flush(150)
    expect(endpoint.received).toEqual([{ op: 'keepalive' }])
    client.dispose()
  })
})

describe('resume', () => {
  /** Three events with their `seq`, then the server closes (1006) and the client comes back after 1 s. */
  async function reconnectAfterEvents(options: Partial<LiveStatusClientOptions>) {
    const { endpoint, client, lease } = setup({ heartbeat: false, ...options })
    const received: unknown[] = []
    lease.release()
    client.hub.acquire(endpoint.url, { onEvents: (events) => received.push(...events) })
    await flush()
    for (const seq of [3, 7, 5]) endpoint.send({ type: 'progress', seq })
    await endpoint.closeClients(1006)
    await vi.advanceTimersByTimeAsync(1010)
    expect(received).toHaveLength(3)
    expect(endpoint.created).toHaveLength(2)
    client.dispose()
    return new URL(endpoint.created[1]!.url).searchParams
  }

  test("resumeParam: 'since' asks on reconnect for what came after the highest seq taken", async () => {
    expect((await reconnectAfterEvents({ resumeParam: 'since' })).get('since')).toBe('7')
  })

  test("from a dialect, or for one endpoint, too; and nothing without it", async () => {
    expect((await reconnectAfterEvents({ dialect: { name: 'x', options: { resumeParam: 'after' } } })).get('after')).toBe('7')
    expect((await reconnectAfterEvents({ endpointOptions: () => ({ resumeParam: 'cursor' }) })).get('cursor')).toBe('7')
    expect([...(await reconnectAfterEvents({})).keys()]).toEqual(['token'])
  })
})
