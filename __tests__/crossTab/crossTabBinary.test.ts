// JSON in binary frames (`binaryFrames: jsonInBinaryFrames`) over a cross-tab socket: the leader relayed
// text frames only, and its real socket kept a browser's Blob (an attacker's probe, 2026-12-06).
import { afterEach, expect, test, vi } from 'vitest'
import { WebSocket } from 'ws'
import { SocketHub } from '../../src/core'
import { jsonInBinaryFrames } from '../../src/transport'
import { createCrossTab, type CrossTab } from '../../src/transport/crossTab'
import { FakeLocks, fakeTab } from '../helpers/fakeTabs'
import { startWsServer, waitForStatus, type TestServer } from '../helpers/wsServer'

const TOKEN = 'eyJhbGciOiJIUzI1NiJ9.probe-secret-token-value'
let server: TestServer | undefined
const hubs: SocketHub[] = []
let keyCounter = 0
afterEach(async () => {
  for (const hub of hubs.splice(0)) hub.dispose()
  await server?.kill()
  server = undefined
})

/** `ws` with a browser's default binaryType ('blob'), which the Connection overrides on its own sockets. */
function browserLike(Base: typeof WebSocket) {
  return class extends Base {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols)
      this.binaryType = 'blob' as never
    }
  }
}

function tabs(count: number, blob = false) {
  const locks = new FakeLocks()
  const key = `probe-${++keyCounter}`
  return Array.from({ length: count }, (_, index) => {
    const tab = fakeTab(locks, `tab${index}`)
    const crossTab = createCrossTab({ key, locks: tab.locks, BroadcastChannel: tab.BroadcastChannel, digest: async (text) => Buffer.from(text).toString('base64url').slice(-40), tabId: tab.tab, relayBatchMs: 0 }) as CrossTab
    const errors: unknown[] = []
    const hub = new SocketHub({
      token: TOKEN,
      WebSocket: (blob ? browserLike(tab.WebSocket as never) : tab.WebSocket) as never,
      crossTab,
      auth: { type: 'query' },
      heartbeat: false,
      binaryFrames: jsonInBinaryFrames,
      onEventError: (e) => errors.push(e),
    })
    hubs.push(hub)
    return { ...tab, crossTab, hub, errors }
  })
}

test('every tab of a cross-tab group gets the JSON events the server sends in binary frames', async () => {
  server = await startWsServer()
  const group = tabs(2)
  const url = `${server.url}/ws/projects/p1`
  const seen = group.map(() => [] as unknown[])
  group.forEach((tab, i) => tab.hub.acquire(url, { onEvents: (events) => seen[i]!.push(...events) }))
  await Promise.all(group.map((tab) => waitForStatus(tab.hub.watchStatus(url), (s) => s.state === 'open')))
  expect(server.connections).toBe(1)
  for (const socket of server.sockets) socket.send(Buffer.from(JSON.stringify({ type: 'operation_completed', operation_id: 'op1' })), { binary: true })
  // Before, the follower never heard of the event (nothing counted there, no refetch).
  await vi.waitFor(() => expect(seen.map((events) => events.length)).toEqual([1, 1]))
})

test('a cross-tab leader in a browser (binaryType "blob" by default) still reads JSON in binary frames', async () => {
  server = await startWsServer()
  const [tab] = tabs(1, true)
  const url = `${server.url}/ws/projects/p1`
  const seen: unknown[] = []
  tab!.hub.acquire(url, { onEvents: (events) => seen.push(...events) })
  await waitForStatus(tab!.hub.watchStatus(url), (s) => s.state === 'open')
  for (const socket of server.sockets) socket.send(Buffer.from(JSON.stringify({ type: 'operation_completed', operation_id: 'op1' })), { binary: true })
  // Before, the real socket kept binaryType 'blob' (only the VirtualSocket got 'arraybuffer'): the
  // decoder received a Blob and dropped it as `binary`.
  await vi.waitFor(() => expect(seen.length + tab!.errors.length).toBeGreaterThan(0))
  expect({ seen: seen.length, errors: tab!.errors.map((e) => (e as { reason: string }).reason) }).toEqual({ seen: 1, errors: [] })
})

test('control: without crossTab the same browser-like socket reads the binary JSON', async () => {
  server = await startWsServer()
  const hub = new SocketHub({ token: TOKEN, WebSocket: browserLike(WebSocket) as never, auth: { type: 'query' }, heartbeat: false, binaryFrames: jsonInBinaryFrames })
  hubs.push(hub)
  const url = `${server.url}/ws/projects/p1`
  const seen: unknown[] = []
  hub.acquire(url, { onEvents: (events) => seen.push(...events) })
  await waitForStatus(hub.watchStatus(url), (s) => s.state === 'open')
  for (const socket of server.sockets) socket.send(Buffer.from(JSON.stringify({ type: 'x' })), { binary: true })
  await vi.waitFor(() => expect(seen).toHaveLength(1))
})
