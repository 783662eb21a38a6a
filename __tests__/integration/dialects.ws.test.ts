import { QueryClient, type QueryKey } from '@tanstack/query-core'
import { afterEach, describe, expect, test } from 'vitest'
import { WebSocket } from 'ws'
import { z } from 'zod'
import {
  defineChannel,
  directoryScanChannel,
  indexStatusChannel,
  LiveStatusClient,
  liveStatusKeys,
  operationProgressChannel,
  subscribeLiveInvalidation,
  type ChannelDefinition,
  type DirectoryScan,
  type IndexStatus,
  type LiveStatusClientOptions,
  type OperationProgress,
} from '../../src/core'
import { appBuilder } from '../../src/dialects/appBuilder'
import { documentIndexer } from '../../src/dialects/documentIndexer'
import { ontologyEditor } from '../../src/dialects/ontologyEditor'
import { transcriber } from '../../src/dialects/transcriber'
import { bearer, startDialectServer, waitForData } from '../helpers/dialectServer'
import { waitForStatus } from '../helpers/wsServer'

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn()
})

function makeClient(options: LiveStatusClientOptions) {
  // Every frame written at once: a test waiting for an intermediate state must not see two frames
  // folded into one write under load.
  const client = new LiveStatusClient({ WebSocket, scheduleFlush: (flush) => (queueMicrotask(flush), () => {}), ...options })
  const queryClient = new QueryClient()
  cleanups.push(() => client.dispose(), () => queryClient.clear())
  return { client, queryClient }
}

/** What the hook does: the channel's REST fetch into the same cache entry. */
function fetchInto<P, E, D>(queryClient: QueryClient, client: LiveStatusClient, channel: ChannelDefinition<P, E, D>, params: P) {
  const queryKey = channel.queryKey(params)
  return queryClient.fetchQuery({
    queryKey,
    queryFn: ({ signal }) => channel.fetch({ client, params, signal, previous: queryClient.getQueryData<D>(queryKey) }),
  })
}

describe('ontology editor: project-scoped index socket, ?token=, 404 before the first index', () => {
  test('404 → not_indexed, reindex → index_started → index_complete; a bad token closes 1008 once', async () => {
    const TOKEN = 'onto-token'
    let record: Record<string, unknown> | null = null
    const clients = new Set<WebSocket>()
    const server = await startDialectServer({
      rest: {
        'GET /api/v1/projects/p1/ontology/index-status': (req, url) =>
          bearer(req) !== TOKEN ? { status: 401 } : record ? { status: 200, body: { ...record, branch: url.searchParams.get('branch') } } : { status: 404, body: { detail: 'no index' } },
        'POST /api/v1/projects/p1/ontology/reindex': (req, url) => {
          if (bearer(req) !== TOKEN) return { status: 401 }
          const branch = url.searchParams.get('branch')
          setTimeout(() => {
            for (const c of clients) c.send(JSON.stringify({ type: 'index_started', project_id: 'p1', branch }))
            record = { project_id: 'p1', status: 'ready', entity_count: 1234, commit_hash: 'abc', error_message: null, indexed_at: new Date().toISOString() }
            setTimeout(() => {
              for (const c of clients) c.send(JSON.stringify({ type: 'index_complete', project_id: 'p1', branch, entity_count: 1234 }))
            }, 20)
          }, 20)
          return { status: 202, body: { status: 'accepted', branch } }
        },
      },
      sockets: [
        {
          match: (path) => /^\/api\/v1\/projects\/[^/]+\/ontology\/index-ws$/.test(path),
          handle: (socket, _req, url) => {
            if (url.searchParams.get('token') !== TOKEN) return socket.close(1008, 'authentication failed')
            clients.add(socket)
            socket.on('close', () => clients.delete(socket))
          },
        },
      ],
    })
    cleanups.push(() => server.close())
    const endpoints = {
      indexSocket: (id: string) => `/api/v1/projects/${id}/ontology/index-ws`,
      indexStatus: (id: string) => `/api/v1/projects/${id}/ontology/index-status`,
      reindex: (id: string) => `/api/v1/projects/${id}/ontology/reindex`,
    }
    const { client, queryClient } = makeClient({ apiUrl: server.apiUrl, accessToken: TOKEN, dialect: ontologyEditor })
    const params = { projectId: 'p1', branch: 'main' }
    const key = liveStatusKeys.index('p1', 'main')
    cleanups.push(client.live(queryClient, indexStatusChannel, params))
    expect(await fetchInto(queryClient, client, indexStatusChannel, params)).toMatchObject({ state: 'not_indexed', projectId: 'p1' })
    await waitForStatus(client.hub.watchStatus(client.socketUrl(endpoints.indexSocket('p1'))), (s) => s.state === 'open')

    const response = await client.request(endpoints.reindex('p1'), { method: 'POST', query: { branch: 'main' } })
    expect(response.status).toBe(202)
    await waitForData<IndexStatus>(queryClient, key, (d) => d?.state === 'indexing')
    const done = await waitForData<IndexStatus>(queryClient, key, (d) => d?.state === 'complete')
    expect(done).toMatchObject({ entityCount: 1234, branch: 'main' })

    // Another client with a bad token: the server says 1008, which means "stop".
    const bad = makeClient({ apiUrl: server.apiUrl, accessToken: 'wrong', dialect: ontologyEditor })
    const before = server.upgrades
    cleanups.push(bad.client.live(bad.queryClient, indexStatusChannel, params))
    const status = await waitForStatus(bad.client.hub.watchStatus(bad.client.socketUrl(endpoints.indexSocket('p1'))), (s) => s.state === 'unauthorized')
    expect(status).toMatchObject({ lastCloseCode: 1008 })
    expect(server.upgrades).toBe(before + 1)
  })
})

describe('document indexer: per-operation socket, access_token subprotocol, current_state first', () => {
  test('operation progress through stage events, then the REST copy; and a directory scan', async () => {
    const TOKEN = 'jwt.abc.def'
    const server = await startDialectServer({
      handleProtocols: (protocols) => [...protocols].find((p) => p.startsWith('access_token.')) ?? false,
      rest: {
        'GET /api/v2/operations/op7': (req) =>
          bearer(req) === TOKEN
            ? { status: 200, body: { id: 'op7', collection_id: 'c1', type: 'index', status: 'completed', config: {}, error_message: null, created_at: '2026-01-01T00:00:00Z', started_at: '2026-01-01T00:00:01Z', completed_at: '2026-01-01T00:01:00Z' } }
            : { status: 401 },
      },
      sockets: [
        {
          match: (path) => path.startsWith('/ws/operations/'),
          handle: (socket, req) => {
            if (req.headers['sec-websocket-protocol'] !== `access_token.${TOKEN}`) return socket.close(1008, 'auth failed')
            socket.on('message', (data) => JSON.parse(String(data)).type === 'ping' && socket.send('{"type":"pong"}'))
            const events = [
              { type: 'current_state', status: 'processing', operation_type: 'index' },
              { type: 'scanning_documents', status: 'scanning', source_path: '/docs' },
              { type: 'scanning_completed', total_files_found: 4, new_documents_registered: 4, scan_duration: 0.2 },
              { type: 'processing_embeddings' },
              ...[1, 2, 3, 4].map((n) => ({ type: 'document_processed', processed: n, failed: 0, total: 4, current_file: `/docs/${n}.pdf`, progress_percent: n * 25 })),
              { type: 'index_completed' },
            ]
            // The batch carries the burst: one frame, one cache write.
            socket.send(JSON.stringify(events[0]))
            setTimeout(() => socket.send(JSON.stringify({ type: 'batch', events: events.slice(1) })), 10)
          },
        },
        {
          match: (path) => path.startsWith('/ws/scan/'),
          handle: (socket) => {
            socket.on('message', (data) => {
              const message = JSON.parse(String(data))
              if (message.action !== 'scan') return
              socket.send(JSON.stringify({ type: 'progress', scanned: 1, total: 2, current_path: `${message.path}/a` }))
              socket.send(
                JSON.stringify({
                  type: 'completed',
                  files: [
                    { path: `${message.path}/a/x.pdf`, size: 10, modified: '2026-01-01T00:00:00Z', extension: '.pdf' },
                    { path: `${message.path}/y.md`, size: 5, modified: '2026-01-02T00:00:00Z', extension: '.md' },
                  ],
                  count: 2,
                  total_size: 15,
                  warnings: [],
                }),
              )
            })
          },
        },
      ],
    })
    cleanups.push(() => server.close())
    const { client, queryClient } = makeClient({
      apiUrl: server.apiUrl,
      accessToken: TOKEN,
      dialect: documentIndexer,
      // The older scan socket: started by a message on it, not over REST.
      endpoints: { scanSocket: (id) => `/ws/scan/${id}`, scanStart: null },
    })
    const key = liveStatusKeys.operation('op7')
    cleanups.push(client.live(queryClient, operationProgressChannel, { operationId: 'op7' }))
    const done = await waitForData<OperationProgress>(queryClient, key, (d) => d?.status === 'completed')
    expect(done).toMatchObject({ operationType: 'index', processedFiles: 4, totalFiles: 4, percent: 100, stage: 'completed', currentFile: '/docs/4.pdf' })
    const merged = await fetchInto(queryClient, client, operationProgressChannel, { operationId: 'op7' })
    expect(merged).toMatchObject({ status: 'completed', processedFiles: 4, percent: 100 })

    const scanKey = liveStatusKeys.scan('scan-1')
    cleanups.push(client.live(queryClient, directoryScanChannel, { scanId: 'scan-1', path: '/documents', recursive: true }))
    const scan = await waitForData<DirectoryScan>(queryClient, scanKey, (d) => d?.state === 'completed')
    expect(scan).toMatchObject({ count: 2, totalSize: 15, scanned: 2, total: 2 })
    expect(scan.files[0]!.modified).toEqual(new Date('2026-01-01T00:00:00Z'))
  })
})

describe('meeting transcriber: user-level entity events, bearer subprotocol, 4401', () => {
  test('events invalidate the named queries; an expired token gets 4401 and no retries', async () => {
    const TOKEN = 'transcriber-token'
    const sockets = new Set<WebSocket>()
    const server = await startDialectServer({
      handleProtocols: (protocols) => (protocols.has('bearer') ? 'bearer' : false),
      sockets: [
        {
          match: (path) => path === '/v1/events',
          handle: (socket, req) => {
            const [, token] = String(req.headers['sec-websocket-protocol']).split(/,\s*/)
            if (token !== TOKEN) return socket.close(4401, 'unauthorized')
            sockets.add(socket)
          },
        },
      ],
    })
    cleanups.push(() => server.close())
    const { client, queryClient } = makeClient({ apiUrl: server.apiUrl, accessToken: TOKEN, dialect: transcriber })
    let listFetches = 0
    const listKey: QueryKey = ['transcripts']
    await queryClient.fetchQuery({ queryKey: listKey, queryFn: async () => ++listFetches })
    const observer = queryClient.getQueryCache().subscribe(() => {})
    cleanups.push(observer)
    cleanups.push(
      subscribeLiveInvalidation(queryClient, client, {
        socket: '/v1/events',
        discriminator: 'event',
        schema: z.object({ event: z.string(), data: z.object({ id: z.string() }) }),
        keysFor: (e) => [listKey, ['transcript', e.data.id]],
      }),
    )
    await waitForStatus(client.hub.watchStatus(client.socketUrl('/v1/events')), (s) => s.state === 'open')
    for (const socket of sockets) {
      socket.send(JSON.stringify({ event: 'TRANSCRIPT_CREATED', data: { id: 't9' } }))
      socket.send(JSON.stringify({ event: 'TRANSCRIPT_STATUS', data: { id: 't9', value: 'processing' } }))
    }
    await new Promise<void>((resolve) => {
      const off = queryClient.getQueryCache().subscribe(() => {
        if (queryClient.getQueryState(listKey)?.isInvalidated) {
          off()
          resolve()
        }
      })
    })
    expect(queryClient.getQueryState(listKey)?.isInvalidated).toBe(true)

    const expired = makeClient({ apiUrl: server.apiUrl, accessToken: 'expired', dialect: transcriber })
    const before = server.upgrades
    cleanups.push(subscribeLiveInvalidation(expired.queryClient, expired.client, { socket: '/v1/events', schema: z.object({ event: z.string() }), keysFor: () => [] }))
    const status = await waitForStatus(expired.client.hub.watchStatus(expired.client.socketUrl('/v1/events')), (s) => s.state === 'unauthorized')
    expect(status.lastCloseCode).toBe(4401)
    expect(server.upgrades).toBe(before + 1)
  })
})

describe('app builder: batched build state on one socket with query parameters', () => {
  test('connected, get-state after open, batch-update unpacked in one cache write, heartbeat consumed', async () => {
    const received: unknown[] = []
    const server = await startDialectServer({
      sockets: [
        {
          match: (path) => path === '/ws',
          handle: (socket, _req, url) => {
            socket.send(JSON.stringify({ type: 'connected', projectId: url.searchParams.get('projectId') }))
            socket.on('message', (data) => {
              const message = JSON.parse(String(data))
              received.push(message)
              if (message.type !== 'get-state') return
              socket.send(JSON.stringify({ type: 'heartbeat' }))
              socket.send(
                JSON.stringify({
                  type: 'batch-update',
                  updates: [
                    { type: 'build-progress', data: { step: 1, of: 3 }, timestamp: '2026-01-01T00:00:01Z' },
                    { type: 'build-progress', data: { step: 2, of: 3 }, timestamp: '2026-01-01T00:00:02Z' },
                    { type: 'build-complete', data: { url: 'https://preview' }, timestamp: '2026-01-01T00:00:03Z' },
                  ],
                }),
              )
            })
          },
        },
      ],
    })
    cleanups.push(() => server.close())
    const buildEvent = z.discriminatedUnion('type', [
      z.object({ type: z.literal('connected'), projectId: z.string() }),
      z.object({ type: z.literal('build-progress'), data: z.object({ step: z.number(), of: z.number() }), timestamp: z.string() }),
      z.object({ type: z.literal('build-complete'), data: z.object({ url: z.string() }), timestamp: z.string() }),
    ])
    type Build = { state: 'idle' | 'building' | 'done'; step: number; url?: string; at?: Date }
    let writes = 0
    const buildChannel = defineChannel<{ projectId: string; sessionId: string }, z.infer<typeof buildEvent>, Build>({
      name: 'build',
      queryKey: ({ projectId }) => ['build', projectId],
      socket: (_c, { projectId, sessionId }) => `/ws?projectId=${projectId}&sessionId=${sessionId}`,
      schema: buildEvent,
      reduce: (data, event) => {
        const base = data ?? { state: 'idle', step: 0 }
        if (event.type === 'connected') return base
        writes++
        if (event.type === 'build-progress') return { ...base, state: 'building', step: Math.max(base.step, event.data.step), at: new Date(event.timestamp) }
        return { ...base, state: 'done', url: event.data.url, at: new Date(event.timestamp) }
      },
      fetch: async ({ previous }) => previous ?? { state: 'idle', step: 0 },
      isActive: (d) => d?.state === 'building',
      isTerminal: (d) => d?.state === 'done',
      onOpen: ({ send }) => void send({ type: 'get-state' }),
    })
    const errors: unknown[] = []
    const { client, queryClient } = makeClient({ apiUrl: server.apiUrl, dialect: appBuilder, onEventError: (e) => errors.push(e) })
    cleanups.push(client.live(queryClient, buildChannel, { projectId: 'app1', sessionId: 's1' }))
    const done = await waitForData<Build>(queryClient, ['build', 'app1'], (d) => d?.state === 'done')
    expect(done).toMatchObject({ state: 'done', step: 2, url: 'https://preview' })
    expect(done.at).toEqual(new Date('2026-01-01T00:00:03Z'))
    // get-state first; the server's heartbeat is answered (the dialect's `reply`).
    expect(received[0]).toEqual({ type: 'get-state' })
    expect(writes).toBe(3)
    expect(errors).toEqual([])
  })
})
