// Another script of the origin posting junk on a group's channel (its name is no secret: Web Locks
// list it), and many subscribe/release cycles: nothing throws, no tab's stream is cut or changed,
// and nothing is left behind (channels, lock requests, groups, server sockets).
import fc from 'fast-check'
import { afterEach, expect, test, vi } from 'vitest'
import type { WebSocketLike } from '../../src/core'
import { createCrossTab, type CrossTab } from '../../src/transport/crossTab/crossTab'
import type { BroadcastChannelConstructor, BroadcastChannelLike } from '../../src/transport/crossTab/tabGroup'
import { TAB_PROTOCOL } from '../../src/transport/crossTab/tabMessages'
import { FakeLocks, fakeTab } from '../helpers/fakeTabs'
import { startWsServer, type TestServer } from '../helpers/wsServer'

let server: TestServer | undefined
let keyCounter = 0
afterEach(async () => {
  await server?.kill()
  server = undefined
})

function watch(socket: WebSocketLike) {
  const seen = { opened: 0, frames: [] as string[], closed: null as null | { code: number; reason: string } }
  socket.onopen = () => seen.opened++
  socket.onmessage = (event) => seen.frames.push(...[event.data].flat().map(String))
  socket.onclose = (event) => {
    seen.closed = { code: event.code, reason: event.reason }
  }
  return { socket, seen }
}

/** Tabs whose channels are counted while open. */
function countedTabs(count: number) {
  const locks = new FakeLocks()
  const key = `hostile-${++keyCounter}`
  let liveChannels = 0
  const tabs = Array.from({ length: count }, (_, index) => {
    const tab = fakeTab(locks, `tab${index}`)
    const Base = tab.BroadcastChannel
    class Counted extends (Base as unknown as new (name: string) => BroadcastChannelLike) {
      constructor(name: string) {
        super(name)
        liveChannels++
      }
      override close() {
        liveChannels--
        super.close()
      }
    }
    const BroadcastChannel = Counted as unknown as BroadcastChannelConstructor
    const crossTab = createCrossTab({ key, locks: tab.locks, BroadcastChannel, digest: async (text) => text, tabId: tab.tab, stillWantedCheckMs: 20, relayBatchMs: 0 }) as CrossTab
    return { ...tab, crossTab }
  })
  return { tabs, locks, key, liveChannels: () => liveChannels }
}

const identity = 'same-identity'
const request = (url: string) => ({ url: `${url}/ws`, protocols: undefined, firstMessage: undefined, identity })

test('junk on the shared channel (fast-check): nothing throws, every tab still gets every frame once and in order, no socket is cut', async () => {
  server = await startWsServer()
  const { tabs, key } = countedTabs(3)
  const sockets = tabs.map((tab) => watch(tab.crossTab.open(request(server!.url), tab.WebSocket)))
  await vi.waitFor(() => expect(sockets.every(({ seen }) => seen.opened === 1)).toBe(true))
  const name = tabs[0]!.crossTab.roles()[0]!.group
  expect(name).toBe(`live-status:${TAB_PROTOCOL}:${key}:${key}\n${identity}`)
  const errors: unknown[] = []
  const onError = (error: unknown) => errors.push(error)
  process.on('uncaughtException', onError)
  const attacker = new BroadcastChannel(name)
  // What a listener learns: the epochs and tab ids in use.
  const heard: Record<string, unknown>[] = []
  const spy = new BroadcastChannel(name)
  spy.onmessage = (event) => heard.push(event.data)
  try {
    const junk = fc.oneof(
      fc.anything(),
      fc.record({
        // Not `leader`: any tab may announce itself, and followers resync on it (visibly: a close,
        // a reconnect, a refetch). Everything else must change nothing.
        t: fc.constantFrom('hello', 'state', 'open', 'frames', 'close', 'send', 'bye', 'dead', '__proto__', 'constructor', 'toString'),
        // Never an epoch in use: this is junk, not a forgery (a listener can forge, see the report).
        epoch: fc.oneof(fc.constant(undefined), fc.constant(null), fc.string(), fc.integer(), fc.object()),
        to: fc.oneof(fc.constant(undefined), fc.string(), fc.object()),
        from: fc.oneof(fc.constant(undefined), fc.string()),
        data: fc.oneof(fc.anything(), fc.array(fc.anything()), fc.constant('x'.repeat(1 << 16))),
        code: fc.oneof(fc.integer(), fc.string(), fc.constant(4401)),
        reason: fc.anything(),
        retryMs: fc.oneof(fc.constant(Infinity), fc.constant(-1), fc.constant(NaN), fc.string()),
        open: fc.anything(),
        protocol: fc.anything(),
      }, { requiredKeys: ['t'] }),
      fc.constant(JSON.parse('{"t":"frames","__proto__":{"epoch":"x"}}')),
    )
    const batch = fc.sample(junk, { seed: 4242, numRuns: 400 })
    let frame = 0
    for (let round = 0; round < 4; round++) {
      for (const message of batch.slice(round * 100, round * 100 + 100)) {
        try {
          attacker.postMessage(message)
        } catch {
          // Not cloneable (a function, a symbol): nothing was posted.
        }
      }
      for (let i = 0; i < 10; i++) server.broadcast(String(frame++))
    }
    await vi.waitFor(() => expect(sockets.map(({ seen }) => seen.frames.length === frame && seen)).toEqual(sockets.map(({ seen }) => seen)), { timeout: 3000 })
    for (const { seen } of sockets) {
      expect(seen.frames).toEqual([...Array(frame).keys()].map(String))
      expect(seen.closed).toBeNull()
    }
    expect(server.connections).toBe(1)
    expect(errors).toEqual([])
    expect(heard.length).toBeGreaterThan(0)
  } finally {
    process.off('uncaughtException', onError)
    attacker.close()
    spy.close()
  }
})

test('200 subscribe/release cycles in a leader and a follower leave nothing behind', async () => {
  server = await startWsServer()
  const { tabs, liveChannels } = countedTabs(2)
  const leader = watch(tabs[0]!.crossTab.open(request(server.url), tabs[0]!.WebSocket))
  await vi.waitFor(() => expect(leader.seen.opened).toBe(1))
  for (let cycle = 0; cycle < 200; cycle++) {
    const tab = tabs[cycle % 2]!
    const { socket, seen } = watch(tab.crossTab.open(request(server.url), tab.WebSocket))
    if (cycle % 3 === 0) await vi.waitFor(() => expect(seen.opened).toBe(1))
    socket.close(1000)
  }
  leader.socket.close(1000)
  await vi.waitFor(async () => {
    expect(tabs.map((tab) => tab.crossTab.roles())).toEqual([[], []])
    expect(liveChannels()).toBe(0)
    expect((await tabs[0]!.locks.query()).pending).toEqual([])
    expect(server!.sockets.size).toBe(0)
  })
    // One connection served every cycle in which a tab wanted the socket (no reconnect storm).
  expect(server.connections).toBeLessThanOrEqual(3)
})

test("a stray `open` for an epoch nobody leads does not silently re-point the followers (before: open, no events, no close)", async () => {
  server = await startWsServer()
  const { tabs } = countedTabs(2)
  const sockets = tabs.map((tab) => watch(tab.crossTab.open(request(server!.url), tab.WebSocket)))
  await vi.waitFor(() => expect(sockets.every(({ seen }) => seen.opened === 1)).toBe(true))
  const follower = sockets[tabs.findIndex((tab) => !tab.crossTab.roles()[0]!.leading)]!
  const other = new BroadcastChannel(tabs[0]!.crossTab.roles()[0]!.group)
  try {
    other.postMessage({ t: 'open', epoch: 'nobody:1', protocol: '' })
    // Delivered in order: a message posted after it from the same channel arrives after it.
    await new Promise<void>((resolve) => {
      const probe = new BroadcastChannel(tabs[0]!.crossTab.roles()[0]!.group)
      probe.onmessage = () => (probe.close(), resolve())
      other.postMessage({ t: 'bye' })
    })
    server.broadcast('after')
    await vi.waitFor(() => expect(follower.seen.frames).toContain('after'), { timeout: 2000 })
    expect(follower.seen.closed).toBeNull()
  } finally {
    other.close()
  }
})

test('a tab that knows no leader yet ignores `open` and `close` with `epoch: null` (before: opened with no leader; closed 4401 → unauthorized)', async () => {
  const { tabs, locks, key } = countedTabs(1)
  // Another tab holds the lock and has not answered yet (busy, or a leader still starting).
  const silent = fakeTab(locks, 'silent')
  let release!: () => void
  void silent.locks.request(`live-status:${TAB_PROTOCOL}:${key}:${key}\n${identity}`, {}, () => new Promise<void>((resolve) => (release = resolve)))
  await vi.waitFor(() => expect(release).toBeDefined())
  const waiting = watch(tabs[0]!.crossTab.open(request('ws://127.0.0.1:9'), tabs[0]!.WebSocket))
  await vi.waitFor(() => expect(tabs[0]!.crossTab.roles()).toHaveLength(1))
  const name = tabs[0]!.crossTab.roles()[0]!.group
  expect(tabs[0]!.crossTab.roles()[0]!.leading).toBe(false)
  const other = new BroadcastChannel(name)
  try {
    other.postMessage({ t: 'open', epoch: null, protocol: 'x' })
    other.postMessage({ t: 'close', epoch: null, code: 4401, reason: 'forged' })
    await new Promise<void>((resolve) => {
      const probe = new BroadcastChannel(name)
      probe.onmessage = () => (probe.close(), resolve())
      other.postMessage({ t: 'bye' })
    })
    await new Promise((resolve) => setImmediate(resolve))
    expect(waiting.seen).toEqual({ opened: 0, frames: [], closed: null })
    expect(waiting.socket.readyState).toBe(0)
  } finally {
    other.close()
    release()
    waiting.socket.close(1000)
  }
})

test("a follower's late report of the socket dead (its page was frozen: it last sent long before the leader last heard the server) closes nothing", async () => {
  server = await startWsServer()
  const { tabs } = countedTabs(2)
  const sockets = tabs.map((tab) => watch(tab.crossTab.open(request(server!.url), tab.WebSocket)))
  await vi.waitFor(() => expect(sockets.every(({ seen }) => seen.opened === 1)).toBe(true))
  const name = tabs[0]!.crossTab.roles()[0]!.group
  // The leader's epoch, as every tab hears it: a third tab's `hello` gets the leader's `state`.
  const heard: { t?: string; epoch?: string }[] = []
  const listener = new BroadcastChannel(name)
  listener.onmessage = (event) => heard.push(event.data)
  const late = new BroadcastChannel(name)
  try {
    late.postMessage({ t: 'hello', from: 'tab-frozen' })
    await vi.waitFor(() => expect(heard.map((message) => message.t)).toContain('state'))
    const epoch = heard.find((message) => message.t === 'state')!.epoch
    // The frozen tab's last send, a millisecond before the server spoke: the socket is alive.
    const sentAt = Date.now() - 1
    server.broadcast({ type: 'file_completed', n: 1 })
    await vi.waitFor(() => expect(sockets.every(({ seen }) => seen.frames.length === 1)).toBe(true))
    late.postMessage({ t: 'dead', epoch, sentAt })
    server.broadcast({ type: 'file_completed', n: 2 })
    await vi.waitFor(() => expect(sockets.every(({ seen }) => seen.frames.length === 2)).toBe(true))
    // With the report taken whatever the leader heard: every tab closed and reconnected.
    expect(sockets.map(({ seen }) => seen.closed)).toEqual([null, null])
    expect(server.connections).toBe(1)
  } finally {
    listener.close()
    late.close()
  }
})
