// A batch envelope's shared fields are copied into every message it carries. A hostile server's
// frame well under maxPayloadBytes (1 MiB) built objects hundreds of times its size (an attacker's
// probe, 2026-12-06: 129 KB became 40 million properties, 327 MB). Copies are now bounded by the
// frame's length; past it the frame is `too_large` and its queries refetch.
import { expect, test, vi } from 'vitest'
import { WebSocket } from 'ws'
import { SocketHub } from '../../src/core'
import { FrameDecoder } from '../../src/transport/frameDecoder'
import { startWsServer, waitForStatus } from '../helpers/wsServer'

function hostileBatch(fields: number, messages: number): string {
  const shared = Array.from({ length: fields }, (_, i) => `"f${i}":0`).join(',')
  return `{"type":"batch",${shared},"events":[${Array(messages).fill('{}').join(',')}]}`
}

test('a 129 KB batch frame does not become 40 million properties: it is dropped as too_large', () => {
  const text = hostileBatch(1000, 40_000)
  expect(text.length).toBeLessThan(140_000)
  const reasons: string[] = []
  const decoder = new FrameDecoder({ maxPayloadBytes: 1 << 20, discriminator: 'type', controlTypes: [], onEventError: (error) => reasons.push(error.reason), onCallbackError: (error) => { throw error } }, 'ws://x', () => [])
  const delivered: unknown[] = []
  decoder.dispatch(text, [{ onEvents: (events) => delivered.push(...events) }])
  expect(delivered).toEqual([])
  expect(reasons).toEqual(['too_large'])
})

test('an envelope that copies fewer fields than the frame has characters is unpacked as before', () => {
  const decoder = new FrameDecoder({ maxPayloadBytes: 1 << 20, discriminator: 'type', controlTypes: [], onEventError: (error) => { throw new Error(error.message) }, onCallbackError: (error) => { throw error } }, 'ws://x', () => [])
  const delivered: unknown[] = []
  // The app builder's envelope: two ids around its updates.
  decoder.dispatch(`{"type":"batch","projectId":"p","sessionId":"s","events":[${Array(500).fill('{"type":"x"}').join(',')}]}`, [{ onEvents: (events) => delivered.push(...events) }])
  expect(delivered).toHaveLength(500)
  expect(delivered[0]).toEqual({ projectId: 'p', sessionId: 's', type: 'x' })
})

test('over a real socket, the frame is reported as too_large and costs no more than its size', async () => {
  const server = await startWsServer()
  const reasons: string[] = []
  const hub = new SocketHub({ token: 'eyJhbGciOiJIUzI1NiJ9.probe-secret-token-value', WebSocket, auth: { type: 'query' }, heartbeat: false, onEventError: (error) => reasons.push(error.reason) })
  const url = `${server.url}/ws/projects/p1`
  let delivered = 0
  hub.acquire(url, { onEvents: (events) => (delivered += events.length) })
  await waitForStatus(hub.watchStatus(url), (s) => s.state === 'open')
  server.broadcast(hostileBatch(1000, 40_000))
  await vi.waitFor(() => expect(reasons).toEqual(['too_large']))
  expect(delivered).toBe(0)
  hub.dispose()
  await server.kill()
})
