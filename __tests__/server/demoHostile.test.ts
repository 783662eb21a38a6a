// The demo server (`npm start`) mounts the reference server beside routes of its own: those must
// survive the same malformed targets and resets the reference server does.
import { connect } from 'node:net'
import { afterEach, expect, test } from 'vitest'
import { createWorld } from '../../demo/world'
import { rawExchange, watchProcess } from './support/serverHarness'
import { startTestDemo } from './support/demoHarness'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

const get = (target: string, extra = '') => Buffer.from(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\n${extra}\r\n`, 'latin1')
const upgrade = (target: string) => get(target, 'Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n')

test('the demo server answers `GET //a:99999/` (request and upgrade) and survives resets of refused upgrades', async () => {
  const watch = watchProcess()
  cleanups.push(() => watch.stop())
  const world = createWorld()
  const http = await startTestDemo(world, cleanups)
  const port = Number(new URL(http.url).port)
  // The page falls back to index.html; the upgrade has no such socket.
  expect(await rawExchange(port, get('//a:99999/'))).toMatch(/^HTTP\/1\.1 200/)
  expect(await rawExchange(port, upgrade('//a:99999/'))).toMatch(/^HTTP\/1\.1 40[04]/)
  expect(await rawExchange(port, get('/\u0000%zz'))).toMatch(/^HTTP\/1\.1 [24]\d\d/)
  // Refused upgrades (unknown path) reset by the client, many times over.
  for (let i = 0; i < 200; i++) {
    await new Promise<void>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.write(upgrade('/nowhere'))
        socket.resetAndDestroy()
        resolve()
      })
      socket.on('error', () => resolve())
    })
  }
  expect(await rawExchange(port, get('/api/demo/stats'))).toMatch(/^HTTP\/1\.1 200/)
  expect(watch.problems).toEqual([])
})
