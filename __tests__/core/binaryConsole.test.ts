// jsonInBinaryFrames reads a frame that is not UTF-8 as JSON only when it parses (a Latin-1 byte
// in an event's file name); a binary payload that merely starts with `[` (Latin-1 console output
// "[build] café") stays binary for the channel's decodeBinary (a review of the lenient decoding).
import { afterEach, expect, test, vi } from 'vitest'
import { WebSocket } from 'ws'
import { SocketHub, type EventError } from '../../src/core'
import { jsonInBinaryFrames } from '../../src/transport'
import { startWsServer, waitForStatus, type TestServer } from '../helpers/wsServer'

let server: TestServer | undefined
const hubs: SocketHub[] = []
afterEach(async () => {
  for (const hub of hubs.splice(0)) hub.dispose()
  await server?.kill()
  server = undefined
})

test('a non-UTF-8 binary frame that starts with "[" still reaches onBinary (decodeBinary)', async () => {
  // "[build] caf\xe9 done\n" in Latin-1: not UTF-8.
  const latin1 = Buffer.from('[build] caf\u00e9 done\n', 'latin1')
  server = await startWsServer({ onConnection: (socket) => socket.send(latin1, { binary: true }) })
  const binaries: unknown[] = []
  const errors: EventError[] = []
  const h = new SocketHub({ token: 'eyJhbGciOiJIUzI1NiJ9.review-secret-token-value', WebSocket, auth: { type: 'query' }, heartbeat: false, binaryFrames: jsonInBinaryFrames, onEventError: (e) => errors.push(e) })
  hubs.push(h)
  const url = `${server.url}/ws/console`
  h.acquire(url, { onEvents: () => {}, onBinary: (data) => binaries.push(data) })
  await waitForStatus(h.watchStatus(url), (s) => s.state === 'open')
  await vi.waitFor(() => expect(binaries.length + errors.length).toBeGreaterThan(0))
  expect({ binaries: binaries.length, errors: errors.map((e) => e.reason) }).toEqual({ binaries: 1, errors: [] })
})
