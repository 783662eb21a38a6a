import { WebSocket as MockSocket } from 'mock-socket'
import { expect, test } from 'vitest'
import { WebSocket as NodeWebSocket } from 'ws'
import { LiveStatusClient, SocketHub, type WebSocketConstructor } from '../../src/core'

// Checked by `tsc` (this file is in tsconfig.json's include): each line failed with TS2322 before
// WebSocketLike's handlers accepted richer events.
test('the browser WebSocket, `ws` and mock-socket fit `WebSocket` without casts', () => {
  const constructors: WebSocketConstructor[] = [NodeWebSocket, MockSocket]
  if (typeof globalThis.WebSocket === 'function') constructors.push(globalThis.WebSocket)
  const hubs = [
    new SocketHub({ WebSocket: NodeWebSocket }),
    new SocketHub({ WebSocket: MockSocket }),
    new SocketHub({ WebSocket: globalThis.WebSocket }),
    new LiveStatusClient({ apiUrl: 'http://127.0.0.1:1', WebSocket: NodeWebSocket }).hub,
  ]
  expect(hubs.every((hub) => hub.options.WebSocket !== undefined || typeof globalThis.WebSocket === 'undefined')).toBe(true)
  expect(constructors.length).toBeGreaterThanOrEqual(2)
})
