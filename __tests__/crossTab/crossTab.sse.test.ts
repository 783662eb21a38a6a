// Cross-tab sharing over Server-Sent Events: SocketHubs in simulated tabs (`fakeTabs.ts`), each
// tab's endpoint made SSE with `sse()` and its own `fetch` (a crashed tab's streams are aborted, as
// a closed tab's are), against the real reference server on a free loopback port. Streams are
// counted on the server (the GET /sse requests it authenticated, its open SSE sessions) and in the
// page (SSE sockets made by all tabs together).
import { afterEach, describe, expect, test, vi } from 'vitest'
import { SocketHub, type WebSocketConstructor } from '../../src/core'
import { createLiveStatusServer, type LiveStatusServer, type LiveStatusServerOptions } from '../../src/server'
import { createCrossTab, type CrossTab } from '../../src/transport/crossTab'
import { sse } from '../../src/transport/sse/sse'
import { FakeLocks, fakeTab } from '../helpers/fakeTabs'
import { watchProcess } from '../server/support/serverHarness'

const ALICE = 'alice-token-0123456789'
const BOB = 'bob-token-9876543210'
type User = { id: string }

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/**
 * The reference server; `requests` records every GET /sse/… it authenticated (token,
 * `Last-Event-ID`), `commands` every POST /commands/… (a stream's `sendUrl`).
 */
async function startServer(options: Partial<LiveStatusServerOptions<User>> = {}) {
  const requests: { token: string; lastEventId: string | undefined }[] = []
  const commands: { authorization: string | undefined; body: unknown }[] = []
  const server: LiveStatusServer<User> = createLiveStatusServer<User>({
    authenticate: (token, request) => {
      if (request.url?.startsWith('/sse/')) {
        const lastEventId = request.headers['last-event-id']
        requests.push({ token, lastEventId: typeof lastEventId === 'string' ? lastEventId : undefined })
      }
      return token === ALICE ? { id: 'alice' } : token === BOB ? { id: 'bob' } : undefined
    },
    authorize: () => true,
    log: () => {},
    batchIntervalMs: 5,
    sseRetryMs: 20,
    // Without it, close() in afterEach took ~4 s here although every stream had ended (not investigated).
    closeTimeoutMs: 200,
    ...options,
  } as LiveStatusServerOptions<User>)
  const { port } = await server.listen(0, '127.0.0.1', (request, response, url) => {
    if (request.method !== 'POST' || !url.pathname.startsWith('/commands/')) return false
    let body = ''
    request.on('data', (chunk) => (body += chunk))
    request.on('end', () => {
      commands.push({ authorization: request.headers.authorization, body: JSON.parse(body) })
      response.writeHead(204).end()
    })
    return true
  })
  cleanups.push(() => server.close())
  return {
    server,
    commands,
    url: `http://127.0.0.1:${port}/sse/projects/p1`,
    /** Stream requests made with `token`. */
    requests: (token: string) => requests.filter((r) => r.token === token),
    /** SSE streams open on the server now. */
    openStreams: () => server.metrics().connectionsByTransport.sse,
  }
}

/** Tabs of one browser profile, each with a hub whose endpoints are SSE streams shared across tabs. */
function tabsWithHubs(count: number, token: (index: number) => string, options: { sendUrl?: (streamUrl: string) => string } = {}) {
  const locks = new FakeLocks()
  /** Every SSE socket any tab made, and what was sent on it. */
  const streams: { sent: string[] }[] = []
  const tabs = Array.from({ length: count }, (_, index) => {
    const tab = fakeTab(locks, `tab${index}`)
    // The tab's own fetch: a crashed tab's streams are cut, and it makes no more.
    const gone = new AbortController()
    const tabFetch: typeof fetch = (input, init) =>
      gone.signal.aborted ? Promise.reject(new TypeError('this tab crashed')) : fetch(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, gone.signal]) : gone.signal })
    const endpoint = sse({ fetch: tabFetch, sendUrl: options.sendUrl })
    const Base = endpoint.WebSocket!
    const Recording: WebSocketConstructor = class extends Base {
      #record = { sent: [] as string[] }
      constructor(url: string, protocols?: string | string[]) {
        super(url, protocols)
        streams.push(this.#record)
      }
      override send(data: string): void {
        this.#record.sent.push(data)
        super.send(data)
      }
    }
    const crossTab = createCrossTab({ key: 'sse', locks: tab.locks, BroadcastChannel: tab.BroadcastChannel, digest: async (text) => hash(text), tabId: tab.tab }) as CrossTab
    const hub = new SocketHub({
      token: token(index),
      crossTab,
      endpointOptions: () => ({ ...endpoint, WebSocket: Recording }),
      reconnect: { initialDelayMs: 10, maxDelayMs: 50, maxAttempts: 20, stableAfterMs: 5000 },
      heartbeat: false,
      random: () => 0,
    })
    cleanups.push(() => hub.dispose())
    return {
      crossTab,
      hub,
      leading: () => crossTab.roles()[0]?.leading === true,
      crash() {
        tab.crash()
        gone.abort()
        hub.dispose()
      },
    }
  })
  return { tabs, streams, locks }
}

function hash(text: string): string {
  let h = 0
  for (let i = 0; i < text.length; i++) h = (h * 31 + text.charCodeAt(i)) | 0
  return `h${text.length}:${(h >>> 0).toString(16)}`
}

const fileCompleted = (n: number) => ({ type: 'file_completed', operation_id: 'op1', processed_files: n, total_files: 1000, current_file: `f${n}.txt` })

describe('crossTab over SSE endpoints (reference server)', () => {
  test('3 tabs, one token → 1 stream, every frame in order in every tab, a follower’s command out through the leader; another token → its own stream; the leader crashes → 1 new stream, every tab resyncs', async () => {
    // One frame per event: the leader relays several frames per message to the followers.
    const world = await startServer({ batchMaxEvents: 1 })
    const { tabs, streams } = tabsWithHubs(4, (index) => (index === 3 ? BOB : ALICE), { sendUrl: (stream) => stream.replace('/sse/projects/', '/commands/') })
    const alice = tabs.slice(0, 3)
    const opens = tabs.map(() => [] as boolean[])
    const seqs = tabs.map(() => [] as number[])
    tabs.forEach((tab, index) =>
      tab.hub.acquire(world.url, {
        onOpen: ({ reconnected }) => opens[index]!.push(reconnected),
        onEvents: (events) => {
          for (const event of events as { type: string; seq: number }[]) if (event.type === 'file_completed') seqs[index]!.push(event.seq)
        },
      }),
    )
    // `onOpen` runs after the status says open: wait on the calls themselves.
    await vi.waitFor(() => expect(opens).toEqual([[false], [false], [false], [false]]))
    await vi.waitFor(() => expect(world.openStreams()).toBe(2))
    expect(world.requests(ALICE)).toHaveLength(1)
    expect(world.requests(BOB)).toHaveLength(1)
    expect(streams).toHaveLength(2)
    expect(alice.filter((tab) => tab.leading())).toHaveLength(1)

    // A burst: every tab, the followers through the leader, gets every frame once and in order.
    const published = (await Promise.all(Array.from({ length: 60 }, (_, i) => world.server.publish('p1', fileCompleted(i + 1))))).map((e) => e.seq).sort((a, b) => a - b)
    await vi.waitFor(() => expect(seqs.map((s) => s.length)).toEqual([60, 60, 60, 60]))
    for (const received of seqs) expect(received).toEqual(published)

    // A follower's command is POSTed once, by the leader, with the group's (same) token.
    const follower = alice.find((tab) => !tab.leading())!
    expect(follower.hub.get(world.url)!.send({ type: 'cancel', scan_id: 's1' })).toBe(true)
    await vi.waitFor(() => expect(world.commands).toHaveLength(1))
    expect(world.commands[0]).toEqual({ authorization: `Bearer ${ALICE}`, body: { type: 'cancel', scan_id: 's1' } })

    // The leader tab crashes (its lock freed, its stream cut): another tab leads with one new stream.
    const leader = alice.find((tab) => tab.leading())!
    leader.crash()
    const survivors = alice.filter((tab) => tab !== leader)
    await vi.waitFor(() => {
      for (const tab of survivors) expect(opens[tabs.indexOf(tab)]).toEqual([false, true])
    })
    expect(survivors.filter((tab) => tab.leading())).toHaveLength(1)
    await vi.waitFor(() => expect(world.openStreams()).toBe(2))
    expect(world.requests(ALICE)).toHaveLength(2)
    expect(streams).toHaveLength(3)
    // No resume across tabs: the connection leaves its resume position out when sockets are shared
    // (src/transport/connection.ts `#open`), so the new stream starts from a snapshot, without
    // Last-Event-ID; each tab refetches instead (`reconnected: true` above).
    expect(world.requests(ALICE)[1]!.lastEventId).toBeUndefined()

    // The new stream reaches both survivors, in order; the other token's tab never noticed.
    for (const index of [...survivors.map((tab) => tabs.indexOf(tab)), 3]) seqs[index]!.length = 0
    const after: number[] = []
    for (let n = 61; n <= 80; n++) after.push((await world.server.publish('p1', fileCompleted(n))).seq)
    await vi.waitFor(() => {
      for (const index of [...survivors.map((tab) => tabs.indexOf(tab)), 3]) expect(seqs[index]).toEqual(after)
    })
    expect(opens[3]).toEqual([false])
    expect(world.requests(BOB)).toHaveLength(1)
    expect(world.requests(ALICE)).toHaveLength(2)
    expect(world.openStreams()).toBe(2)

    // Every tab gone: no stream left on the server.
    for (const tab of tabs) tab.hub.dispose()
    await vi.waitFor(() => expect(world.openStreams()).toBe(0))
  })

  test("the server ends the stream: its `retry:` holds in every tab (the leader's, the followers', the one that takes the lock), and no tab opens a stream before it", async () => {
    const world = await startServer({ sseRetryMs: 60_000 })
    const { tabs, streams, locks } = tabsWithHubs(3, () => ALICE)
    const opens = tabs.map(() => 0)
    tabs.forEach((tab, index) => tab.hub.acquire(world.url, { onOpen: () => opens[index]!++ }))
    await vi.waitFor(() => expect(opens).toEqual([1, 1, 1]))
    // `retry:` is the stream's first line: it has been read once a frame came after it.
    await world.server.publish('p1', fileCompleted(1))
    await vi.waitFor(() => expect(tabs.every((tab) => tab.hub.get(world.url)!.stats.framesReceived > 0)).toBe(true))
    const delays = tabs.map(() => undefined as number | undefined)
    tabs.forEach((tab, index) => {
      const { status } = tab.hub.get(world.url)!
      // Read as the state turns to reconnecting: `nextRetryAt` is `Date.now()` + the delay chosen.
      status.subscribe(() => {
        const snapshot = status.getSnapshot()
        if (snapshot.state === 'reconnecting' && delays[index] === undefined) delays[index] = snapshot.nextRetryAt! - Date.now()
      })
    })
    world.server.disconnectAll()
    await vi.waitFor(() => expect(delays.every((delay) => delay !== undefined)).toBe(true))
    // The backoff alone would be 5–10 ms here.
    for (const delay of delays) expect(delay).toBeGreaterThan(30_000)
    // No tab waits for the group's lock any more (a tab granted it makes its stream synchronously,
    // were it to make one): none was made, none requested.
    await vi.waitFor(async () => expect((await locks.forTab('probe').query()).pending).toEqual([]))
    expect(streams).toHaveLength(1)
    expect(world.requests(ALICE)).toHaveLength(1)
  })

  test("a command on a shared stream without `sendUrl`: false in every tab, as without cross-tab; nothing reaches the leader's stream", async () => {
    const world = await startServer()
    const { tabs, streams } = tabsWithHubs(2, () => ALICE)
    const opens = tabs.map(() => 0)
    const frames = tabs.map(() => 0)
    tabs.forEach((tab, index) => tab.hub.acquire(world.url, { onOpen: () => opens[index]!++, onEvents: (events) => (frames[index]! += events.length) }))
    await vi.waitFor(() => expect(opens).toEqual([1, 1]))
    const process = watchProcess()
    cleanups.push(() => process.stop())
    const leader = tabs.find((tab) => tab.leading())!
    const follower = tabs.find((tab) => !tab.leading())!
    // The endpoint's constructor says its streams cannot send: the follower knows without asking.
    expect(leader.hub.get(world.url)!.send({ type: 'cancel', scan_id: 'own' })).toBe(false)
    expect(follower.hub.get(world.url)!.send({ type: 'cancel', scan_id: 's1' })).toBe(false)
    // A round trip through the leader tab (a frame relayed to both) shows nothing was posted meanwhile.
    const before = [...frames]
    await world.server.publish('p1', fileCompleted(1))
    await vi.waitFor(() => expect(frames.every((n, index) => n > before[index]!)).toBe(true))
    expect(streams[0]!.sent).toEqual([])
    expect(process.problems).toEqual([])
    expect(tabs.map((tab) => tab.hub.get(world.url)!.getStatus().state)).toEqual(['open', 'open'])
  })
})
