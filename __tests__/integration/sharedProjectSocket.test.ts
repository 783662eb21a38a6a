/**
 * The reference server sends a project's index and operation events on one socket. A page that
 * shows only one of the two must not hear the other's events as errors: they are the backend's
 * own messages, for a query this page does not show, like an event for another operation.
 * A message no channel of the backend knows, or a malformed one of a channel the page shows, is
 * still reported. The real reference server on a loopback port, the real client and QueryClient.
 */
import { QueryClient } from '@tanstack/query-core'
import { afterEach, expect, test } from 'vitest'
import { WebSocket } from 'ws'
import { indexStatusChannel, LiveStatusClient, liveStatusKeys, operationProgressChannel, type EventError, type IndexStatus, type OperationProgress } from '../../src/core'
import { waitForStatus } from '../helpers/wsServer'
import { disposeAll, startServer } from '../server/support/serverHarness'

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn()
  await disposeAll()
})

function page(apiUrl: string) {
  const reports: EventError[] = []
  const waiters = new Set<() => void>()
  let frames = 0
  /** `ws` as it is, counting the frames it receives: the test waits for the server's snapshot. */
  class CountingWebSocket extends WebSocket {
    constructor(...args: ConstructorParameters<typeof WebSocket>) {
      super(...args)
      this.on('message', () => {
        frames++
        for (const check of [...waiters]) check()
      })
    }
  }
  const client = new LiveStatusClient({
    apiUrl,
    WebSocket: CountingWebSocket,
    accessToken: 'tok-alice',
    onEventError: (error) => {
      reports.push(error)
      for (const check of [...waiters]) check()
    },
    scheduleFlush: (flush) => (queueMicrotask(flush), () => {}),
  })
  const queryClient = new QueryClient()
  cleanups.push(() => client.dispose(), () => queryClient.clear())
  /** Resolves once a report satisfies `wanted`. */
  const untilReport = (wanted: (report: EventError) => boolean) =>
    new Promise<void>((resolve) => {
      const check = () => reports.some(wanted) && (waiters.delete(check), resolve())
      waiters.add(check)
      check()
    })
  /** Resolves once the sockets received more than `count` frames. */
  const untilFrames = (count: number) =>
    new Promise<void>((resolve) => {
      const check = () => frames > count && (waiters.delete(check), resolve())
      waiters.add(check)
      check()
    })
  return { client, queryClient, reports, untilReport, untilFrames, frames: () => frames }
}

/** Resolves once the cache entry satisfies `ready`; no timer. */
const until = <T>(queryClient: QueryClient, queryKey: readonly unknown[], ready: (data: T | undefined) => boolean) =>
  new Promise<void>((resolve) => {
    const check = () => ready(queryClient.getQueryData<T>(queryKey)) && (off(), resolve())
    const off = queryClient.getQueryCache().subscribe(check)
    check()
  })

test('a page showing only the index, and one showing only an operation, hear nothing of the other channel', async () => {
  const { server, url } = await startServer()
  const indexPage = page(url)
  const operationPage = page(url)
  cleanups.push(
    indexPage.client.live(indexPage.queryClient, indexStatusChannel, { projectId: 'p1' }),
    operationPage.client.live(operationPage.queryClient, operationProgressChannel, { operationId: 'op-1', projectId: 'p1' }),
  )
  const socketOf = (client: LiveStatusClient) => client.hub.get(client.socketUrl('/ws/projects/p1'))!
  const bothOpen = () => Promise.all([indexPage, operationPage].map(({ client }) => waitForStatus(client.hub.watchStatus(client.socketUrl('/ws/projects/p1')), (s) => s.state === 'open')))
  await bothOpen()
  // A socket is open before the server has read its token: the first frame (the project's snapshot)
  // says the server has it, and every event published after it arrives live.
  await server.publish('p1', { type: 'index_queued', project_id: 'p1' })
  await Promise.all([indexPage, operationPage].map((p) => p.untilFrames(0)))

  await server.publish('p1', { type: 'index_started', project_id: 'p1' })
  await server.publish('p1', { type: 'operation_started', operation_id: 'op-1', operation_type: 'index', total_files: 4 })
  await server.publish('p1', { type: 'operation_progress', operation_id: 'op-1', processed_files: 2, total_files: 4 })
  await server.publish('p1', { type: 'index_complete', project_id: 'p1', entity_count: 12 })
  await server.publish('p1', { type: 'operation_completed', operation_id: 'op-1', status: 'completed' })

  await until<IndexStatus>(indexPage.queryClient, liveStatusKeys.index('p1'), (data) => data?.state === 'complete')
  await until<OperationProgress>(operationPage.queryClient, liveStatusKeys.operation('op-1'), (data) => data?.status === 'completed')
  // A reconnect makes the server send its snapshot (`current_state` per operation, and the index).
  const before = [indexPage.frames(), operationPage.frames()]
  for (const { client } of [indexPage, operationPage]) socketOf(client).socket!.close(4000, 'test')
  await Promise.all([indexPage, operationPage].map((p, i) => p.untilFrames(before[i]!)))
  await server.publish('p1', { type: 'operation_started', operation_id: 'op-2', operation_type: 'index' })
  // Then what is still an error: a type no channel of the backend has, and a malformed operation event.
  await server.publish('p1', { type: 'mystery_event', project_id: 'p1' })
  await server.publish('p1', { type: 'operation_progress', operation_id: 'op-1', processed_files: 'many' })

  // The last message: once both pages reported it, everything before it was decoded.
  await indexPage.untilReport((r) => r.sample.includes('mystery_event'))
  await operationPage.untilReport((r) => r.sample.includes('"many"'))
  expect(indexPage.reports.map((r) => [r.reason, r.message])).toEqual([['unknown_type', 'unknown type "mystery_event"']])
  expect(operationPage.reports.map((r) => [r.reason, r.message.includes('mystery_event') || r.message.includes('processed_files')])).toEqual([
    ['unknown_type', true],
    ['schema_mismatch', true],
  ])
  expect(socketOf(indexPage.client).stats.dropped).toMatchObject({ unknown_type: 1, schema_mismatch: 0 })
})
