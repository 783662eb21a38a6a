// Over cross-tab, the stream is the leader tab's real SseSocket, and its connection holds a
// virtual socket: a token rotated in the leader tab reached the virtual socket only, and the
// commands POSTed from then on (its own and its followers') kept the token the stream opened with,
// which the route may have revoked. No token is posted between tabs for this: the leader's own
// rotation goes to its own real socket.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, expect, test, vi } from 'vitest'
import { SocketHub } from '../../src/core'
import { createCrossTab, type CrossTab } from '../../src/transport/crossTab'
import { sse } from '../../src/transport/sse/sse'
import { FakeLocks, fakeTab } from '../helpers/fakeTabs'

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

test("a token rotated in the leader tab goes with the commands its real stream POSTs, its followers' included; nothing of it is posted between tabs", async () => {
  const posts: (string | undefined)[] = []
  const http = createServer((request, response) => {
    if (request.method === 'POST') {
      posts.push(request.headers.authorization)
      return void request.resume().on('end', () => response.writeHead(202).end())
    }
    response.writeHead(200, { 'content-type': 'text/event-stream' })
    response.write(': hello\n\n')
  })
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  cleanups.push(() => new Promise<void>((resolve) => (http.closeAllConnections(), http.close(() => resolve()))))
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/sse/projects/p1`
  const locks = new FakeLocks()
  const tabs = [0, 1].map((index) => {
    const tab = fakeTab(locks, `tab${index}`)
    const crossTab = createCrossTab({ key: 'sse-token', locks: tab.locks, BroadcastChannel: tab.BroadcastChannel, digest: async (text) => text, tabId: tab.tab, relayBatchMs: 0 }) as CrossTab
    const hub = new SocketHub({ token: 'tok-old', crossTab, endpointOptions: () => sse({ sendUrl: (stream) => stream.replace('/sse/', '/commands/') }), heartbeat: false })
    cleanups.push(() => (hub.dispose(), tab.crash()))
    return { tab, crossTab, hub }
  })
  const leases = tabs.map(({ hub }) => hub.acquire(url))
  await vi.waitFor(() => expect(leases.map((lease) => lease.connection.getStatus().state)).toEqual(['open', 'open']))
  expect(tabs[0]!.crossTab.roles()[0]?.leading).toBe(true)
  const group = tabs[0]!.crossTab.roles()[0]!.group
  // Everything posted between the tabs from now on, to check no token is.
  const heard: unknown[] = []
  const spy = new BroadcastChannel(group)
  spy.onmessage = (event) => heard.push(event.data)
  cleanups.push(() => spy.close())
  tabs[0]!.hub.setToken('tok-new')
  expect(leases[0]!.connection.send({ action: 'cancel' })).toBe(true)
  expect(leases[1]!.connection.send({ action: 'retry' })).toBe(true)
  await vi.waitFor(() => expect(posts).toHaveLength(2))
  // Before: both with `Bearer tok-old`.
  expect(posts).toEqual(['Bearer tok-new', 'Bearer tok-new'])
  expect(JSON.stringify(heard)).not.toContain('tok-')
})
