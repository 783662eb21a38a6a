// A shared socket that goes dead (half-open: no close ever arrives, nothing comes back) must be
// replaced, as a socket of its own is: the keep-alive finds it, and the connection reconnects on a
// new socket. Over `crossTab`, a tab's timeout closed only its virtual socket: the leader kept the
// dead real one for the tabs still waiting, and handed it straight back to every connection that
// reconnected (status `open`, no events), until by chance no tab wanted it at one instant.
import { afterEach, expect, test, vi } from 'vitest'
import { SocketHub } from '../../src/core'
import { keepAlive } from '../../src/transport'
import { createCrossTab, type CrossTab } from '../../src/transport/crossTab'
import { FakeLocks, fakeTab } from '../helpers/fakeTabs'
import { startWsServer } from '../helpers/wsServer'

let server: Awaited<ReturnType<typeof serverWithDeadFirstSocket>> | undefined
const hubs: SocketHub[] = []
const crashes: (() => void)[] = []
let keyCounter = 0
afterEach(async () => {
  for (const hub of hubs.splice(0)) hub.dispose()
  for (const crash of crashes.splice(0)) crash()
  await server?.kill()
  server = undefined
})

/** Simulated tabs of one profile; `hub(index)` makes a hub in a tab, with a fast keep-alive. */
function profile(crossTab: boolean) {
  const locks = new FakeLocks()
  const key = `dead-${++keyCounter}`
  return (index: number) => {
    const tab = fakeTab(locks, `tab${index}`)
    crashes.push(() => tab.crash())
    // Counts what this tab's real sockets send (its pings, when it leads or has its own socket).
    const Base = tab.WebSocket as unknown as new (url: string, protocols?: string[]) => { send(data: unknown): void }
    const sent = { count: 0 }
    class Counting extends Base {
      override send(data: unknown): void {
        sent.count++
        super.send(data)
      }
    }
    const WebSocket = Counting as unknown as typeof tab.WebSocket
    const shared = crossTab ? (createCrossTab({ key, locks: tab.locks, BroadcastChannel: tab.BroadcastChannel, digest: async (text) => text, tabId: tab.tab }) as CrossTab) : null
    const hub = new SocketHub({
      token: 'tok',
      WebSocket,
      crossTab: shared,
      auth: { type: 'query' },
      reconnect: { initialDelayMs: 10, maxDelayMs: 50, maxAttempts: 50, stableAfterMs: 5000 },
      // Finds a dead socket fast: a ping after 40 ms of silence, dead 60 ms later.
      heartbeat: keepAlive({ intervalMs: 40, timeoutMs: 60 }),
      random: () => 0,
    })
    hubs.push(hub)
    return { ...tab, WebSocket, crossTab: shared, hub, sent }
  }
}

/** A server whose first connection goes half-open: it stops reading, and nothing it sends arrives, nor a close. */
async function serverWithDeadFirstSocket() {
  let dead: unknown
  const started = await startWsServer({
    onConnection: (socket) => {
      if (dead) return
      dead = socket
      ;(socket as unknown as { _socket: { pause(): void } })._socket.pause()
    },
  })
  return Object.assign(started, {
    broadcast(message: unknown) {
      for (const socket of started.sockets) if (socket !== dead && socket.readyState === 1) socket.send(JSON.stringify(message))
    },
  })
}

type Tab = ReturnType<ReturnType<typeof profile>>

/** Each time `tab`'s connection opens again after a loss: how many connections the server had seen then. */
function reopens(tab: Tab, url: string) {
  const seen: number[] = []
  let lost = false
  tab.hub.watchStatus(url).subscribe(() => {
    const { state } = tab.hub.watchStatus(url).getSnapshot()
    if (state === 'reconnecting') lost = true
    if (state === 'open' && lost) {
      lost = false
      seen.push(server!.connections)
    }
  })
  return seen
}

for (const crossTab of [false, true]) {
  test(`${crossTab ? 'crossTab' : 'control, no crossTab'}: the keep-alive of the tab with the socket finds it dead → it reconnects on a new socket, while another tab still waits on it`, async () => {
    server = await serverWithDeadFirstSocket()
    const tabIn = profile(crossTab)
    const tabs = [tabIn(0), tabIn(1)]
    const url = `${server.url}/ws/projects/p1`
    const events = tabs.map(() => [] as unknown[])
    const acquire = (index: number) => tabs[index]!.hub.acquire(url, { onEvents: (list) => events[index]!.push(...list) })
    const first = reopens(tabs[0]!, url)
    // Tabs open at different times: the second once the first's keep-alive has pinged.
    acquire(0)
    await vi.waitFor(() => expect(tabs[0]!.sent.count).toBeGreaterThan(0))
    acquire(1)
    await vi.waitFor(() => expect(first.length).toBeGreaterThan(0))
    // Before: reopened on the dead socket (the server had still seen 1 connection), status `open`.
    expect(first[0]).toBeGreaterThanOrEqual(2)
    await vi.waitFor(() => {
      server!.broadcast({ type: 'file_completed', n: 1 })
      for (const list of events) expect(list.length).toBeGreaterThan(0)
    })
  })
}

test("crossTab: a follower's keep-alive finds the leader's socket dead (the leader tab has no connection of its own left) → the socket is replaced", async () => {
  server = await serverWithDeadFirstSocket()
  const tabIn = profile(true)
  const leader = tabIn(0)
  const url = `${server.url}/ws/projects/p1`
  // The leader tab's own socket: opened, then let go (its components unmounted); it keeps serving.
  const own = leader.crossTab!.open({ url: `${url}?token=tok`, protocols: undefined, firstMessage: undefined, identity: [`${url}?token=tok`, undefined, undefined].join('\n') }, leader.WebSocket)
  await vi.waitFor(() => expect(own.readyState).toBe(1))
  const followers = [tabIn(1), tabIn(2)]
  const events = followers.map(() => [] as unknown[])
  const first = reopens(followers[0]!, url)
  followers[0]!.hub.acquire(url, { onEvents: (list) => events[0]!.push(...list) })
  await vi.waitFor(() => expect(followers[0]!.hub.watchStatus(url).getSnapshot().state).toBe('open'))
  // The second follower opens once the first one's ping went out (through the leader).
  await vi.waitFor(() => expect(leader.sent.count).toBeGreaterThan(0))
  followers[1]!.hub.acquire(url, { onEvents: (list) => events[1]!.push(...list) })
  await vi.waitFor(() => expect(followers[1]!.hub.watchStatus(url).getSnapshot().state).toBe('open'))
  own.close(1000)
  await vi.waitFor(() => expect(first.length).toBeGreaterThan(0))
  expect(first[0]).toBeGreaterThanOrEqual(2)
  await vi.waitFor(() => {
    server!.broadcast({ type: 'file_completed', n: 1 })
    for (const list of events) expect(list.length).toBeGreaterThan(0)
  })
})
