import { Server, WebSocket as MockWebSocket } from 'mock-socket'
import { afterEach, beforeEach, expect, test, vi } from 'vitest'
import { SocketHub } from '../../src/core'

beforeEach(() => vi.useFakeTimers())
afterEach(() => vi.useRealTimers())

test('smoke', async () => {
  const server = new Server('ws://localhost:1234/ws')
  const seen: string[] = []
  server.on('connection', (s) => { seen.push('conn'); s.send(JSON.stringify({ type: 'hello' })) })
  const hub = new SocketHub({ token: 't', WebSocket: MockWebSocket as never })
  const events: unknown[] = []
  const lease = hub.acquire('ws://localhost:1234/ws', { onEvents: (e) => events.push(...e) })
  await vi.advanceTimersByTimeAsync(10)
  expect(lease.connection.getStatus().state).toBe('open')
  expect(events).toEqual([{ type: 'hello' }])
  server.stop()
})
