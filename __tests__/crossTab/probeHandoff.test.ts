// Probes of the leader's bookkeeping of who follows: races between `navigator.locks.query()` (an
// IPC round trip in a browser) and the tabs' own messages.
import { afterEach, expect, test, vi } from 'vitest'
import type { WebSocketLike } from '../../src/core'
import { createCrossTab, type CrossTab } from '../../src/transport/crossTab/crossTab'
import type { LockManagerLike } from '../../src/transport/crossTab/tabGroup'
import { FakeLocks, fakeTab } from '../helpers/fakeTabs'
import { startWsServer, type TestServer } from '../helpers/wsServer'

let server: TestServer | undefined
let keyCounter = 0
const cleanups: (() => void)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) cleanup()
  await server?.kill()
  server = undefined
})

/** Locks whose `query()` answers with the state of the moment it was asked, but only when `release()` is called (a slow IPC round trip). */
function slowQuery(locks: LockManagerLike) {
  const held: (() => void)[] = []
  let hold = false
  let asked = 0
  return {
    locks: {
      request: locks.request.bind(locks),
      query: () => {
        asked++
        const answer = locks.query() // the snapshot is taken now
        if (!hold) return answer
        return new Promise<Awaited<typeof answer>>((resolve) => held.push(() => resolve(answer)))
      },
    } satisfies LockManagerLike,
    hold() {
      hold = true
    },
    release() {
      hold = false
      for (const resolve of held.splice(0)) resolve()
    },
    get asked() {
      return asked
    },
    get pending() {
      return held.length
    },
  }
}

function watch(socket: WebSocketLike) {
  const seen = { opened: 0, frames: [] as string[], closed: null as null | { code: number; reason: string } }
  socket.onopen = () => seen.opened++
  socket.onmessage = (event) => seen.frames.push(...[event.data].flat().map(String))
  socket.onclose = (event) => {
    seen.closed = { code: event.code, reason: event.reason }
  }
  cleanups.push(() => socket.close(1000))
  return { socket, seen }
}

const request = (url: string) => ({ url: `${url}/ws`, protocols: undefined, firstMessage: undefined, identity: `${url}/ws|tok` })

test('a follower that arrives while the leader asks who waits gets every frame (the stale answer must not stop the relay)', async () => {
  server = await startWsServer()
  const lockManager = new FakeLocks()
  const key = `probe-${++keyCounter}`
  const leaderTab = fakeTab(lockManager, 'leader')
  const followerTab = fakeTab(lockManager, 'follower')
  const slow = slowQuery(leaderTab.locks)
  // A long check interval, as the default 5 s: only the first check's answer counts here.
  const options = { key, digest: async (text: string) => text, stillWantedCheckMs: 60_000, relayBatchMs: 0 }
  const leaderCrossTab = createCrossTab({ ...options, locks: slow.locks, BroadcastChannel: leaderTab.BroadcastChannel, tabId: 'leader' }) as CrossTab
  const followerCrossTab = createCrossTab({ ...options, locks: followerTab.locks, BroadcastChannel: followerTab.BroadcastChannel, tabId: 'follower' }) as CrossTab
  cleanups.push(() => leaderTab.crash(), () => followerTab.crash())

  // The leader's query on taking the lock is slow: it was asked when no other tab waited.
  slow.hold()
  const leader = watch(leaderCrossTab.open(request(server.url), leaderTab.WebSocket))
  await vi.waitFor(() => expect(leader.seen.opened).toBe(1))
  expect(slow.pending).toBe(1)

  // Meanwhile a follower arrives: its `hello` reaches the leader before the old answer does.
  const follower = watch(followerCrossTab.open(request(server.url), followerTab.WebSocket))
  await vi.waitFor(() => expect(follower.seen.opened).toBe(1))
  slow.release()
  // The answer (no tab waited, when asked) arrives now.
  await new Promise((resolve) => setImmediate(resolve))

  server.broadcast('after')
  await vi.waitFor(() => expect(leader.seen.frames).toContain('after'))
  // The follower's socket is open: it must get the frame (before: nothing for up to `stillWantedCheckMs`,
  // with no close, so nothing refetched the gap).
  await vi.waitFor(() => expect(follower.seen.frames).toContain('after'), { timeout: 2000 })
  expect(follower.seen.closed).toBeNull()
})

test('a leader left without its own sockets does not step down on a stale answer while a tab is following it', async () => {
  server = await startWsServer()
  const lockManager = new FakeLocks()
  const key = `probe-${++keyCounter}`
  const leaderTab = fakeTab(lockManager, 'leader')
  const followerTab = fakeTab(lockManager, 'follower')
  const slow = slowQuery(leaderTab.locks)
  const options = { key, digest: async (text: string) => text, stillWantedCheckMs: 60_000, relayBatchMs: 0 }
  const leaderCrossTab = createCrossTab({ ...options, locks: slow.locks, BroadcastChannel: leaderTab.BroadcastChannel, tabId: 'leader' }) as CrossTab
  const followerCrossTab = createCrossTab({ ...options, locks: followerTab.locks, BroadcastChannel: followerTab.BroadcastChannel, tabId: 'follower' }) as CrossTab
  cleanups.push(() => leaderTab.crash(), () => followerTab.crash())

  const leader = watch(leaderCrossTab.open(request(server.url), leaderTab.WebSocket))
  await vi.waitFor(() => expect(leader.seen.opened).toBe(1))
  await vi.waitFor(() => expect(slow.asked).toBeGreaterThanOrEqual(1))
  // The leader's own connection lets go (its components unmounted): it asks whether anyone waits, slowly.
  slow.hold()
  leader.socket.close(1000)
  await vi.waitFor(() => expect(slow.pending).toBe(1))
  // A follower arrives meanwhile and is served.
  const follower = watch(followerCrossTab.open(request(server.url), followerTab.WebSocket))
  await vi.waitFor(() => expect(follower.seen.opened).toBe(1))
  slow.release()
  await new Promise((resolve) => setImmediate(resolve))
  await new Promise((resolve) => setImmediate(resolve))
  // Before: the stale "nobody waits" made the leader step down under the follower it had just served:
  // the follower took the lock and closed its socket 1006 'cross-tab leader changed' (a reconnect
  // and a refetch in every following tab, and a second server connection).
  expect(follower.seen.closed).toBeNull()
  server.broadcast('after')
  await vi.waitFor(() => expect(follower.seen.frames).toContain('after'), { timeout: 2000 })
  expect(server.connections).toBe(1)
})
