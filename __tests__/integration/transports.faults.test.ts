/**
 * Issue 23, item 4 (first half): the fault scenarios of the socket tests, and a generated schedule,
 * run over both transports — WebSockets (`/ws/projects/{id}`) and Server-Sent Events
 * (`live-status/sse`, `/sse/projects/{id}`) — against the real reference server on a free loopback
 * port. Streams and sockets go through a TCP proxy (`helpers/faultProxy.ts`) that can cut them or
 * make them half-open; REST goes to the server directly. Everything waits on conditions (the
 * client's status, what the server recorded, what arrived); fake timers only where an absence must
 * be shown (no retry loop after a refused token).
 */
import { QueryClient, QueryObserver } from '@tanstack/query-core'
import fc from 'fast-check'
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from 'vitest'
import { WebSocket } from 'ws'
import {
  LiveStatusClient,
  operationProgressChannel,
  SocketHub,
  type ConnectionSnapshot,
  type LiveStatusClientOptions,
  type OperationProgress,
  type WebSocketConstructor,
  type WebSocketLike,
} from '../../src/core'
import { createLiveStatusServer, type LiveStatusServerOptions } from '../../src/server'
import { watchActivity } from '../../src/devtools/liveActivity'
import { sseTransport } from '../../src/sync/sseTransport'
import { keepAlive, resumeBySeq } from '../../src/transport'
import type { SocketHubOptions } from '../../src/transport/options'
import { sse } from '../../src/transport/sse/sse'
import { fakeSource } from '../helpers/fakeSources'
import { startFaultProxy } from '../helpers/faultProxy'
import { waitForStatus } from '../helpers/wsServer'

const TOKEN = 'alice-secret-token-0123456789'
const BOB = 'bob-secret-token-9876543210'
type User = { id: string; projects: RegExp }

// ---- the world: a reference server, a fault proxy in front of it, what the server saw ----------

interface Attempt {
  /** The request path and query of a socket upgrade or an SSE request. */
  url: string
  lastEventId: string | undefined
  token: string
}

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  vi.useRealTimers()
  vi.restoreAllMocks()
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function startWorld(options: Partial<LiveStatusServerOptions<User>> = {}) {
  const tokens = new Map<string, User>([
    [TOKEN, { id: 'alice', projects: /^p\d+$/ }],
    [BOB, { id: 'bob', projects: /^q\d+$/ }],
  ])
  const attempts: Attempt[] = []
  const logs: string[] = []
  const line = (level: string) => (fields: Record<string, unknown>, message: string) => void logs.push(`${level} ${message} ${JSON.stringify(fields)}`)
  const server = createLiveStatusServer<User>({
    authenticate: (token, request) => {
      if (/^\/(ws|sse)\//.test(request.url ?? '')) {
        const lastEventId = request.headers['last-event-id']
        attempts.push({ url: request.url!, lastEventId: typeof lastEventId === 'string' ? lastEventId : undefined, token })
      }
      return tokens.get(token)
    },
    authorize: (user, projectId) => user.projects.test(projectId),
    logger: { debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error') },
    batchIntervalMs: 5,
    sseHeartbeatMs: 25,
    sseRetryMs: 10,
    closeTimeoutMs: 200,
    ...options,
  })
  const { port, url } = await server.listen()
  const proxy = await startFaultProxy(port)
  const published: Record<string, number[]> = {}
  const world = {
    server,
    proxy,
    tokens,
    attempts,
    logs,
    /** REST, straight to the server. */
    apiUrl: url,
    /** Sockets and streams, through the proxy. */
    wsUrl: `ws://127.0.0.1:${proxy.port}`,
    published: (projectId: string) => (published[projectId] ??= []),
    async publish(projectId: string, event: Record<string, unknown> & { type: string }) {
      const { seq } = await server.publish(projectId, event)
      world.published(projectId).push(seq)
      world.published(projectId).sort((a, b) => a - b)
      return seq
    },
    /** The seq a stream request asked to resume after: `?since=` on sockets, `Last-Event-ID` on SSE. */
    resumedFrom(attempt: Attempt): number | undefined {
      const since = new URL(attempt.url, 'http://x').searchParams.get('since') ?? attempt.lastEventId
      return since === undefined || since === null ? undefined : Number(since)
    },
    async dispose() {
      await proxy.close()
      await server.close()
    },
  }
  return world
}
type World = Awaited<ReturnType<typeof startWorld>>

const started = (total: number) => ({ type: 'operation_started', operation_id: 'op1', operation_type: 'index', total_files: total })
const fileCompleted = (n: number, total: number) => ({ type: 'file_completed', operation_id: 'op1', processed_files: n, total_files: total, current_file: `f${n}.txt` })

// ---- the transports ----------------------------------------------------------------------------

/** Records every socket (or SSE stream) made, and counts those made while another for the same path was CONNECTING or OPEN. */
function socketRecorder() {
  const created: { socket: WebSocketLike; path: string }[] = []
  const wrapped = new Map<WebSocketConstructor, WebSocketConstructor>()
  let violations = 0
  return {
    get violations() {
      return violations
    },
    live: () => created.filter((c) => c.socket.readyState <= 1).length,
    wrap(Base: WebSocketConstructor): WebSocketConstructor {
      let Recording = wrapped.get(Base)
      if (!Recording) {
        Recording = class extends Base {
          constructor(url: string, protocols?: string | string[]) {
            const path = new URL(url).pathname
            if (created.some((c) => c.path === path && c.socket.readyState <= 1)) violations++
            super(url, protocols)
            created.push({ socket: this, path })
          }
        }
        wrapped.set(Base, Recording)
      }
      return Recording
    },
  }
}
type Recorder = ReturnType<typeof socketRecorder>

interface Transport {
  path: (projectId: string) => string
  /** Options that make a `LiveStatusClient` use this transport for the built-in channels. */
  client: (recorder: Recorder) => Partial<LiveStatusClientOptions>
  /** Options that make a bare `SocketHub` use it. */
  hub: (recorder: Recorder) => Partial<SocketHubOptions>
}

const wsTransport: Transport = {
  path: (projectId) => `/ws/projects/${projectId}`,
  // The reference client's defaults (the token in a first message), resuming with `?since=`.
  client: (recorder) => ({ WebSocket: recorder.wrap(WebSocket as unknown as WebSocketConstructor), resumeParam: 'since' }),
  hub: (recorder) => ({ WebSocket: recorder.wrap(WebSocket as unknown as WebSocketConstructor), resumeParam: resumeBySeq('since') }),
}

const sseTransportCase: Transport = {
  path: (projectId) => `/sse/projects/${projectId}`,
  client: (recorder) => {
    const { endpoints, endpointOptions } = sseTransport()
    return {
      endpoints,
      endpointOptions: (url) => {
        const options = endpointOptions(url)
        return options && { ...options, WebSocket: recorder.wrap(options.WebSocket!) }
      },
    }
  },
  hub: (recorder) => {
    const options = sse()
    const recorded = { ...options, WebSocket: recorder.wrap(options.WebSocket!) }
    return { endpointOptions: () => recorded }
  },
}

const transports: [string, Transport][] = [
  ['ws', wsTransport],
  ['sse', sseTransportCase],
]

// ---- a client following operation op1 of a project, as the hooks would -------------------------

const commonOptions = {
  reconnect: { initialDelayMs: 10, maxDelayMs: 50, maxAttempts: 1000 },
  // The client takes the plain form too; a bare hub, only this one.
  heartbeat: keepAlive({ intervalMs: 150, timeoutMs: 150 }),
}

function follow(world: World, transport: Transport, projectId: string, token = TOKEN, options: Partial<LiveStatusClientOptions> = {}) {
  const recorder = socketRecorder()
  const online = fakeSource(true)
  const client = new LiveStatusClient({
    apiUrl: world.apiUrl,
    wsUrl: world.wsUrl,
    accessToken: token,
    quietCheckMs: false,
    onlineManager: online,
    focusManager: fakeSource(true),
    ...commonOptions,
    ...options,
    ...transport.client(recorder),
  })
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: 3, retryDelay: 10, gcTime: Infinity } } })
  const counters = { cacheWrites: 0, eventsWritten: 0 }
  watchActivity(client, (activity) => {
    if (activity.type !== 'write') return
    counters.cacheWrites++
    counters.eventsWritten += activity.events
  })
  const params = { operationId: 'op1', projectId }
  const queryKey = operationProgressChannel.queryKey(params)
  const release = client.live(queryClient, operationProgressChannel, params)
  const observer = new QueryObserver<OperationProgress>(queryClient, {
    queryKey,
    queryFn: ({ signal }) => client.fetchLive(queryClient, operationProgressChannel, params, signal),
  })
  let notifications = 0
  const offObserver = observer.subscribe(() => notifications++)
  // A subscriber of the same key at the transport level: every message, in the order it arrived.
  const url = client.socketUrl(client.endpoints.operationSocket('op1', { projectId })!)
  const received: { type: string; seq: number }[] = []
  let deliveries = 0
  const lease = client.hub.acquire(url, {
    onEvents: (events) => {
      deliveries++
      for (const event of events) received.push({ type: String((event as { type?: unknown }).type), seq: (event as { seq: number }).seq })
    },
  })
  const statuses: ConnectionSnapshot[] = [lease.connection.getStatus()]
  const offStatus = lease.connection.status.subscribe(() => statuses.push(lease.connection.getStatus()))
  const dispose = () => {
    offStatus()
    lease.release()
    offObserver()
    release()
    client.dispose()
    queryClient.clear()
  }
  cleanups.push(dispose)
  return {
    client,
    counters,
    queryClient,
    recorder,
    online,
    url,
    received,
    statuses,
    seqs: () => received.map((r) => r.seq),
    status: () => lease.connection.getStatus(),
    data: () => queryClient.getQueryData<OperationProgress>(queryKey),
    get notifications() {
      return notifications
    },
    get deliveries() {
      return deliveries
    },
    dispose,
  }
}
type Follower = ReturnType<typeof follow>

/** Waits for `predicate`, re-checked as things happen; fails with `describe()` after `timeout`. */
function until(predicate: () => boolean, describe: () => unknown = () => '', timeout = 4000) {
  return vi.waitFor(
    () => {
      if (!predicate()) throw new Error(`still waiting: ${JSON.stringify(describe())}`)
    },
    { timeout, interval: 5 },
  )
}

/** What the cache holds against what the server's own state says (the REST answers and snapshots come from it). */
const view = (operation: OperationProgress | undefined) =>
  operation && { status: operation.status, processedFiles: operation.processedFiles, totalFiles: operation.totalFiles, percent: operation.percent, currentFile: operation.currentFile }
const truth = (world: World, projectId: string) => view(world.server.state(projectId).operations.get('op1'))
const agrees = (world: World, follower: Follower, projectId: string) => JSON.stringify(view(follower.data())) === JSON.stringify(truth(world, projectId))

/** Open, admitted by the server, and holding every published event, the cache agreeing with the server. */
const quiescent = (world: World, follower: Follower, projectId: string) =>
  follower.status().state === 'open' &&
  world.server.stats.projects[projectId] === 1 &&
  follower.received.length >= world.published(projectId).length &&
  agrees(world, follower, projectId)

/** Publishes `file_completed` events `from`..`to` (of 100) for `projectId`, one after another. */
async function publishFiles(world: World, projectId: string, from: number, to: number) {
  for (let n = from; n <= to; n++) await world.publish(projectId, fileCompleted(n, 100))
}

/** Waits until `follower` holds everything published for `projectId` (see `quiescent`). */
const settled = (world: World, follower: Follower, projectId: string) => until(() => quiescent(world, follower, projectId), progress(world, follower, projectId))

const progress = (world: World, follower: Follower, projectId: string) => () => ({
  status: follower.status().state,
  sessions: world.server.stats.projects[projectId],
  received: follower.seqs(),
  published: world.published(projectId),
  cache: view(follower.data()),
  server: truth(world, projectId),
})

/** Starts a job with one event, then a follower, which gets it as its snapshot. */
async function jobAndFollower(world: World, transport: Transport, projectId: string, total = 100) {
  await world.publish(projectId, started(total))
  const follower = follow(world, transport, projectId)
  await settled(world, follower, projectId)
  expect(follower.seqs()).toEqual(world.published(projectId))
  return follower
}

// ---- the scenarios, over each transport ----------------------------------------------------------

describe.each(transports)('over %s', (name, transport) => {
  let world: World
  beforeAll(async () => {
    world = await startWorld()
  })
  afterAll(() => world.dispose())
  let projects = 0
  const nextProject = () => `p${++projects}`

  test.each(['the server', 'the network'])('%s drops the connection mid-job: reconnect with backoff, resume from the last seq, no event lost or twice, the cache ends on the server’s truth', async (who) => {
    const projectId = nextProject()
    const follower = await jobAndFollower(world, transport, projectId)
    await publishFiles(world, projectId, 1, 5)
    await settled(world, follower, projectId)
    const attemptsBefore = world.attempts.length
    const lastSeen = follower.seqs().at(-1)!
    const outage = follower.statuses.length

    if (who === 'the server') world.server.terminateAll()
    else world.proxy.drop()
    await publishFiles(world, projectId, 6, 10)
    await until(() => world.attempts.length > attemptsBefore && quiescent(world, follower, projectId), progress(world, follower, projectId))
    await publishFiles(world, projectId, 11, 15)
    await settled(world, follower, projectId)

    // Reconnected after a backoff it announced, asking for what came after the last seq it had.
    const during = follower.statuses.slice(outage)
    expect(during.some((s) => s.state === 'reconnecting' && s.attempt >= 1 && typeof s.nextRetryAt === 'number')).toBe(true)
    // Noticed as the close it was (an abnormal one), not found out later by the heartbeat.
    expect(during.some((s) => s.lastCloseCode === 1006)).toBe(true)
    expect(during.some((s) => s.lastCloseReason === 'heartbeat timeout')).toBe(false)
    expect(world.resumedFrom(world.attempts[attemptsBefore]!)).toBe(lastSeen)
    expect(follower.seqs()).toEqual(world.published(projectId))
    expect(view(follower.data())).toEqual(truth(world, projectId))
    expect(follower.data()).toMatchObject({ status: 'processing', processedFiles: 15 })
    expect(follower.recorder.violations).toBe(0)
    expect(follower.recorder.live()).toBe(1)
    expect(follower.client.hub.size).toBe(1)
  })

  test('half-open: the server’s bytes stop without a close; the heartbeat notices, the client reconnects and gets what was swallowed', async () => {
    const projectId = nextProject()
    const follower = await jobAndFollower(world, transport, projectId)
    await publishFiles(world, projectId, 1, 3)
    await settled(world, follower, projectId)
    const attemptsBefore = world.attempts.length
    const lastSeen = follower.seqs().at(-1)!

    expect(world.proxy.freeze()).toBe(1)
    // Sent by the server into the frozen connection: it believes them delivered.
    await publishFiles(world, projectId, 4, 6)
    await until(() => follower.statuses.some((s) => s.lastCloseReason === 'heartbeat timeout'), () => follower.statuses.at(-1))
    await until(() => world.attempts.length > attemptsBefore && quiescent(world, follower, projectId), progress(world, follower, projectId))

    expect(world.resumedFrom(world.attempts[attemptsBefore]!)).toBe(lastSeen)
    expect(follower.seqs()).toEqual(world.published(projectId))
    expect(view(follower.data())).toEqual(truth(world, projectId))
    expect(follower.data()).toMatchObject({ processedFiles: 6 })
    expect(follower.recorder.violations).toBe(0)
  })

  test('replay after reconnect: events published while no connection existed arrive once, in order', async () => {
    const projectId = nextProject()
    const follower = await jobAndFollower(world, transport, projectId)
    await publishFiles(world, projectId, 1, 2)
    await settled(world, follower, projectId)
    const lastSeen = follower.seqs().at(-1)!

    // Offline, then cut: no attempt can be made until the client is online again.
    follower.online.set(false)
    world.server.terminateAll()
    await until(() => follower.status().state === 'offline' && world.server.stats.projects[projectId] === undefined, () => [follower.status(), world.server.stats])
    const attemptsBefore = world.attempts.length
    await publishFiles(world, projectId, 3, 9)
    expect(follower.seqs().at(-1)).toBe(lastSeen)

    follower.online.set(true)
    await settled(world, follower, projectId)
    expect(world.attempts.length).toBe(attemptsBefore + 1)
    expect(world.resumedFrom(world.attempts[attemptsBefore]!)).toBe(lastSeen)
    // The replay: exactly the seven missed events after the last seq, nothing before it again.
    const missed = world.published(projectId).filter((seq) => seq > lastSeen)
    expect(missed).toHaveLength(7)
    expect(follower.seqs()).toEqual(world.published(projectId))
    expect(follower.received.slice(-7).map((r) => r.type)).toEqual(new Array(7).fill('file_completed'))
    expect(view(follower.data())).toEqual(truth(world, projectId))
  })

  test('a burst of 50 events in one tick: one frame, one cache write, one observer notification', async () => {
    const projectId = nextProject()
    const follower = await jobAndFollower(world, transport, projectId, 50)
    // Quiet: REST answered and every event received so far is written (the snapshot may come after the answer).
    await until(() => follower.queryClient.isFetching() === 0 && follower.counters.eventsWritten === follower.received.length)
    const writes = follower.counters.cacheWrites
    const notifications = follower.notifications
    const deliveries = follower.deliveries

    await Promise.all(Array.from({ length: 50 }, (_, i) => world.publish(projectId, fileCompleted(i + 1, 50))))
    await until(() => follower.data()?.processedFiles === 50 && follower.received.length === 51, progress(world, follower, projectId))

    expect(follower.deliveries - deliveries).toBe(1)
    expect(follower.counters.cacheWrites - writes).toBe(1)
    expect(follower.notifications - notifications).toBe(1)
    expect(view(follower.data())).toEqual(truth(world, projectId))
  })

  test.each([
    ['a refused token (401 / 4401)', 'p8', 'not-a-valid-token-0123456789', 4401, TOKEN],
    ['a project the token may not see (403 / 4403)', 'q1', TOKEN, 4403, BOB],
  ])('%s: unauthorized, onAuthError once, no retry loop, the token nowhere; a new token recovers', async (_what, projectId, token, code, good) => {
    const consoleLines: unknown[] = []
    for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) vi.spyOn(console, method).mockImplementation((...args) => void consoleLines.push(args))
    const attemptsBefore = world.attempts.length
    const logsBefore = world.logs.length
    // Only the client's clock: the server and the sockets are real.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
    const recorder = socketRecorder()
    const onAuthError = vi.fn()
    const onEventError = vi.fn()
    const onHandshakeError = vi.fn()
    const hub = new SocketHub({
      token,
      onAuthError,
      onEventError,
      onHandshakeError,
      onlineManager: fakeSource(true),
      focusManager: fakeSource(true),
      ...commonOptions,
      ...transport.hub(recorder),
    })
    cleanups.push(() => hub.dispose())
    const lease = hub.acquire(`${world.wsUrl}${transport.path(projectId)}`)
    const statuses: ConnectionSnapshot[] = []
    lease.connection.status.subscribe(() => statuses.push(lease.connection.getStatus()))
    const refused = await waitForStatus(lease.connection.status, (s) => s.state === 'unauthorized')
    expect(refused).toMatchObject({ lastCloseCode: code })
    expect(refused.nextRetryAt ?? null).toBeNull()
    // Half an hour on the client's clock: not one more attempt.
    await vi.advanceTimersByTimeAsync(30 * 60_000)
    expect(world.attempts.length - attemptsBefore).toBe(1)
    expect(recorder.live()).toBe(0)
    expect(lease.connection.getStatus().state).toBe('unauthorized')
    expect(onAuthError).toHaveBeenCalledTimes(1)
    expect(onAuthError.mock.calls[0]![0]).toMatchObject({ code })

    const said = JSON.stringify([statuses, onAuthError.mock.calls, onEventError.mock.calls, onHandshakeError.mock.calls, consoleLines, world.logs.slice(logsBefore)])
    expect(said).not.toContain(token)
    expect(said).not.toContain(token.slice(6, 18))

    // A token the server accepts: connected at once, no loop needed to get there.
    hub.setToken(good)
    await waitForStatus(lease.connection.status, (s) => s.state === 'open')
    vi.useRealTimers()
    await until(() => world.server.stats.projects[projectId] === 1)
    expect(world.attempts.length - attemptsBefore).toBe(2)
    expect(world.attempts.at(-1)!.token).toBe(good)
    expect(onAuthError).toHaveBeenCalledTimes(1)
    lease.release()
  })

  // ---- a generated schedule ----------------------------------------------------------------------

  type Step =
    | { kind: 'publish'; count: number }
    | { kind: 'serverDrop' }
    | { kind: 'networkDrop' }
    | { kind: 'halfOpen' }
    | { kind: 'rotateToken' }
    | { kind: 'subscribe' }
    | { kind: 'unsubscribe'; index: number }
    | { kind: 'settle' }

  const stepArb: fc.Arbitrary<Step> = fc.oneof(
    { weight: 5, arbitrary: fc.record({ kind: fc.constant('publish' as const), count: fc.integer({ min: 1, max: 4 }) }) },
    { weight: 2, arbitrary: fc.constant({ kind: 'serverDrop' as const }) },
    { weight: 2, arbitrary: fc.constant({ kind: 'networkDrop' as const }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'halfOpen' as const }) },
    { weight: 2, arbitrary: fc.constant({ kind: 'rotateToken' as const }) },
    { weight: 2, arbitrary: fc.constant({ kind: 'subscribe' as const }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('unsubscribe' as const), index: fc.nat(3) }) },
    { weight: 2, arbitrary: fc.constant({ kind: 'settle' as const }) },
  )

  let run = 0
  async function runSchedule(steps: Step[]): Promise<void> {
    const projectId = nextProject()
    // Each run its own token, revoked when it is rotated: a reconnect with an old one is refused.
    let token = `${TOKEN}-run${++run}-0`
    let generation = 0
    let rotatedAt = 0
    world.tokens.set(token, { id: `user${run}`, projects: /^p\d+$/ })
    await world.publish(projectId, started(1000))
    // A shorter heartbeat than the scenarios', so that a half-open step costs ~150 ms, not ~300.
    const follower = follow(world, transport, projectId, token, { heartbeat: { intervalMs: 75, timeoutMs: 75 } })
    const admitted = () => follower.status().state === 'open' && world.server.stats.projects[projectId] === 1
    const extras: { release(): void }[] = []
    let processed = 0
    try {
      await settled(world, follower, projectId)
      /** Status history positions right after a fault that cut a connection the client had open. */
      const faults: number[] = []
      for (const step of steps) {
        const wasOpen = admitted()
        switch (step.kind) {
          case 'publish':
            // In one tick, as a worker's burst.
            await Promise.all(Array.from({ length: step.count }, () => world.publish(projectId, fileCompleted(++processed, 1000))))
            break
          case 'serverDrop':
            world.server.terminateAll()
            if (wasOpen) faults.push(follower.statuses.length)
            break
          case 'networkDrop':
            world.proxy.drop()
            if (wasOpen) faults.push(follower.statuses.length)
            break
          case 'halfOpen':
            // Of a connection that is up: not one a drop just before is still taking down.
            await until(() => admitted() && (faults.length === 0 || follower.statuses.slice(faults.at(-1)).some((s) => s.state !== 'open')), () => follower.status())
            expect(world.proxy.freeze()).toBeGreaterThanOrEqual(1)
            faults.push(follower.statuses.length)
            break
          case 'rotateToken': {
            const next = `${TOKEN}-run${run}-${++generation}`
            world.tokens.set(next, world.tokens.get(token)!)
            world.tokens.delete(token)
            token = next
            rotatedAt = world.attempts.length
            follower.client.setAccessToken(next)
            break
          }
          case 'subscribe':
            extras.push(follower.client.hub.acquire(follower.url, { onEvents: () => {} }))
            break
          case 'unsubscribe':
            extras.splice(step.index % Math.max(1, extras.length), 1)[0]?.release()
            break
          case 'settle':
            await until(() => follower.status().state === 'open', () => follower.status())
            break
        }
        // Let the sockets and the server take their turn between steps.
        await new Promise((resolve) => setImmediate(resolve))
      }
      await until(() => quiescent(world, follower, projectId), progress(world, follower, projectId), 6000)

      // Every event once, in order; the cache on the server's truth.
      expect(follower.seqs()).toEqual(world.published(projectId))
      expect(view(follower.data())).toEqual(truth(world, projectId))
      // One shared connection for the key, at every moment and now, on both ends.
      expect(follower.recorder.violations).toBe(0)
      expect(follower.recorder.live()).toBe(1)
      expect(follower.client.hub.size).toBe(1)
      expect(world.server.stats.projects[projectId]).toBe(1)
      // The status told the truth: each fault that cut an open connection showed as not open.
      for (const at of faults) expect(follower.statuses.slice(at).some((s) => s.state !== 'open')).toBe(true)
      expect(follower.status()).toMatchObject({ state: 'open' })
      // A rotation leaves an open connection open; any connection attempted after it carries the new token.
      const since = world.attempts.slice(rotatedAt).filter((a) => new URL(a.url, 'http://x').pathname === transport.path(projectId))
      if (since.length > 0) expect(since.at(-1)!.token).toBe(token)
    } finally {
      for (const extra of extras) extra.release()
      follower.dispose()
      world.tokens.delete(token)
    }
  }

  test('generated schedules of publish / drop / half-open / token rotation / subscribe / unsubscribe: the cache ends on the server’s truth, one connection per key, a truthful status', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { minLength: 1, maxLength: 10 }), (steps) => runSchedule(steps)),
      {
        seed: Number(process.env.MODEL_SEED ?? 20260423),
        numRuns: Number(process.env.MODEL_RUNS ?? 20),
        reporter: (details) => {
          if (details.failed) throw new Error(`over ${name}: ${fc.defaultReportMessage(details)}\n${String(details.errorInstance)}\n(rerun with MODEL_SEED=${details.seed})`)
        },
      },
    )
  }, 120_000)
})
