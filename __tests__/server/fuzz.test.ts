/**
 * One server, kept running while generated garbage is thrown at it: random request lines, headers
 * and upgrade requests over raw TCP, resets at every byte offset, random and hostile frames before
 * and after authentication. After every case a well-behaved client must still be served, and the
 * process must have seen no uncaught exception or unhandled rejection.
 */
import fc from 'fast-check'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { WebSocket } from 'ws'
import type { LiveStatusServer } from '../../src/server'
import { rawClient } from '../helpers/serverClient'
import { disposeAll, rawExchange, startServer, watchProcess, type TestUser } from './support/serverHarness'

const SEED = 20261201
let server: LiveStatusServer<TestUser>
let port: number
let url: string
let watcher: ReturnType<typeof rawClient>
let watch: ReturnType<typeof watchProcess>
let published = 0

beforeAll(async () => {
  watch = watchProcess()
  const started = await startServer({ batchIntervalMs: 2, maxConnectionsPerUser: 1000, authTimeoutMs: 300, maxPayloadBytes: 4096, allowedOrigins: ['http://good.test'] })
  ;({ server, port, url } = started)
  watcher = started.connect('/ws/projects/p1', { token: 'tok-alice', origin: 'http://good.test' })
  await watcher.opened()
})
afterAll(async () => {
  await disposeAll()
  watch.stop()
})

/** The well-behaved client still gets live events, REST still answers, nothing escaped. */
async function stillServing() {
  const n = ++published
  await server.publish('p1', { type: 'file_completed', operation_id: 'watch', processed_files: n, total_files: 1e9 })
  await watcher.until(() => watcher.events().some((e) => e.operation_id === 'watch' && e.processed_files === n))
  expect(watcher.closed).toBeNull()
  const rest = await fetch(`${url}/api/operations/watch`, { headers: { Authorization: 'Bearer tok-alice' } })
  expect(rest.status).toBe(200)
  expect(watch.problems).toEqual([])
}

// ---- generators -------------------------------------------------------------------------------

const token = fc.constantFrom('tok-alice', 'tok-bob', 'nope', '', '%', '\u0000', 'a'.repeat(300))
const target = fc.oneof(
  fc.constantFrom('//a:99999/', '/ws/projects/p1', '/ws/projects/%E0%A4%A', '/ws/projects/..%2F..%2Fetc', '/ws/projects/%00', `/ws/projects/${'x'.repeat(8192)}`, '*', 'http://evil/ws/projects/p1', '/api/projects/p1/index', '/api/operations/%zz', '/healthz', '/metrics?format=json', '/ws/projects/p1?since=1e400', '/ws/projects/p1?since=-1', '/readyz'),
  fc.string({ maxLength: 40 }).map((s) => `/${s}`),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.tuple(fc.constantFrom('/ws/projects/', '/api/projects/'), fc.string({ maxLength: 20 }), token).map(([p, id, t]) => `${p}${encodeURIComponent(id)}?token=${t}`),
)
const method = fc.oneof(fc.constantFrom('GET', 'POST', 'OPTIONS', 'HEAD', 'DELETE', 'PRI', 'CONNECT'), fc.string({ maxLength: 8 }))
const headerLine = fc.oneof(
  fc.constantFrom(
    'Connection: Upgrade',
    'Upgrade: websocket',
    'Sec-WebSocket-Version: 13',
    'Sec-WebSocket-Version: 99',
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
    'Sec-WebSocket-Key: x',
    'Sec-WebSocket-Protocol: bearer, tok-alice',
    'Sec-WebSocket-Protocol: access_token.tok-alice',
    'Sec-WebSocket-Protocol: ,,,',
    'Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=99',
    'Origin: null',
    'Authorization: Bearer tok-alice',
    'Authorization: Bearer',
    'Content-Length: 5',
    'Content-Length: -1',
    'Transfer-Encoding: chunked',
    'Host:',
  ),
  fc.tuple(fc.string({ maxLength: 12 }), fc.string({ maxLength: 30 })).map(([k, v]) => `${k}: ${v}`),
  fc.string({ unit: 'binary', maxLength: 30 }),
)
const randomRequest = fc
  .tuple(method, target, fc.constantFrom('HTTP/1.1', 'HTTP/1.0', 'HTTP/2', 'HTTP/1.1 extra', ''), fc.array(headerLine, { maxLength: 8 }), fc.uint8Array({ maxLength: 64 }))
  .map(([m, t, v, headers, body]) => Buffer.concat([Buffer.from(`${m} ${t} ${v}\r\n${headers.join('\r\n')}\r\n\r\n`, 'latin1'), Buffer.from(body)]))
/** A request the HTTP parser accepts, with one or two hostile parts: reaches the server's listeners. */
const wellFormedRequest = fc
  .tuple(
    fc.constantFrom('GET', 'POST', 'OPTIONS'),
    target,
    fc.boolean(),
    fc.constantFrom('', 'Origin: http://good.test', 'Origin: https://evil.example.net', 'Origin: null'),
    fc.array(headerLine, { maxLength: 3 }),
  )
  .map(([m, t, isUpgrade, origin, headers]) => {
    const upgradeHeaders = isUpgrade ? ['Connection: Upgrade', 'Upgrade: websocket', 'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=='] : []
    const lines = [`${m} ${t} HTTP/1.1`, 'Host: x', ...upgradeHeaders, ...(origin ? [origin] : []), ...headers.filter((h) => /^[A-Za-z-]+: [ -~]*$/.test(h))]
    return Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1')
  })
const httpRequest = fc.oneof({ arbitrary: wellFormedRequest, weight: 3 }, { arbitrary: randomRequest, weight: 1 })

const hostileFrame = fc.oneof(
  fc.constantFrom(
    '{"type":{"toString":1}}',
    '{"type":{"valueOf":1,"toString":1}}',
    '{"type":"auth","token":{"toString":1}}',
    '{"type":"auth","token":"tok-alice"}',
    '{"type":"auth","token":"nope"}',
    '{"type":"ping"}',
    '{"__proto__":{"type":"ping"}}',
    '{"constructor":{"prototype":{"x":1}}}',
    'null',
    '[]',
    '"ping"',
    '{"type":"batch","events":[{"type":{"toString":1}}]}',
    '{'.repeat(2000),
  ),
  fc.json({ maxDepth: 4 }),
  fc.string({ maxLength: 200 }),
  fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)),
  fc.constant('x'.repeat(5000)),
)

// ---- properties -------------------------------------------------------------------------------

test('random request lines, headers and upgrade requests over raw TCP, sent whole or reset at a random byte', async () => {
  await fc.assert(
    fc.asyncProperty(httpRequest, fc.option(fc.nat(), { nil: undefined }), async (bytes, cut) => {
      if (cut === undefined) await rawExchange(port, bytes, { endAfterWrite: true })
      else await rawExchange(port, bytes, { resetAfter: cut % (bytes.length + 1) })
      await stillServing()
    }),
    { seed: SEED, numRuns: 150 },
  )
}, 60_000)

test('a valid upgrade, then random bytes as WebSocket frames, reset at every byte offset of the handshake', async () => {
  const key = 'dGhlIHNhbXBsZSBub25jZQ=='
  const handshake = Buffer.from(
    `GET /ws/projects/p1 HTTP/1.1\r\nHost: x\r\nOrigin: http://good.test\r\nSec-WebSocket-Protocol: bearer, tok-alice\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${key}\r\n\r\n`,
    'latin1',
  )
  // A masked text frame carrying a ping, so the exchange goes past the handshake into the protocol.
  const mask = Buffer.from([1, 2, 3, 4])
  const payload = Buffer.from('{"type":"ping"}')
  const frame = Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!))])
  const whole = Buffer.concat([handshake, frame])
  for (let offset = 0; offset <= whole.length; offset++) await rawExchange(port, whole, { resetAfter: offset })
  await stillServing()
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 300 }), fc.boolean(), async (garbage, reset) => {
      const bytes = Buffer.concat([handshake, Buffer.from(garbage)])
      if (reset) await rawExchange(port, bytes, { resetAfter: bytes.length })
      else await rawExchange(port, bytes, { endAfterWrite: true })
      await stillServing()
    }),
    { seed: SEED, numRuns: 60 },
  )
}, 60_000)

test('random and hostile frames before and after authentication', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom('protocol', 'message', 'none', 'query'),
      fc.array(hostileFrame, { maxLength: 30 }),
      fc.constantFrom('close', 'terminate', 'wait'),
      async (auth, frames, ending) => {
        // 'query': a token in the URL, refused (4401) by default.
        const path = auth === 'query' ? '/ws/projects/p1?token=tok-alice' : '/ws/projects/p1'
        const socket = new WebSocket(`ws://127.0.0.1:${port}${path}`, auth === 'protocol' ? ['bearer', 'tok-alice'] : [], { origin: 'http://good.test' })
        const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()))
        socket.on('error', () => {})
        await new Promise<void>((resolve) => {
          socket.on('open', () => resolve())
          socket.on('close', () => resolve())
        })
        if (socket.readyState === socket.OPEN) {
          if (auth === 'message') socket.send('{"type":"auth","token":"tok-alice"}')
          for (const frame of frames) if (socket.readyState === socket.OPEN) socket.send(frame)
          if (ending === 'close') socket.close()
          else if (ending === 'terminate') socket.terminate()
          else {
            socket.send('{"type":"ping"}')
            // The server answers the ping, closes the socket, or (no auth) times it out.
            await new Promise<void>((resolve) => {
              socket.on('message', (data) => String(data).includes('"pong"') && resolve())
              socket.on('close', () => resolve())
            })
            socket.close()
          }
        }
        await closed
        await stillServing()
      },
    ),
    { seed: SEED, numRuns: 80 },
  )
  expect(server.stats.connections).toBe(1)
}, 60_000)
