// Review of 13b24d6 (dead shared socket): SSE endpoints. A follower of a stream without `sendUrl`
// never sends (its keep-alive pings are dropped before they reach the group: `VirtualSocket.send`
// throws for a socket that cannot send), so its `#sentAt` stays at its attach time, the leader heard
// the stream's comments after that, and the follower's report of the dead stream is ignored: the
// dead stream is handed straight back to the follower's reconnect (status `open`, reconnected),
// exactly what the commit set out to stop. (A tab's keep-alive timeout now also closes the leader's
// real socket with 4000, as a connection closes its own, not with 1000.)
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, expect, test, vi } from 'vitest'
import { SocketHub } from '../../src/core'
import { keepAlive } from '../../src/transport'
import { createCrossTab, type CrossTab } from '../../src/transport/crossTab'
import { sse } from '../../src/transport/sse/sse'
import { FakeLocks, fakeTab } from '../helpers/fakeTabs'

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/**
 * An SSE server. Each stream sends `id: 7` with one frame, then a comment every 10 ms until
 * `silence(i)`: from then on stream i sends nothing and never ends (half-open). Records every
 * request's Last-Event-ID.
 */
async function sseServer() {
  const streams: { response: ServerResponse; timer: ReturnType<typeof setInterval>; comments: number; lastEventId: string | undefined }[] = []
  const http = createServer((request: IncomingMessage, response) => {
    if (request.method !== 'GET') return void response.writeHead(204).end()
    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' })
    response.write(`id: 7\ndata: ${JSON.stringify({ type: 'hello_frame', seq: 7 })}\n\n`)
    const lastEventId = request.headers['last-event-id']
    const stream = { response, comments: 0, lastEventId: typeof lastEventId === 'string' ? lastEventId : undefined, timer: undefined as unknown as ReturnType<typeof setInterval> }
    stream.timer = setInterval(() => {
      stream.comments++
      response.write(': ping\n\n')
    }, 10)
    streams.push(stream)
  })
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  const { port } = http.address() as AddressInfo
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const stream of streams) clearInterval(stream.timer)
        http.closeAllConnections()
        http.close(() => resolve())
      }),
  )
  return { url: `http://127.0.0.1:${port}/sse/projects/p1`, streams, silence: (index: number) => clearInterval(streams[index]!.timer) }
}

function profile(crossTab: boolean, sendUrl?: (url: string) => string, idleCloseMs?: number) {
  const locks = new FakeLocks()
  return (index: number, timeoutMs = 60) => {
    const tab = fakeTab(locks, `tab${index}`)
    const shared = crossTab ? (createCrossTab({ key: 'review-sse', locks: tab.locks, BroadcastChannel: tab.BroadcastChannel, digest: async (text) => text, tabId: tab.tab, relayBatchMs: 0 }) as CrossTab) : null
    const hub = new SocketHub({
      token: 'tok',
      crossTab: shared,
      endpointOptions: () => sse({ sendUrl }),
      reconnect: { initialDelayMs: 10, maxDelayMs: 50, maxAttempts: 50, stableAfterMs: 5000 },
      heartbeat: keepAlive({ intervalMs: 40, timeoutMs }),
      idleCloseMs,
      random: () => 0,
    })
    cleanups.push(() => {
      hub.dispose()
      tab.crash()
    })
    return { ...tab, crossTab: shared, hub }
  }
}

/** How many streams the server had each time `hub`'s connection to `url` opened again after a loss. */
function reopens(hub: SocketHub, url: string, streams: () => number) {
  const seen: number[] = []
  let lost = false
  hub.watchStatus(url).subscribe(() => {
    const { state } = hub.watchStatus(url).getSnapshot()
    if (state === 'reconnecting') lost = true
    if (state === 'open' && lost) {
      lost = false
      seen.push(streams())
    }
  })
  return seen
}

for (const sendUrl of [undefined, (url: string) => url.replace('/sse/', '/commands/')]) {
  test(`crossTab SSE ${sendUrl ? 'with' : 'WITHOUT'} sendUrl: a follower's keep-alive finds the stream dead (the leader tab has no connection of its own left) → its reconnect gets a new stream, not the dead one`, async () => {
    const server = await sseServer()
    const tabIn = profile(true, sendUrl, 0)
    const leader = tabIn(0)
    const follower = tabIn(1)
    // Its keep-alive is slower: it still wants the stream when the first follower's fires.
    const other = tabIn(2, 1000)
    const lease = leader.hub.acquire(server.url)
    await vi.waitFor(() => expect(leader.hub.watchStatus(server.url).getSnapshot().state).toBe('open'))
    const first = reopens(follower.hub, server.url, () => server.streams.length)
    follower.hub.acquire(server.url)
    await vi.waitFor(() => expect(follower.hub.watchStatus(server.url).getSnapshot().state).toBe('open'))
    // A second follower, joined a little later: it still wants the stream when the first one's keep-alive fires.
    const before = server.streams[0]!.comments
    await vi.waitFor(() => expect(server.streams[0]!.comments).toBeGreaterThan(before + 2))
    other.hub.acquire(server.url)
    await vi.waitFor(() => expect(other.hub.watchStatus(server.url).getSnapshot().state).toBe('open'))
    // The leader tab's own connection goes (its components unmounted): it keeps serving the follower.
    lease.release()
    await vi.waitFor(() => expect(leader.hub.get(server.url)).toBeUndefined())
    // The stream keeps talking a while after the follower joined, then goes half-open.
    const comments = server.streams[0]!.comments
    await vi.waitFor(() => expect(server.streams[0]!.comments).toBeGreaterThan(comments + 3))
    server.silence(0)
    await vi.waitFor(() => expect(first.length).toBeGreaterThan(0), { timeout: 3000 })
    // Bug (no sendUrl): reopened on the dead stream (the server had still seen 1 stream).
    expect(first[0]).toBeGreaterThanOrEqual(2)
  })
}
