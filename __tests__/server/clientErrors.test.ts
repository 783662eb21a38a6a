// Issue #21, item 7: one component must not take a shared socket down. A message the server does
// not support is answered with a `client_error` frame and counted; only a flood closes (1002).
import { afterEach, describe, expect, test, vi } from 'vitest'
import { closeAction } from '../../src/transport/closeAction'
import { configFromEnv } from '../../src/server/config/fromEnv'
import { disposeAll, startServer } from './support/serverHarness'

afterEach(async () => {
  await disposeAll()
  vi.useRealTimers()
})

const clientErrors = (frames: { type: string }[]) => frames.filter((f) => f.type === 'client_error')

describe('unsupported messages', () => {
  test('21 unsupported messages get 21 client_error frames, the socket stays open and keeps its events (as does another socket of the project), and metrics count them', async () => {
    const { server, url, connect } = await startServer({ batchIntervalMs: 5 })
    const component = connect('/ws/projects/p1', { token: 'tok-alice' })
    const bystander = connect('/ws/projects/p1', { token: 'tok-alice' })
    await Promise.all([component.opened(), bystander.opened()])
    await vi.waitUntil(() => server.stats.connections === 2)
    for (let i = 0; i < 21; i++) component.send({ type: 'subscribe', project: 'p2' })
    component.send({ type: 'ping' })
    // Answered in order: the pong comes after the 21 error frames, on a socket still open.
    await component.until(() => component.frames.some((f) => f.type === 'pong'))
    expect(component.closed).toBeNull()
    expect(clientErrors(component.frames)).toHaveLength(21)
    for (const frame of clientErrors(component.frames))
      expect(frame).toEqual({ type: 'client_error', messageType: 'subscribe', reason: expect.stringContaining('unsupported message type "subscribe"') })
    // Exactly this shape, as the client side reads it.
    expect(Object.keys(component.frames[0]!)).toEqual(['type', 'messageType', 'reason'])

    await server.publish('p1', { type: 'index_started', project_id: 'p1' })
    for (const client of [component, bystander]) await client.until(() => client.events().some((e) => e.type === 'index_started'))
    expect(bystander.closed).toBeNull()

    expect(server.metrics()).toMatchObject({ clientErrors: 21, drops: { too_many_invalid_frames: 0 } })
    const text = await (await fetch(`${url}/metrics`)).text()
    expect(text).toContain('# TYPE live_status_client_errors_total counter')
    expect(text).toContain('live_status_client_errors_total 21')
  })

  test('messageType is null when the type is not a string or the frame not a JSON object; each is answered', async () => {
    const { server, connect } = await startServer()
    const client = connect('/ws/projects/p1', { token: 'tok-alice' })
    await client.opened()
    for (const frame of ['not json', '[]', 'null', '{}', '{"type":42}', '{"type":{"toString":1}}']) client.send(frame)
    client.socket.send(Buffer.from([1, 2, 3]), { binary: true })
    await client.until(() => client.frames.length === 7)
    expect(client.frames.every((f) => f.type === 'client_error' && f.messageType === null && typeof f.reason === 'string')).toBe(true)
    expect(client.frames[4].reason).toContain('unsupported message type (number)')
    expect(server.metrics().clientErrors).toBe(7)
    expect(client.closed).toBeNull()
  })

  test('a long type is echoed cut to 256 characters', async () => {
    const { connect } = await startServer()
    const client = connect('/ws/projects/p1', { token: 'tok-alice' })
    await client.opened()
    client.send({ type: 'x'.repeat(5000) })
    await client.until(() => client.frames.length === 1)
    expect(client.frames[0].messageType).toBe('x'.repeat(256))
  })
})

describe('a flood', () => {
  test('over maxInvalidFrames (100) within invalidFramesWindowMs (10 s) closes with 1002, counted; the count starts again after the window', async () => {
    // The clock stands still unless moved: "within the window" is decided here, not by how fast loopback is.
    vi.useFakeTimers({ toFake: ['Date'] })
    const { server, connect } = await startServer()
    const client = connect('/ws/projects/p1', { token: 'tok-alice' })
    await client.opened()
    for (let i = 0; i < 100; i++) client.send({ type: 'subscribe' })
    await client.until(() => client.frames.length === 100)
    vi.setSystemTime(Date.now() + 10_000)
    for (let i = 0; i < 100; i++) client.send({ type: 'subscribe' })
    await client.until(() => client.frames.length === 200)
    expect(client.closed).toBeNull()

    client.send({ type: 'subscribe' })
    const closed = await client.untilClosed()
    expect(closed).toEqual({ code: 1002, reason: 'too many unsupported or invalid messages' })
    expect(closeAction(closed.code, false, { authCloseCodes: [1008, 4401, 4403], fatalCloseCodes: [1002, 1003, 1007, 1009, 1010] })).toBe('give-up')
    expect(clientErrors(client.frames)).toHaveLength(200)
    expect(server.metrics()).toMatchObject({ clientErrors: 200, drops: { too_many_invalid_frames: 1 } })
  })

  test('the limit and the window are options, also from the environment', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const { connect } = await startServer({ maxInvalidFrames: 3, invalidFramesWindowMs: 1000 })
    const client = connect('/ws/projects/p1', { token: 'tok-alice' })
    await client.opened()
    for (let i = 0; i < 4; i++) client.send('garbage')
    expect((await client.untilClosed()).code).toBe(1002)
    expect(clientErrors(client.frames)).toHaveLength(3)
    expect(configFromEnv({ LIVE_STATUS_MAX_INVALID_FRAMES: '50', LIVE_STATUS_INVALID_FRAMES_WINDOW_MS: '2000' }).options).toEqual({ maxInvalidFrames: 50, invalidFramesWindowMs: 2000 })
  })
})
