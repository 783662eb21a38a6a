import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, test, vi } from 'vitest'
import { createLiveStatusServer } from '../../src/server'
import { rawClient } from '../helpers/serverClient'
import { disposeAll, rawExchange, startServer, watchProcess } from './support/serverHarness'

let watch: ReturnType<typeof watchProcess>
afterEach(async () => {
  await disposeAll()
  watch?.stop()
})

const get = (target: string, extra = '') => Buffer.from(`GET ${target} HTTP/1.1\r\nHost: x\r\n${extra}\r\n`, 'latin1')
const upgrade = (target: string, extra = '') =>
  get(target, `Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n${extra}`)

describe('malformed request targets', () => {
  test('`GET //a:99999/` is answered (400/404) by listen(), in the request and the upgrade listener', async () => {
    watch = watchProcess()
    const { port, connect } = await startServer()
    expect(await rawExchange(port, get('//a:99999/'))).toMatch(/^HTTP\/1\.1 40[04]/)
    expect(await rawExchange(port, upgrade('//a:99999/'))).toMatch(/^HTTP\/1\.1 40[04]/)
    expect(await rawExchange(port, upgrade('//a:99999/ws/projects/p1'))).toMatch(/^HTTP\/1\.1 40[04]/)
    const client = connect('/ws/projects/p1', { token: 'tok-alice' })
    await client.opened()
    expect(watch.problems).toEqual([])
  })

  test('an app that mounts handleRequest / handleUpgrade on its own server survives them', async () => {
    watch = watchProcess()
    const live = createLiveStatusServer({ authenticate: () => ({ id: 'u' }), authorize: () => true, log: () => {} })
    const http = createServer((request, response) => {
      if (!live.handleRequest(request, response)) response.writeHead(404).end()
    })
    http.on('upgrade', (request, socket, head) => {
      if (!live.handleUpgrade(request, socket, head)) socket.destroy()
    })
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
    const { port } = http.address() as AddressInfo
    try {
      expect(await rawExchange(port, get('//a:99999/'))).toMatch(/^HTTP\/1\.1 404/)
      await rawExchange(port, upgrade('//a:99999/'))
      expect(await rawExchange(port, upgrade('/ws/projects/%E0%A4%A'))).toMatch(/^HTTP\/1\.1 400/)
      const client = rawClient(`ws://127.0.0.1:${port}/ws/projects/p1`, { protocols: ['bearer', 't'] })
      await client.opened()
      client.close()
    } finally {
      await live.close()
      http.closeAllConnections()
      await new Promise<void>((resolve) => http.close(() => resolve()))
    }
    expect(watch.problems).toEqual([])
  })
})

describe('resets', () => {
  test('hundreds of RSTs after a refused upgrade (foreign Origin, bad %-encoding, unknown path) leave the server up', async () => {
    watch = watchProcess()
    const { port, connect } = await startServer({ allowedOrigins: ['https://app.example.com'] })
    const refused = [
      upgrade('/ws/projects/p1', 'Origin: https://evil.example.net\r\nSec-WebSocket-Protocol: bearer, tok-alice\r\n'),
      upgrade('/ws/projects/%E0%A4%A', 'Origin: https://app.example.com\r\nSec-WebSocket-Protocol: bearer, tok-alice\r\n'),
      upgrade('/nowhere', 'Origin: https://app.example.com\r\n'),
    ]
    for (let round = 0; round < 100; round++) {
      await Promise.all(refused.map((bytes) => rawExchange(port, bytes, { resetAfter: bytes.length })))
    }
    const client = connect('/ws/projects/p1', { token: 'tok-alice', origin: 'https://app.example.com' })
    await client.opened()
    expect(watch.problems).toEqual([])
  })
})

describe('hostile frames and throwing callbacks', () => {
  test('`{"type":{"toString":1}}` after auth gets a client_error frame; the other clients keep their socket', async () => {
    watch = watchProcess()
    const { server, connect } = await startServer({ batchIntervalMs: 5 })
    const attacker = connect('/ws/projects/p1', { token: 'tok-alice' })
    const bystander = connect('/ws/projects/p2', { token: 'tok-bob' })
    await Promise.all([attacker.opened(), bystander.opened()])
    await vi.waitUntil(() => server.stats.connections === 2)
    for (const frame of ['{"type":{"toString":1}}', '{"type":{"valueOf":1,"toString":1}}', '{"type":[{"toString":1}]}', '{"type":"ping","__proto__":{"toString":1}}'])
      attacker.send(frame)
    await attacker.until(() => attacker.frames.length >= 4)
    expect(attacker.frames.filter((f) => f.type === 'client_error')).toHaveLength(3)
    expect(attacker.frames.filter((f) => f.type === 'client_error').every((f) => f.messageType === null)).toBe(true)
    await server.publish('p2', { type: 'index_started', project_id: 'p2' })
    await bystander.until(() => bystander.events().some((e) => e.type === 'index_started'))
    expect(attacker.closed).toBeNull()
    expect(watch.problems).toEqual([])
  })

  test.each([
    ['authenticate', { authenticate: () => Promise.reject(new Error('db down for tok-alice')) }],
    ['authorize', { authorize: () => { throw new Error('boom') } }],
    ['userId', { userId: () => { throw new Error('boom') } }],
    ['onConnection', { onConnection: () => { throw new Error('boom') } }],
  ])('a throwing %s closes that socket with 1011, without an unhandled rejection', async (_name, options) => {
    watch = watchProcess()
    const lines: string[] = []
    const { connect } = await startServer({ ...options, log: (message: string, error?: unknown) => lines.push(`${message} ${JSON.stringify(error)}`) } as never)
    expect((await connect('/ws/projects/p1', { token: 'tok-alice' }).untilClosed()).code).toBe(1011)
    expect(lines.length).toBeGreaterThan(0)
    // The token, even inside the app's own error message, never reaches the log.
    expect(lines.join('\n')).not.toContain('tok-alice')
    expect(watch.problems).toEqual([])
  })

  test('a throwing log / logger loses its line, not the process: 1011 and 500 still answered', async () => {
    watch = watchProcess()
    const boom = () => {
      throw new Error('logger down')
    }
    for (const options of [{ log: boom }, { logger: { info: boom, warn: boom, error: boom, debug: boom } }]) {
      const { url, connect } = await startServer({ ...options, authenticate: () => Promise.reject(new Error('x')) } as never)
      expect((await connect('/ws/projects/p1', { token: 'tok-alice' }).untilClosed()).code).toBe(1011)
      const response = await fetch(`${url}/api/projects/p1/index`, { headers: { Authorization: 'Bearer tok-alice' } })
      expect(response.status).toBe(500)
    }
    expect(watch.problems).toEqual([])
  })

  test('a throwing authenticate on REST is a 500 with no token in it', async () => {
    const { url } = await startServer({ authenticate: () => { throw new Error('bad tok-alice') } })
    const response = await fetch(`${url}/api/projects/p1/index`, { headers: { Authorization: 'Bearer tok-alice' } })
    expect(response.status).toBe(500)
    expect(await response.text()).not.toContain('tok-alice')
  })
})
