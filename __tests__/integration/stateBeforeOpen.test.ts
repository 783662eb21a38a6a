// The ontology editor's index socket sends no state when it opens: an index that ended between the
// REST answer and the socket's open was shown as running until the quiet check (30 s by default, or
// never with `quietCheckMs: false`). Its dialect reads REST again once the socket is open (a re-read, 2026-12-06).
import { QueryClient, QueryObserver } from '@tanstack/query-core'
import { afterEach, expect, test } from 'vitest'
import { WebSocket } from 'ws'
import { indexStatusChannel, LiveStatusClient, liveQueryOptions, liveStatusKeys, type IndexStatus } from '../../src/core'
import { ontologyEditor } from '../../src/dialects/ontologyEditor'
import { bearer, startDialectServer, waitForData } from '../helpers/dialectServer'

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn()
})

const TOKEN = 'onto_0123456789abcdef0123456789'

test('an index that ended between the REST answer and the socket opening is shown ended once the socket is open', async () => {
  let status = 'indexing'
  let statusReads = 0
  const server = await startDialectServer({
    rest: {
      'GET /api/v1/projects/p1/ontology/index-status': (req) => {
        if (bearer(req) !== TOKEN) return { status: 401 }
        statusReads++
        return { status: 200, body: { project_id: 'p1', branch: 'main', status, entity_count: status === 'ready' ? 42 : null, commit_hash: null, error_message: null, indexed_at: null } }
      },
    },
    sockets: [
      {
        match: (path) => path === '/api/v1/projects/p1/ontology/index-ws',
        // The index ended just before this socket was accepted: its index_complete went to nobody.
        handle: () => void (status = 'ready'),
      },
    ],
    // The socket waits for the first REST answer, as a slow handshake does.
    rejectUpgrade: () => (statusReads === 0 ? 503 : undefined),
  })
  cleanups.push(() => server.close())
  const client = new LiveStatusClient({
    apiUrl: server.apiUrl, accessToken: TOKEN, dialect: ontologyEditor, WebSocket, quietCheckMs: false,
    reconnect: { initialDelayMs: 20, maxDelayMs: 40, maxAttempts: 10, stableAfterMs: 5000 },
  })
  const queryClient = new QueryClient()
  cleanups.push(() => client.dispose(), () => queryClient.clear())
  const params = { projectId: 'p1', branch: 'main' }
  const observer = new QueryObserver(queryClient, { ...liveQueryOptions(client, indexStatusChannel, params, { queryClient }), retry: false })
  cleanups.push(observer.subscribe(() => {}))
  cleanups.push(client.live(queryClient, indexStatusChannel, params))
  const key = liveStatusKeys.index('p1', 'main')
  await waitForData<IndexStatus>(queryClient, key, (d) => d?.state === 'indexing')
  // Before: 'indexing' for good (no event will come, and the quiet check is off).
  const done = await waitForData<IndexStatus>(queryClient, key, (d) => d?.state === 'complete')
  expect(done).toMatchObject({ entityCount: 42 })
})
