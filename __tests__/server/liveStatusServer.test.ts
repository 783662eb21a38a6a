import { afterEach, describe, expect, test, vi } from 'vitest'
import { WebSocket } from 'ws'
import { SocketHub } from '../../src/core'
import { closeAction } from '../../src/transport/closeAction'
import { resumeBySeq } from '../../src/transport'
import { createLiveStatusServer, InMemoryEventBus, type LiveStatusServer } from '../../src/server'
import { rawClient } from '../helpers/serverClient'
import { waitForStatus } from '../helpers/wsServer'
import { messageAuth, withToken, type ConnectOptions } from './support/serverHarness'

const users: Record<string, { id: string; projects: string[] }> = {
  'tok-alice': { id: 'alice', projects: ['p1', 'p2'] },
  'tok-bob': { id: 'bob', projects: ['p2'] },
}

const servers: LiveStatusServer<{ id: string; projects: string[] }>[] = []
const sockets: { close(): void }[] = []
afterEach(async () => {
  sockets.splice(0).forEach((s) => s.close())
  await Promise.all(servers.splice(0).map((s) => s.close()))
  vi.useRealTimers()
})

async function start(options: Partial<Parameters<typeof createLiveStatusServer<{ id: string; projects: string[] }>>[0]> = {}) {
  const server = createLiveStatusServer({
    authenticate: (token) => users[token],
    authorize: (user, projectId) => user.projects.includes(projectId),
    log: () => {},
    ...options,
  })
  servers.push(server)
  const { port, url } = await server.listen()
  const ws = `ws://127.0.0.1:${port}`
  const connect = (path: string, opts: ConnectOptions = {}) => {
    const client = rawClient(`${ws}${path}`, withToken(opts))
    sockets.push(client)
    return client
  }
  return { server, port, url, ws, connect }
}

describe('auth', () => {
  test('all three transports are accepted (the query only with allowTokenInQuery)', async () => {
    const { server, connect } = await start({ allowTokenInQuery: true })
    await server.publish('p1', { type: 'index_started', project_id: 'p1' })
    const byQuery = connect('/ws/projects/p1?token=tok-alice')
    const byBearer = connect('/ws/projects/p1', { protocols: ['bearer', 'tok-alice'] })
    const byPrefixed = connect('/ws/projects/p1', { protocols: ['access_token.tok-alice'] })
    const byMessage = connect('/ws/projects/p1')
    await byMessage.opened()
    byMessage.send({ type: 'auth', token: 'tok-alice' })
    for (const client of [byQuery, byBearer, byPrefixed, byMessage]) {
      await client.until(() => client.events().length > 0)
      expect(client.events()[0]).toMatchObject({ type: 'index_status', project_id: 'p1', status: 'indexing' })
    }
    // The bearer transport never has the token echoed back.
    expect(byBearer.socket.protocol).toBe('bearer')
    expect(server.stats.connections).toBe(4)
  })

  test('4401 for a bad or missing token, 4403 for a project the user may not see', async () => {
    const { connect } = await start({ authTimeoutMs: 100 })
    expect(await connect('/ws/projects/p1', { token: 'nope' }).untilClosed()).toEqual({ code: 4401, reason: 'invalid token' })
    expect(await connect('/ws/projects/p1', { token: 'tok-bob' }).untilClosed()).toEqual({ code: 4403, reason: 'forbidden' })
    const silent = connect('/ws/projects/p1')
    expect(await silent.untilClosed()).toEqual({ code: 4401, reason: 'authentication required' })
    const wrongFirst = connect('/ws/projects/p1')
    await wrongFirst.opened()
    wrongFirst.send({ type: 'ping' })
    expect((await wrongFirst.untilClosed()).code).toBe(4401)
  })

  test('the hub client stops at 4401 and reports it once', async () => {
    const { ws } = await start()
    const onAuthError = vi.fn()
    const hub = new SocketHub({ token: 'expired', auth: messageAuth, WebSocket, onAuthError })
    const lease = hub.acquire(`${ws}/ws/projects/p1`)
    const status = await waitForStatus(lease.connection.status, (s) => s.state === 'unauthorized')
    expect(status.lastCloseCode).toBe(4401)
    expect(onAuthError).toHaveBeenCalledTimes(1)
    hub.dispose()
  })

  test('REST: 401 without a valid bearer token, 403 for another project', async () => {
    const { server, url } = await start()
    await server.publish('p1', { type: 'index_complete', project_id: 'p1', entity_count: 3 })
    expect((await fetch(`${url}/api/projects/p1/index`)).status).toBe(401)
    expect((await fetch(`${url}/api/projects/p1/index`, { headers: { Authorization: 'Bearer nope' } })).status).toBe(401)
    expect((await fetch(`${url}/api/projects/p1/index`, { headers: { Authorization: 'Bearer tok-bob' } })).status).toBe(403)
    const ok = await fetch(`${url}/api/projects/p1/index`, { headers: { Authorization: 'Bearer tok-alice' } })
    expect(ok.status).toBe(200)
    expect(await ok.json()).toMatchObject({ project_id: 'p1', status: 'ready', entity_count: 3 })
  })
})

describe('limits and origin', () => {
  test('the 11th socket of one user gets 4429', async () => {
    const { server, connect } = await start()
    const clients = Array.from({ length: 10 }, () => connect('/ws/projects/p1', { token: 'tok-alice' }))
    await Promise.all(clients.map((c) => c.opened()))
    await vi.waitUntil(() => server.stats.connections === 10)
    expect(await connect('/ws/projects/p2', { token: 'tok-alice' }).untilClosed()).toEqual({ code: 4429, reason: 'too many connections' })
    // Another user is not affected; a freed slot can be used again.
    const bob = connect('/ws/projects/p2', { token: 'tok-bob' })
    await bob.opened()
    clients[0]!.close()
    await vi.waitUntil(() => server.stats.connections === 10)
    const again = connect('/ws/projects/p1', { token: 'tok-alice' })
    await again.opened()
    await vi.waitUntil(() => server.stats.connections === 11)
    expect(again.closed).toBeNull()
  })

  test('with an allow-list, a foreign Origin is refused before the upgrade', async () => {
    const { connect } = await start({ allowedOrigins: ['https://app.example.com'] })
    const evil = connect('/ws/projects/p1', { token: 'tok-alice', origin: 'https://evil.example.net' })
    expect((await evil.untilClosed()).reason).toBe('HTTP 403')
    const good = connect('/ws/projects/p1', { token: 'tok-alice', origin: 'https://app.example.com' })
    await good.opened()
  })

  test('REST answers allowed origins with CORS headers (preflight included), others without', async () => {
    const { server, url } = await start({ allowedOrigins: ['http://app.test'] })
    await server.publish('p1', { type: 'index_complete', project_id: 'p1', entity_count: 1 })
    const preflight = await fetch(`${url}/api/projects/p1/index`, {
      method: 'OPTIONS',
      headers: { Origin: 'http://app.test', 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'authorization' },
    })
    expect(preflight.status).toBe(204)
    expect(preflight.headers.get('access-control-allow-origin')).toBe('http://app.test')
    expect(preflight.headers.get('access-control-allow-headers')).toContain('Authorization')
    const allowed = await fetch(`${url}/api/projects/p1/index`, { headers: { Origin: 'http://app.test', Authorization: 'Bearer tok-alice' } })
    expect(allowed.headers.get('access-control-allow-origin')).toBe('http://app.test')
    const other = await fetch(`${url}/api/projects/p1/index`, { headers: { Origin: 'http://evil.test', Authorization: 'Bearer tok-alice' } })
    expect(other.headers.get('access-control-allow-origin')).toBeNull()
  })

  test('frames over maxPayloadBytes close with 1009', async () => {
    const { connect } = await start({ maxPayloadBytes: 1024 })
    const client = connect('/ws/projects/p1', { token: 'tok-alice' })
    await client.opened()
    client.send({ type: 'ping', pad: 'x'.repeat(2000) })
    expect((await client.untilClosed()).code).toBe(1009)
  })
})

describe('malformed frames', () => {
  test('get a client_error frame; the connection and other projects are unaffected; a flood is cut off with 1002, which the client does not read as sign-in required', async () => {
    const { server, connect } = await start({ maxInvalidFrames: 20, invalidFramesWindowMs: Infinity })
    const other = connect('/ws/projects/p2', { token: 'tok-bob' })
    const client = connect('/ws/projects/p1', { token: 'tok-alice' })
    await Promise.all([client.opened(), other.opened()])
    await vi.waitUntil(() => server.stats.connections === 2)
    const bad = ['not json', '[1,2]', 'null', '{"type":"subscribe","project":"p2"}', '{"__proto__":{"x":1}}', '{"type":42}']
    for (const frame of bad) client.send(frame)
    client.socket.send(Buffer.from([0xff, 0x00, 0x12]), { binary: true })
    client.send({ type: 'ping' })
    await client.until(() => client.frames.length >= bad.length + 2)
    expect(client.frames.slice(0, -1).every((f) => f.type === 'client_error' && typeof f.reason === 'string')).toBe(true)
    expect(client.frames.at(-1)).toEqual({ type: 'pong' })
    expect(client.frames.map((f) => f.messageType)).toEqual([null, null, null, 'subscribe', null, null, null, undefined])
    expect(({} as Record<string, unknown>).x).toBeUndefined()
    expect(other.frames).toEqual([])
    for (let i = 0; i < 30; i++) client.send('garbage')
    const closed = await client.untilClosed()
    expect(closed).toEqual({ code: 1002, reason: 'too many unsupported or invalid messages' })
    expect(closeAction(closed.code, false, { authCloseCodes: [1008, 4401, 4403], fatalCloseCodes: [1002, 1003, 1007, 1009, 1010] })).toBe('give-up')
    expect(other.closed).toBeNull()
  })
})

describe('snapshot, seq and replay', () => {
  test('snapshot first, then live events with increasing seq; events of other projects never arrive', async () => {
    const { server, connect } = await start({ batchIntervalMs: 5 })
    await server.publish('p1', { type: 'operation_started', operation_id: 'op1', operation_type: 'index', total_files: 4 })
    await server.publish('p1', { type: 'file_completed', operation_id: 'op1', processed_files: 1, total_files: 4 })
    const client = connect('/ws/projects/p1', { token: 'tok-alice' })
    await client.until(() => client.events().length > 0)
    expect(client.events()[0]).toMatchObject({ type: 'current_state', operation_id: 'op1', processed_files: 1, total_files: 4, status: 'processing' })
    await server.publish('p2', { type: 'index_started', project_id: 'p2' })
    await server.publish('p1', { type: 'file_completed', operation_id: 'op1', processed_files: 2, total_files: 4 })
    await server.publish('p1', { type: 'file_completed', operation_id: 'op1', processed_files: 3, total_files: 4 })
    await client.until(() => client.events().length === 3)
    const seqs = client.events().map((e) => e.seq)
    expect(seqs[1]).toBeGreaterThan(seqs[0])
    expect(seqs[2]).toBeGreaterThan(seqs[1])
    expect(client.events().some((e) => e.project_id === 'p2')).toBe(false)
    // The two live events of one burst came in one batch frame.
    expect(client.frames.at(-1)).toMatchObject({ type: 'batch' })
  })

  test('?since= replays exactly what was missed; a gap older than the history gets a snapshot', async () => {
    const { server, connect } = await start({ bus: new InMemoryEventBus({ historySize: 5 }), batchIntervalMs: 5 })
    const first = await server.publish('p1', { type: 'file_completed', operation_id: 'op1', processed_files: 1, total_files: 10 })
    for (let n = 2; n <= 4; n++) await server.publish('p1', { type: 'file_completed', operation_id: 'op1', processed_files: n, total_files: 10 })
    const resumed = connect(`/ws/projects/p1?since=${first.seq}`, { token: 'tok-alice' })
    await resumed.until(() => resumed.events().length === 3)
    expect(resumed.events().map((e) => e.processed_files)).toEqual([2, 3, 4])
    for (let n = 5; n <= 12; n++) await server.publish('p1', { type: 'file_completed', operation_id: 'op1', processed_files: n, total_files: 10 })
    const tooOld = connect(`/ws/projects/p1?since=${first.seq}`, { token: 'tok-alice' })
    await tooOld.until(() => tooOld.events().length > 0)
    expect(tooOld.events()).toHaveLength(1)
    expect(tooOld.events()[0]).toMatchObject({ type: 'current_state', processed_files: 12 })
  })

  test('a hub client with resumeParam reconnects with ?since= and gets exactly what it missed', async () => {
    const { server, ws } = await start({ batchIntervalMs: 5 })
    const urls: string[] = []
    class Recording extends WebSocket {
      constructor(url: string, protocols?: string | string[]) {
        super(url, protocols)
        urls.push(url)
      }
    }
    const hub = new SocketHub({ token: 'tok-alice', auth: messageAuth, WebSocket: Recording, resumeParam: resumeBySeq('since'), reconnect: { initialDelayMs: 50 } })
    const got: { type: string; processed_files?: number; seq: number }[] = []
    const lease = hub.acquire<{ type: string; seq: number }>(`${ws}/ws/projects/p1`, { onEvents: (events) => got.push(...(events as typeof got)) })
    await waitForStatus(lease.connection.status, (s) => s.state === 'open')
    await server.publish('p1', { type: 'file_completed', operation_id: 'op1', processed_files: 1, total_files: 5 })
    await vi.waitUntil(() => got.length === 1)
    server.terminateAll()
    await waitForStatus(lease.connection.status, (s) => s.state === 'reconnecting')
    for (let n = 2; n <= 4; n++) await server.publish('p1', { type: 'file_completed', operation_id: 'op1', processed_files: n, total_files: 5 })
    await waitForStatus(lease.connection.status, (s) => s.state === 'open')
    await vi.waitUntil(() => got.length === 4)
    expect(got.map((e) => e.processed_files)).toEqual([1, 2, 3, 4])
    expect(urls[1]).toContain(`since=${got[0]!.seq}`)
    hub.dispose()
  })

  test('seq keeps increasing across a restart of an in-memory server', async () => {
    const a = await start()
    const before = await a.server.publish('p1', { type: 'index_started', project_id: 'p1' })
    await a.server.close()
    const b = await start()
    const after = await b.server.publish('p1', { type: 'index_started', project_id: 'p1' })
    expect(after.seq).toBeGreaterThan(before.seq)
  })
})

describe('fan-out', () => {
  test('1,000 concurrent clients on loopback each receive every event of a burst', async () => {
    const { server, connect } = await start({ maxConnectionsPerUser: 2000 })
    const clients = Array.from({ length: 1000 }, () => connect('/ws/projects/p1', { token: 'tok-alice' }))
    await Promise.all(clients.map((c) => c.opened()))
    await vi.waitUntil(() => server.stats.connections === 1000, { timeout: 20_000 })
    const burst = 250
    for (let n = 1; n <= burst; n++) await server.publish('p1', { type: 'file_completed', operation_id: 'op1', processed_files: n, total_files: burst })
    await Promise.all(clients.map((c) => c.until(() => c.events().filter((e) => e.type === 'file_completed').length === burst)))
    for (const client of clients) {
      const got = client.events().filter((e) => e.type === 'file_completed').map((e) => e.processed_files)
      expect(got).toEqual(Array.from({ length: burst }, (_, i) => i + 1))
      // Batched: 250 events in at most a handful of frames, not 250.
      expect(client.frames.length).toBeLessThanOrEqual(10)
    }
  }, 60_000)
})

describe('memory', () => {
  test('finished operations are forgotten after retainFinishedMs; running ones are kept', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] })
    const { server, url } = await start({ retainFinishedMs: 60_000, idleTimeoutMs: 4000 })
    await server.publish('p1', { type: 'operation_completed', operation_id: 'done', status: 'completed' })
    await server.publish('p1', { type: 'file_completed', operation_id: 'running', processed_files: 1, total_files: 9 })
    const status = async (id: string) => (await fetch(`${url}/api/operations/${id}`, { headers: { Authorization: 'Bearer tok-alice' } })).status
    expect(await status('done')).toBe(200)
    vi.advanceTimersByTime(59_000)
    expect(await status('done')).toBe(200)
    vi.advanceTimersByTime(2_000)
    expect(await status('done')).toBe(404)
    expect(await status('running')).toBe(200)
    expect(server.state('p1').operations.has('done')).toBe(false)
  })
})

describe('liveness', () => {
  test('answers pings; a client silent for idleTimeoutMs is dropped', async () => {
    const { server, connect } = await start({ idleTimeoutMs: 1000 })
    const client = connect('/ws/projects/p1', { token: 'tok-alice' })
    await client.opened()
    client.send({ type: 'ping' })
    await client.until(() => client.frames.some((f) => f.type === 'pong'))
    // Stop answering protocol pings: a half-open client as the server sees it.
    client.socket.pong = () => {}
    ;(client.socket as unknown as { _receiver: { removeAllListeners(e: string): void } })._receiver.removeAllListeners('ping')
    const closed = await client.untilClosed()
    expect(closed.code).toBe(1006)
    await vi.waitUntil(() => server.stats.connections === 0)
  }, 20_000)
})
