/**
 * Each recipe of docs/backends.md, with the configuration from examples/backends, against a real
 * `ws` server speaking that backend's dialect (PROTOCOLS.md).
 */
import { QueryClient, type QueryKey } from '@tanstack/query-core'
import { afterEach, describe, expect, test, vi } from 'vitest'
import { WebSocket } from 'ws'
import {
  directoryScanChannel,
  indexStatusChannel,
  LiveStatusClient,
  liveStatusKeys,
  operationProgressChannel,
  subscribeLiveInvalidation,
  type ChannelDefinition,
  type DirectoryScan,
  type EventError,
  type IndexStatus,
  type LiveStatusClientOptions,
  type OperationProgress,
} from '../../src/core'
import { ciOptions, pipelineChannel, type Pipeline } from '../../examples/backends/custom'
import { lintChannel, ontokitOptions, type LintRun } from '../../examples/backends/ontokit'
import { reflectorEventsSocket, reflectorOptions, transcriptEventSchema, transcriptKeys, transcriptSocket, userEventSchema } from '../../examples/backends/reflector'
import { semantikOptions } from '../../examples/backends/semantik'
import { buildChannel, buildSocket, sentryVibeOptions, type BuildState } from '../../examples/backends/sentryvibe'
import { bearer, startDialectServer, waitForData } from '../helpers/dialectServer'
import { waitForStatus } from '../helpers/wsServer'

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  vi.useRealTimers()
  for (const fn of cleanups.splice(0).reverse()) await fn()
})

function makeClient(options: LiveStatusClientOptions) {
  // `ws`'s WebSocket as it is: no cast. Every frame written at once (no frame timer).
  const client = new LiveStatusClient({ WebSocket, scheduleFlush: (flush) => (queueMicrotask(flush), () => {}), ...options })
  const queryClient = new QueryClient()
  cleanups.push(() => client.dispose(), () => queryClient.clear())
  return { client, queryClient }
}

/** What the hooks do: the channel's REST fetch into the cache entry the socket writes. */
function fetchInto<P, E, D>(queryClient: QueryClient, client: LiveStatusClient, channel: ChannelDefinition<P, E, D>, params: P) {
  return queryClient.fetchQuery({ queryKey: channel.queryKey(params), queryFn: ({ signal }) => client.fetchLive(queryClient, channel, params, signal) })
}

const untilInvalidated = (queryClient: QueryClient, queryKey: QueryKey) =>
  new Promise<void>((resolve) => {
    const check = () => queryClient.getQueryState(queryKey)?.isInvalidated && (off(), resolve())
    const off = queryClient.getQueryCache().subscribe(check)
    check()
  })

const send = (socket: WebSocket, message: unknown) => socket.send(JSON.stringify(message))

describe('OntoKit: project index socket with ?token=, 404 before the first index, 1008 = bad token', () => {
  test('not indexed → reindex → complete; the lint socket; a bad token stops at one attempt', async () => {
    const TOKEN = 'onto-token'
    const sockets = new Set<WebSocket>()
    const lintSockets = new Set<WebSocket>()
    let record: Record<string, unknown> | null = null
    const server = await startDialectServer({
      rest: {
        'GET /api/v1/projects/p1/ontology/index-status': (req) => (bearer(req) !== TOKEN ? { status: 401 } : record ? { status: 200, body: record } : { status: 404 }),
        'POST /api/v1/projects/p1/ontology/reindex': () => {
          for (const s of sockets) send(s, { type: 'index_started', project_id: 'p1', branch: 'main' })
          record = { project_id: 'p1', branch: 'main', status: 'ready', entity_count: 1234, commit_hash: 'abc', error_message: null, indexed_at: '2026-01-01T00:00:00Z' }
          for (const s of sockets) send(s, { type: 'index_complete', project_id: 'p1', branch: 'main', entity_count: 1234 })
          return { status: 202, body: { status: 'accepted', branch: 'main' } }
        },
        'GET /api/v1/projects/p1/ontology/lint-status': () => ({ status: 404 }),
      },
      sockets: [
        {
          match: (path) => /^\/api\/v1\/projects\/[^/]+\/ontology\/(index-ws|lint-ws)$/.test(path),
          handle: (socket, _req, url) => {
            if (url.searchParams.get('token') !== TOKEN) return socket.close(1008, 'authentication failed')
            const set = url.pathname.endsWith('/lint-ws') ? lintSockets : sockets
            set.add(socket)
            socket.on('close', () => set.delete(socket))
          },
        },
      ],
    })
    cleanups.push(() => server.close())
    const { client, queryClient } = makeClient({ ...ontokitOptions(server.apiUrl), accessToken: TOKEN })
    const params = { projectId: 'p1', branch: 'main' }
    cleanups.push(client.live(queryClient, indexStatusChannel, params))
    expect(await fetchInto(queryClient, client, indexStatusChannel, params)).toMatchObject({ state: 'not_indexed' })
    cleanups.push(client.live(queryClient, lintChannel, { projectId: 'p1' }))
    expect(await fetchInto(queryClient, client, lintChannel, { projectId: 'p1' })).toEqual({ state: 'idle' })
    await waitForStatus(client.liveStatus(client.socketUrl('/api/v1/projects/p1/ontology/index-ws')), (s) => s.state === 'open')
    await waitForStatus(client.liveStatus(client.socketUrl('/api/v1/projects/p1/ontology/lint-ws')), (s) => s.state === 'open')
    expect((await client.request('/api/v1/projects/p1/ontology/reindex', { method: 'POST', query: { branch: 'main' } })).status).toBe(202)
    expect(await waitForData<IndexStatus>(queryClient, liveStatusKeys.index('p1', 'main'), (d) => d?.state === 'complete')).toMatchObject({ entityCount: 1234 })
    for (const s of lintSockets) send(s, { type: 'lint_complete', project_id: 'p1', issue_count: 3 })
    expect(await waitForData<LintRun>(queryClient, ['ontokit', 'lint', 'p1'], (d) => d?.state === 'complete')).toEqual({ state: 'complete', issueCount: 3 })

    const bad = makeClient({ ...ontokitOptions(server.apiUrl), accessToken: 'wrong' })
    const before = server.upgrades
    cleanups.push(bad.client.live(bad.queryClient, indexStatusChannel, params))
    const status = await waitForStatus(bad.client.liveStatus(bad.client.socketUrl('/api/v1/projects/p1/ontology/index-ws')), (s) => s.state === 'unauthorized')
    expect(status.lastCloseCode).toBe(1008)
    expect(server.upgrades).toBe(before + 1)
  })
})

describe('Semantik, as its current server speaks: subprotocol on operation sockets, ?token= on the scan socket', () => {
  test('counters inside data, fan-out filtered by data.operation_id, current_state, server pings answered, 1008 = retry', async () => {
    const TOKEN = 'jwt.semantik.token'
    const opSockets = new Set<WebSocket>()
    const scanSockets = new Map<string, WebSocket>()
    const received: unknown[] = []
    let refuse1008 = true
    const server = await startDialectServer({
      // Operation sockets pick the access_token subprotocol; the scan socket picks none.
      handleProtocols: (protocols, req) => (req.url?.startsWith('/ws/operations/') ? ([...protocols].find((p) => p === `access_token.${TOKEN}`) ?? false) : false),
      // Both refuse a bad token before the upgrade.
      rejectUpgrade: (req, url) =>
        url.pathname.startsWith('/ws/operations/')
          ? req.headers['sec-websocket-protocol'] === `access_token.${TOKEN}` ? undefined : 403
          : url.searchParams.get('token') === TOKEN && !req.headers['sec-websocket-protocol'] ? undefined : 403,
      rest: {
        'GET /api/v2/operations/op1': (req) =>
          bearer(req) !== TOKEN
            ? { status: 401 }
            : { status: 200, body: { id: 'op1', collection_id: 'c1', type: 'append', status: 'processing', config: {}, error_message: null, created_at: '2026-01-01T00:00:00Z', started_at: '2026-01-01T00:00:01Z', completed_at: null } },
        'POST /api/v2/directory-scan/preview': (req) => {
          if (bearer(req) !== TOKEN) return { status: 401 }
          setTimeout(() => {
            for (const socket of scanSockets.values()) {
              send(socket, { type: 'counting', data: { files_scanned: 0, total_files: 3 } })
              send(socket, { type: 'warning', message: 'skipped /documents/locked' })
              send(socket, { type: 'completed', data: { count: 3, files: [{ path: '/documents/a.pdf', size: 10 }] } })
            }
          }, 5)
          return { status: 200, body: {} }
        },
      },
      sockets: [
        {
          match: (path) => path.startsWith('/ws/operations/'),
          handle: (socket) => {
            socket.on('message', (data) => received.push(JSON.parse(String(data))))
            // After accept, 1008 means "too many sockets for this user": the client must come back.
            if (refuse1008) {
              refuse1008 = false
              return socket.close(1008, 'too many connections')
            }
            opSockets.add(socket)
            socket.on('close', () => opSockets.delete(socket))
            send(socket, { type: 'current_state', data: { status: 'processing', operation_type: 'append', operation_id: 'op1' } })
            send(socket, { type: 'ping' })
          },
        },
        { match: (path) => path.startsWith('/ws/directory-scan/'), handle: (socket, _req, url) => void scanSockets.set(url.pathname, socket) },
      ],
    })
    cleanups.push(() => server.close())
    const errors: EventError[] = []
    const { client, queryClient } = makeClient({
      ...semantikOptions(server.apiUrl),
      accessToken: TOKEN,
      reconnect: { initialDelayMs: 10 },
      onEventError: (e) => errors.push(e),
    })
    const key = liveStatusKeys.operation('op1')
    cleanups.push(client.live(queryClient, operationProgressChannel, { operationId: 'op1' }))
    await fetchInto(queryClient, client, operationProgressChannel, { operationId: 'op1' })
    const status = client.liveStatus(client.socketUrl('/ws/operations/op1'))
    const states: string[] = []
    cleanups.push(status.subscribe(() => states.push(status.getSnapshot().state)))
    // Refused once with 1008 (the socket limit) after the upgrade: backoff, not `unauthorized`.
    await waitForStatus(status, (s) => s.state === 'open' && s.lastCloseCode === 1008)
    expect(states).toContain('reconnecting')
    expect(states).not.toContain('unauthorized')
    // The server's ping is answered, not reported.
    await new Promise<void>((resolve) => {
      const check = () => (received.some((m) => (m as { type?: string }).type === 'pong') ? resolve() : setTimeout(check, 1))
      check()
    })
    expect(await waitForData<OperationProgress>(queryClient, key, (d) => d?.operationType === 'append')).toMatchObject({ status: 'processing' })
    const [socket] = opSockets
    // The manager fans every operation of the user out to each of their sockets.
    for (let n = 1; n <= 3; n++) send(socket!, { type: 'processing_progress', data: { processed: n, failed: 0, total: 4, current_file: `/docs/${n}.pdf`, operation_id: 'op1' } })
    send(socket!, { type: 'append_completed', data: { operation_id: 'op2', status: 'completed' } })
    send(socket!, { type: 'processing_progress', data: { processed: 1, failed: 0, total: 100, operation_id: 'op2' } })
    const progressed = await waitForData<OperationProgress>(queryClient, key, (d) => d?.processedFiles === 3)
    expect(progressed).toMatchObject({ status: 'processing', processedFiles: 3, totalFiles: 4, percent: 75 })
    send(socket!, { type: 'processing_progress', data: { processed: 4, failed: 0, total: 4, operation_id: 'op1' } })
    send(socket!, { type: 'append_completed', data: { operation_id: 'op1', status: 'completed' } })
    expect(await waitForData<OperationProgress>(queryClient, key, (d) => d?.status === 'completed')).toMatchObject({ processedFiles: 4, percent: 100 })
    expect(errors).toEqual([])

    // The scan: its socket takes ?token= only, and starts over REST once open.
    const scanId = 'scan-1'
    cleanups.push(client.live(queryClient, directoryScanChannel, { scanId, path: '/documents', recursive: true }))
    const scan = await waitForData<DirectoryScan>(queryClient, liveStatusKeys.scan(scanId), (d) => d?.state === 'completed')
    expect(scan).toMatchObject({ count: 3, total: 3, warnings: ['skipped /documents/locked'] })
    expect(errors).toEqual([])
  })
})

describe('Reflector: user event socket (bearer subprotocol, event discriminator), per-transcript socket without subprotocols', () => {
  test('events invalidate; the transcript socket replays; a handshake refused with HTTP 403 ends unauthorized through authCheckPath', async () => {
    const TOKEN = 'reflector-token'
    const userSockets = new Set<WebSocket>()
    const server = await startDialectServer({
      // The user socket picks `bearer`; the per-transcript socket accepts without picking any.
      handleProtocols: (protocols, req) => (req.url === '/v1/events' && protocols.has('bearer') ? 'bearer' : false),
      rejectUpgrade: (req, url) => (url.pathname === '/v1/events' && String(req.headers['sec-websocket-protocol']).split(/,\s*/)[1] !== TOKEN ? 403 : undefined),
      rest: { 'GET /v1/me': (req) => (bearer(req) === TOKEN ? { status: 200, body: { id: 'u1' } } : { status: 401 }) },
      sockets: [
        { match: (path) => path === '/v1/events', handle: (socket) => void userSockets.add(socket) },
        {
          match: (path) => /^\/v1\/transcripts\/[^/]+\/events$/.test(path),
          handle: (socket) => {
            // Stored events are replayed on connect.
            send(socket, { event: 'STATUS', data: { value: 'processing' } })
            send(socket, { event: 'TOPIC', data: { title: 'Intro' } })
          },
        },
      ],
    })
    cleanups.push(() => server.close())
    const errors: EventError[] = []
    const { client, queryClient } = makeClient({ ...reflectorOptions(server.apiUrl), accessToken: TOKEN, onEventError: (e) => errors.push(e) })
    await queryClient.fetchQuery({ queryKey: transcriptKeys.list, queryFn: async () => [] })
    await queryClient.fetchQuery({ queryKey: transcriptKeys.one('t1'), queryFn: async () => ({ id: 't1' }) })
    cleanups.push(
      subscribeLiveInvalidation(queryClient, client, {
        socket: reflectorEventsSocket,
        schema: userEventSchema,
        keysFor: (e) => [transcriptKeys.list, transcriptKeys.one(e.data.id)],
      }),
    )
    await waitForStatus(client.liveStatus(client.socketUrl(reflectorEventsSocket)), (s) => s.state === 'open')
    for (const socket of userSockets) send(socket, { event: 'TRANSCRIPT_CREATED', data: { id: 't2' } })
    await untilInvalidated(queryClient, transcriptKeys.list)

    await queryClient.refetchQueries({ queryKey: transcriptKeys.one('t1') })
    cleanups.push(subscribeLiveInvalidation(queryClient, client, { socket: transcriptSocket('t1'), schema: transcriptEventSchema, keysFor: () => [transcriptKeys.one('t1')] }))
    await untilInvalidated(queryClient, transcriptKeys.one('t1'))
    expect(client.liveStatus(client.socketUrl(transcriptSocket('t1'))).getSnapshot().state).toBe('open')
    expect(errors).toEqual([])

    // A bad token, refused before the upgrade: a bare 1006, then /v1/me says 401.
    const onAuthError = vi.fn()
    const bad = makeClient({ ...reflectorOptions(server.apiUrl), accessToken: 'expired', onAuthError })
    cleanups.push(subscribeLiveInvalidation(bad.queryClient, bad.client, { socket: reflectorEventsSocket, schema: userEventSchema, keysFor: () => [] }))
    const refused = await waitForStatus(bad.client.liveStatus(bad.client.socketUrl(reflectorEventsSocket)), (s) => s.state === 'unauthorized')
    expect(refused.lastCloseReason).toBe('REST answered 401')
    expect(onAuthError).toHaveBeenCalledTimes(1)
  })
})

describe('SentryVibe: cookie auth (no token), batches with their envelope, client heartbeats the server checks', () => {
  test('a client streaming without pause stays connected for 10× the server timeout; one with the default keep-alive is dropped', async () => {
    // Fake clock for both sides (the sockets are real): 10 minutes of server time, exactly.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] })
    const SERVER_TIMEOUT_MS = 60_000
    const sessions = new Map<string, { connections: number; dropped: number; heartbeats: number; query: string }>()
    const received: { type?: string }[] = []
    const server = await startDialectServer({
      sockets: [
        {
          match: (path) => path === '/ws',
          handle: (socket, _req, url) => {
            const sessionId = url.searchParams.get('sessionId')!
            const stats = sessions.get(sessionId) ?? { connections: 0, dropped: 0, heartbeats: 0, query: url.search }
            sessions.set(sessionId, stats)
            stats.connections++
            let lastHeartbeatAt = Date.now()
            socket.on('message', (data) => {
              const message = JSON.parse(String(data))
              received.push(message)
              if (message.type !== 'heartbeat') return
              lastHeartbeatAt = Date.now()
              stats.heartbeats++
            })
            send(socket, { type: 'connected', projectId: url.searchParams.get('projectId'), sessionId })
            let step = 0
            const timers = [
              // A busy build: a batch every 200 ms, so the socket is never silent.
              setInterval(() => send(socket, { type: 'batch-update', projectId: 'app1', sessionId, updates: [{ type: 'build-progress', data: { step: ++step }, timestamp: new Date().toISOString() }] }), 200),
              setInterval(() => send(socket, { type: 'heartbeat' }), 30_000),
              // The liveness check counts the client's own heartbeats only.
              setInterval(() => {
                if (Date.now() - lastHeartbeatAt <= SERVER_TIMEOUT_MS) return
                stats.dropped++
                socket.terminate()
              }, 5_000),
            ]
            socket.on('close', () => timers.forEach(clearInterval))
          },
        },
      ],
    })
    cleanups.push(() => server.close())
    const errors: EventError[] = []
    // No accessToken at all: the sockets open anyway and nothing is appended to the URL.
    const { client, queryClient } = makeClient({ ...sentryVibeOptions(server.apiUrl), onEventError: (e) => errors.push(e) })
    const plain = makeClient({ apiUrl: server.apiUrl, auth: { type: 'none' } })
    expect(client.canRequest()).toBe(true)
    cleanups.push(client.live(queryClient, buildChannel, { projectId: 'app1', sessionId: 's1' }))
    cleanups.push(plain.client.live(plain.queryClient, buildChannel, { projectId: 'app1', sessionId: 'plain' }))
    const status = client.liveStatus(client.socketUrl(buildSocket({ projectId: 'app1', sessionId: 's1' })))
    await waitForStatus(status, (s) => s.state === 'open')
    const states: string[] = []
    cleanups.push(status.subscribe(() => states.push(status.getSnapshot().state)))

    const io = () => new Promise((resolve) => setImmediate(resolve))
    for (let elapsedMs = 0; elapsedMs < 10 * SERVER_TIMEOUT_MS; elapsedMs += 1000) {
      await vi.advanceTimersByTimeAsync(1000)
      await io()
      await io()
    }

    const s1 = sessions.get('s1')!
    expect(s1).toMatchObject({ connections: 1, dropped: 0, query: '?projectId=app1&sessionId=s1' })
    expect(s1.heartbeats).toBeGreaterThanOrEqual((10 * SERVER_TIMEOUT_MS) / 25_000)
    expect(states).toEqual([])
    // The same server drops a client that only listens, however busy the stream.
    expect(sessions.get('plain')!.dropped).toBeGreaterThanOrEqual(5)
    // get-state after open; batches applied with their envelope's sessionId; control traffic silent.
    expect(received.filter((m) => m.type === 'get-state').length).toBeGreaterThanOrEqual(1)
    const build = queryClient.getQueryData<BuildState>(buildChannel.queryKey({ projectId: 'app1', sessionId: 's1' }))!
    expect(Object.keys(build.sessions)).toEqual(['s1'])
    expect(build.sessions.s1!.updates).toBeGreaterThan(2500)
    expect(build.sessions.s1!.lastUpdateAt).toBeInstanceOf(Date)
    expect(errors).toEqual([])
  })
})

describe('your own backend: a channel defined for it', () => {
  test('first-message auth, a subscribe on open, events with their own discriminator', async () => {
    const received: unknown[] = []
    const server = await startDialectServer({
      rest: { 'GET /ci/api/pipelines/p9': () => ({ status: 200, body: { status: 'running', stages: {} } }) },
      sockets: [
        {
          match: (path) => path === '/ci/pipelines/p9',
          handle: (socket) =>
            socket.on('message', (data) => {
              const message = JSON.parse(String(data))
              received.push(message)
              if (!message.subscribe) return
              send(socket, { kind: 'stage', pipeline: 'p9', stage: 'build', state: 'passed' })
              send(socket, { kind: 'stage', pipeline: 'p8', stage: 'build', state: 'failed' })
              send(socket, { kind: 'finished', pipeline: 'p9', ok: true })
            }),
        },
      ],
    })
    cleanups.push(() => server.close())
    const { client, queryClient } = makeClient({ ...ciOptions(server.apiUrl), accessToken: 'ci-token' })
    cleanups.push(client.live(queryClient, pipelineChannel, { pipelineId: 'p9' }))
    await fetchInto(queryClient, client, pipelineChannel, { pipelineId: 'p9' })
    const done = await waitForData<Pipeline>(queryClient, pipelineChannel.queryKey({ pipelineId: 'p9' }), (d) => d?.status === 'passed')
    expect(done).toEqual({ status: 'passed', stages: { build: 'passed' } })
    expect(received.slice(0, 2)).toEqual([{ kind: 'auth', token: 'ci-token' }, { subscribe: 'p9' }])
    // Talking back outside onOpen: the client sends on the channel's socket.
    expect(client.send(pipelineChannel, { pipelineId: 'p9' }, { kind: 'cancel' })).toBe(true)
    await new Promise<void>((resolve) => {
      const check = () => (received.length === 3 ? resolve() : setTimeout(check, 1))
      check()
    })
    expect(received[2]).toEqual({ kind: 'cancel' })
  })
})
