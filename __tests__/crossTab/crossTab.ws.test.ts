// Several simulated tabs (Node's real BroadcastChannel between them, Web Locks faked with the
// browser's semantics) sharing one real `ws` socket to a server on loopback.
import { afterEach, describe, expect, test } from 'vitest'
import { createCrossTab, type CrossTab } from '../../src/transport/crossTab/crossTab'
import type { WebSocketLike } from '../../src/core'
import { FakeLocks, fakeTab } from '../helpers/fakeTabs'
import { startWsServer, type TestServer } from '../helpers/wsServer'

let server: TestServer | undefined
let keyCounter = 0
afterEach(async () => {
  await server?.kill()
  server = undefined
})

const digest = async (text: string) => Buffer.from(text).toString('base64url')

function tabs(count: number) {
  const locks = new FakeLocks()
  const key = `test-${++keyCounter}`
  return Array.from({ length: count }, (_, index) => {
    const tab = fakeTab(locks, `tab${index}`)
    const crossTab = createCrossTab({ key, locks: tab.locks, BroadcastChannel: tab.BroadcastChannel, digest, tabId: tab.tab, stillWantedCheckMs: 50 }) as CrossTab
    return { ...tab, crossTab, lockManager: locks }
  })
}

/** A tab's socket with what it saw. */
function watch(socket: WebSocketLike) {
  const seen = { opened: 0, frames: [] as string[], closed: null as null | { code: number; reason: string } }
  socket.onopen = () => seen.opened++
  // A frame, or a list of frames that arrived together (a relayed batch).
  socket.onmessage = (event) => seen.frames.push(...[event.data].flat().map(String))
  socket.onclose = (event) => {
    seen.closed = { code: event.code, reason: event.reason }
  }
  return { socket, seen }
}

const request = (url: string, token = 'tok-1') => ({ url: `${url}/ws?token=${token}`, protocols: undefined, firstMessage: undefined, identity: `${url}/ws|${token}` })

async function until(predicate: () => boolean): Promise<void> {
  // Event-driven checks would need hooks into every tab; BroadcastChannel delivers on macrotasks,
  // so re-check after each turn of the event loop until it holds (the test's timeout bounds it).
  while (!predicate()) await new Promise((resolve) => setImmediate(resolve))
}

/** A server and `count` tabs, each with its socket open; `leader` is the tab holding the connection. */
async function openTabs(count: number) {
  const started = (server = await startWsServer())
  const group = tabs(count)
  const sockets = group.map((tab) => watch(tab.crossTab.open(request(started.url), tab.WebSocket)))
  await until(() => sockets.every(({ seen }) => seen.opened === 1))
  const leader = group.findIndex((tab) => tab.crossTab.roles()[0]?.leading)
  return { server: started, group, sockets, leader }
}

describe('cross-tab sharing', () => {
  test('5 tabs → 1 server connection; every tab gets every frame in order; a follower sends through the leader', async () => {
    const { server, group, sockets } = await openTabs(5)
    expect(server.sockets.size).toBe(1)
    expect(server.connections).toBe(1)
    for (let i = 0; i < 100; i++) server.broadcast({ type: 'tick', i })
    await until(() => sockets.every(({ seen }) => seen.frames.length === 100))
    for (const { seen } of sockets) expect(seen.frames.map((frame) => JSON.parse(frame).i)).toEqual([...Array(100).keys()])
    sockets[3]!.socket.send(JSON.stringify({ type: 'scan', from: 3 }))
    await server.waitFor(() => server.messages.length === 1)
    expect(server.messages).toEqual([{ type: 'scan', from: 3 }])
    expect(group.filter((tab) => tab.crossTab.roles()[0]?.leading)).toHaveLength(1)
  })

  test('the leader crashes: another tab takes over, followers resync (1006) and one connection serves them again', async () => {
    const opened = await openTabs(3)
    const { server, group, leader } = opened
    let sockets = opened.sockets
    group[leader]!.crash()
    const followers = sockets.filter((_, index) => index !== leader)
    await until(() => followers.every(({ seen }) => seen.closed !== null))
    for (const { seen } of followers) expect(seen.closed?.code).toBe(1006)
    // Their connections reconnect, as after any loss.
    sockets = group.map((tab, index) => (index === leader ? sockets[index]! : watch(tab.crossTab.open(request(server.url), tab.WebSocket))))
    const alive = sockets.filter((_, index) => index !== leader)
    await until(() => alive.every(({ seen }) => seen.opened === 1))
    await server.waitFor(() => server.sockets.size === 1)
    server.broadcast('after')
    await until(() => alive.every(({ seen }) => seen.frames.includes('after')))
    expect(group.filter((tab, index) => index !== leader && tab.crossTab.roles()[0]?.leading)).toHaveLength(1)
  })

  test('the leader signs out (closes its socket): it keeps serving the others, with no interruption', async () => {
    const { server, sockets, leader } = await openTabs(3)
    sockets[leader]!.socket.close(1000)
    await until(() => sockets[leader]!.seen.closed !== null)
    server.broadcast('still here')
    const others = sockets.filter((_, index) => index !== leader)
    await until(() => others.every(({ seen }) => seen.frames.includes('still here')))
    for (const { seen } of others) expect(seen.closed).toBeNull()
    expect(server.connections).toBe(1)
    // The last tab lets go: the leader closes the real socket.
    for (const { socket } of others) socket.close(1000)
    await server.waitFor(() => server.sockets.size === 0)
  })

  test('a tab with another token has its own connection; tokens never appear in what tabs post', async () => {
    server = await startWsServer()
    const group = tabs(3)
    const posted: unknown[] = []
    const spy = new BroadcastChannel('spy')
    const origPost = BroadcastChannel.prototype.postMessage
    BroadcastChannel.prototype.postMessage = function (this: BroadcastChannel, message: unknown) {
      posted.push(message)
      return origPost.call(this, message)
    }
    try {
      const a = watch(group[0]!.crossTab.open(request(server.url, 'secret-token-A'), group[0]!.WebSocket))
      const b = watch(group[1]!.crossTab.open(request(server.url, 'secret-token-A'), group[1]!.WebSocket))
      const c = watch(group[2]!.crossTab.open(request(server.url, 'secret-token-B'), group[2]!.WebSocket))
      await until(() => [a, b, c].every(({ seen }) => seen.opened === 1))
      expect(server.connections).toBe(2)
      b.socket.send('hello')
      server.broadcast('x')
      await until(() => [a, b, c].every(({ seen }) => seen.frames.includes('x')))
    } finally {
      BroadcastChannel.prototype.postMessage = origPost
      spy.close()
    }
    expect(posted.length).toBeGreaterThan(0)
    expect(JSON.stringify(posted)).not.toContain('secret-token')
  })

  test('without Web Locks or outside a page there is no sharing (null: each tab keeps its own socket)', () => {
    expect(createCrossTab()).toBeNull() // Node: no navigator.locks, no document
    expect(createCrossTab({ locks: new FakeLocks().forTab('t'), BroadcastChannel: undefined, digest })).not.toBeNull()
  })
})

describe('a server that stops reading', () => {
  // The leader's limit: the default maxPayloadBytes.
  const LIMIT = 1 << 20
  const CHUNK = 'x'.repeat(64 * 1024)

  /** Two tabs on a server whose socket no longer reads; the real sockets count their `bufferedAmount` reads (one per send the leader weighs). */
  async function stalled() {
    const started = (server = await startWsServer({ onConnection: (socket) => (socket as unknown as { _socket: { pause(): void } })._socket.pause() }))
    const reals: { socket: { bufferedAmount: number }; reads: number }[] = []
    const group = tabs(2).map((tab) => {
      const Base = tab.WebSocket as unknown as new (url: string, protocols?: string[]) => object
      class Counting extends Base {
        readonly #entry = { socket: this as unknown as { bufferedAmount: number }, reads: 0 }
        constructor(url: string, protocols?: string[]) {
          super(url, protocols)
          reals.push(this.#entry)
        }
        get bufferedAmount(): number {
          this.#entry.reads++
          return Reflect.get(Base.prototype, 'bufferedAmount', this) as number
        }
      }
      return { ...tab, WebSocket: Counting as unknown as typeof tab.WebSocket }
    })
    const sockets = group.map((tab) => watch(tab.crossTab.open(request(started.url), tab.WebSocket)))
    await until(() => sockets.every(({ seen }) => seen.opened === 1))
    const leader = group.findIndex((tab) => tab.crossTab.roles()[0]?.leading)
    return { sockets, leader, real: reals[0]! }
  }

  test("the leader's own sends: nothing more is queued on the real socket past 1 MiB unsent (before: 600 × 64 KiB queued)", async () => {
    const { sockets, leader, real } = await stalled()
    for (let i = 0; i < 600; i++) sockets[leader]!.socket.send(CHUNK)
    expect(real.reads).toBe(600)
    expect(real.socket.bufferedAmount).toBeLessThanOrEqual(LIMIT + CHUNK.length + 64)
  })

  test("a follower's sends, relayed by the leader: weighed the same way, each one (before: every relay queued)", async () => {
    const { sockets, leader, real } = await stalled()
    const follower = sockets[1 - leader]!.socket
    for (let i = 0; i < 600; i++) follower.send(CHUNK)
    await until(() => real.reads >= 600)
    expect(real.socket.bufferedAmount).toBeLessThanOrEqual(LIMIT + CHUNK.length + 64)
  })
})
