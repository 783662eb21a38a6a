// SocketHubs in simulated tabs with `crossTab`: the hubs' connections share one real socket; the
// `message` auth transport authenticates it once, from the leader; a follower's status, events and
// sends behave as over a socket of its own; a leader that leaves makes the others reconnect.
import { afterEach, describe, expect, test, vi } from 'vitest'
import { SocketHub } from '../../src/core'
import { createCrossTab, type CrossTab } from '../../src/transport/crossTab'
import { TAB_PROTOCOL } from '../../src/transport/crossTab/tabMessages'
import { FakeLocks, fakeTab } from '../helpers/fakeTabs'
import { startWsServer, waitForStatus, type TestServer } from '../helpers/wsServer'

let server: TestServer | undefined
const hubs: SocketHub[] = []
let keyCounter = 0
afterEach(async () => {
  for (const hub of hubs.splice(0)) hub.dispose()
  await server?.kill()
  server = undefined
})

function tabsWithHubs(count: number, token: (index: number) => string, auth: 'query' | 'message' = 'message') {
  const locks = new FakeLocks()
  const key = `hub-${++keyCounter}`
  return Array.from({ length: count }, (_, index) => {
    const tab = fakeTab(locks, `tab${index}`)
    const crossTab = createCrossTab({ key, locks: tab.locks, BroadcastChannel: tab.BroadcastChannel, digest: async (text) => `h${text.length}:${hash(text)}`, tabId: tab.tab }) as CrossTab
    const hub = new SocketHub({
      token: token(index),
      WebSocket: tab.WebSocket,
      crossTab,
      auth: auth === 'message' ? { type: 'message', message: (t) => ({ type: 'auth', token: t }) } : { type: 'query' },
      reconnect: { initialDelayMs: 10, maxDelayMs: 50, maxAttempts: 20, stableAfterMs: 5000 },
      heartbeat: false,
      random: () => 0,
    })
    hubs.push(hub)
    return { ...tab, crossTab, hub }
  })
}

function hash(text: string): string {
  let h = 0
  for (let i = 0; i < text.length; i++) h = (h * 31 + text.charCodeAt(i)) | 0
  return (h >>> 0).toString(16)
}

describe('SocketHub with crossTab', () => {
  test('3 tabs, message auth: 1 connection authenticated once; every tab gets the events and its sends reach the server', async () => {
    server = await startWsServer()
    const tabs = tabsWithHubs(3, () => 'tok-same')
    const url = `${server.url}/ws/projects/p1`
    const seen = tabs.map(() => [] as unknown[])
    tabs.forEach((tab, index) => tab.hub.acquire(url, { onEvents: (events) => seen[index]!.push(...events) }))
    await Promise.all(tabs.map((tab) => waitForStatus(tab.hub.watchStatus(url), (status) => status.state === 'open')))
    expect(server.connections).toBe(1)
    await server.waitFor(() => server!.messages.length >= 1)
    expect(server.messages).toEqual([{ type: 'auth', token: 'tok-same' }])

    server.broadcast({ type: 'file_completed', n: 1 })
    server.broadcast({ type: 'batch', events: [{ type: 'file_completed', n: 2 }, { type: 'file_completed', n: 3 }] })
    await new Promise<void>((resolve) => {
      const check = () => (seen.every((events) => events.length === 3) ? resolve() : setImmediate(check))
      check()
    })
    for (const events of seen) expect(events.map((event) => (event as { n: number }).n)).toEqual([1, 2, 3])

    // The message version is in the group's name: a tab of another build forms its own group.
    for (const tab of tabs) expect(tab.crossTab.roles()[0]!.group).toMatch(new RegExp(`^live-status:${TAB_PROTOCOL}:`))
    const follower = tabs.findIndex((tab) => !tab.crossTab.roles()[0]?.leading)
    expect(tabs[follower]!.hub.get(url)!.send({ type: 'cancel', scan_id: 's1' })).toBe(true)
    await server.waitFor(() => server!.messages.length === 2)
    expect(server.messages[1]).toEqual({ type: 'cancel', scan_id: 's1' })
  })

  test('another token → its own connection; the leader tab crashes → the others reconnect (reconnected) over one new connection', async () => {
    server = await startWsServer()
    const tabs = tabsWithHubs(4, (index) => (index === 3 ? 'tok-other' : 'tok-same'), 'query')
    const url = `${server.url}/ws/projects/p1`
    const opens = tabs.map(() => [] as boolean[])
    tabs.forEach((tab, index) => tab.hub.acquire(url, { onOpen: ({ reconnected }) => opens[index]!.push(reconnected) }))
    await Promise.all(tabs.map((tab) => waitForStatus(tab.hub.watchStatus(url), (status) => status.state === 'open')))
    expect(server.sockets.size).toBe(2)

    const leader = tabs.findIndex((tab, index) => index < 3 && tab.crossTab.roles()[0]?.leading)
    tabs[leader]!.crash()
    tabs[leader]!.hub.dispose()
    const others = tabs.filter((_, index) => index !== leader && index < 3)
    // `onOpen` runs after the status says open: waiting on the status alone would wait for its next change.
    await vi.waitFor(() => {
      for (const tab of others) expect(opens[tabs.indexOf(tab)]).toEqual([false, true])
    })
    for (const tab of others) expect(tab.hub.watchStatus(url).getSnapshot().state).toBe('open')
    await server.waitFor(() => server!.sockets.size === 2)
    // The other token's tab never noticed.
    expect(opens[3]).toEqual([false])
  })
})
