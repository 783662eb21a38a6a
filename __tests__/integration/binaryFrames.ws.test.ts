/**
 * Issue #21 item 3: a backend that interleaves binary frames (image previews) with the JSON events
 * of a job. Binary frames are ignored and counted, never taken as lost sync (which made every live
 * query on the socket refetch: 21 REST calls for a 20-step job); a channel may decode them.
 */
import { QueryClient, QueryObserver } from '@tanstack/query-core'
import { afterEach, expect, test } from 'vitest'
import { WebSocket } from 'ws'
import { LiveStatusClient, liveQueryOptions, operationProgressChannel, type EventError, type OperationProgress } from '../../src/core'
import { startDialectServer, waitForData } from '../helpers/dialectServer'
import { jsonInBinaryFrames } from '../../src/transport'

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn()
})

/** Not UTF-8 JSON: the first bytes of a PNG. */
const preview = () => Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52])

async function followJob(options: { decodeBinary?: (data: unknown) => unknown }) {
  const STEPS = 20
  let restCalls = 0
  let done = false
  const server = await startDialectServer({
    rest: {
      'GET /api/operations/op1': () => {
        restCalls++
        return { status: 200, body: { id: 'op1', status: done ? 'completed' : 'processing', processed_files: done ? STEPS : 0, total_files: STEPS } }
      },
    },
    sockets: [
      {
        match: (path) => path === '/ws/operations/op1',
        handle: (socket) => {
          // JSON text after each binary preview; the job ends after the last step.
          for (let i = 1; i <= STEPS; i++) {
            socket.send(preview(), { binary: true })
            if (i === STEPS) done = true
            socket.send(JSON.stringify({ type: 'file_completed', operation_id: 'op1', processed_files: i, total_files: STEPS }))
          }
          socket.send(JSON.stringify({ type: 'operation_completed', operation_id: 'op1', status: 'completed' }))
        },
      },
    ],
  })
  cleanups.push(() => server.close())
  const errors: EventError[] = []
  const client = new LiveStatusClient({
    apiUrl: server.apiUrl,
    accessToken: 'tok',
    auth: { type: 'query' },
    WebSocket,
    heartbeat: false,
    scheduleFlush: (flush) => (queueMicrotask(flush), () => {}),
    onEventError: (error) => errors.push(error),
  })
  const queryClient = new QueryClient()
  cleanups.push(() => client.dispose(), () => queryClient.clear())
  const channel = options.decodeBinary ? { ...operationProgressChannel, decodeBinary: options.decodeBinary as never } : operationProgressChannel
  const params = { operationId: 'op1' }
  const observer = new QueryObserver(queryClient, { ...liveQueryOptions(client, channel, params, { queryClient }), retry: false })
  cleanups.push(observer.subscribe(() => {}))
  cleanups.push(client.live(queryClient, channel, params))
  const final = await waitForData<OperationProgress>(queryClient, channel.queryKey(params), (d) => d?.status === 'completed' && d.processedFiles === STEPS)
  // The refetch at completion: wait for it to settle before counting.
  await new Promise<void>((resolve) => {
    const check = () => (queryClient.isFetching() === 0 ? resolve() : undefined)
    const off = queryClient.getQueryCache().subscribe(() => check() === undefined || off())
    check()
  })
  const url = client.socketUrl(channel.socket(client, params)!)
  return { final, restCalls: () => restCalls, errors, stats: client.hub.get(url)?.stats, STEPS }
}

test('binary frames between JSON events are dropped and counted as `binary`, and cause no refetch', async () => {
  const { final, restCalls, errors, stats, STEPS } = await followJob({})
  expect(final.percent).toBe(100)
  // The first fetch and the one confirmation at completion, not one per binary frame.
  expect(restCalls()).toBeLessThanOrEqual(2)
  expect(errors.filter((e) => e.reason === 'binary')).toHaveLength(STEPS)
  expect(errors.every((e) => e.reason === 'binary' && /ignored/.test(e.message))).toBe(true)
  expect(stats?.dropped.binary).toBe(STEPS)
})

test('a channel with decodeBinary receives the binary frames instead (nothing dropped)', async () => {
  const seen: number[] = []
  const { errors, stats, STEPS } = await followJob({
    decodeBinary: (data) => {
      seen.push((data as Uint8Array).byteLength)
      return undefined
    },
  })
  expect(seen).toHaveLength(STEPS)
  expect(errors.filter((e) => e.reason === 'binary')).toHaveLength(0)
  expect(stats?.dropped.binary).toBe(0)
})

test('JSON sent in a binary frame is read as an event with `binaryFrames: jsonInBinaryFrames`', async () => {
  const server = await startDialectServer({
    sockets: [{ match: () => true, handle: (socket) => socket.send(Buffer.from(JSON.stringify({ type: 'file_completed', operation_id: 'op1', processed_files: 3, total_files: 4 })), { binary: true }) }],
  })
  cleanups.push(() => server.close())
  const client = new LiveStatusClient({ apiUrl: server.apiUrl, accessToken: 'tok', auth: { type: 'query' }, WebSocket, heartbeat: false, binaryFrames: jsonInBinaryFrames, scheduleFlush: (flush) => (queueMicrotask(flush), () => {}) })
  const queryClient = new QueryClient()
  cleanups.push(() => client.dispose(), () => queryClient.clear())
  cleanups.push(client.live(queryClient, operationProgressChannel, { operationId: 'op1' }))
  const data = await waitForData<OperationProgress>(queryClient, operationProgressChannel.queryKey({ operationId: 'op1' }), (d) => d?.processedFiles === 3)
  expect(data.percent).toBe(75)
})

test('without `binaryFrames`, JSON in a binary frame is dropped as `binary`, and the report says which option reads it', async () => {
  const server = await startDialectServer({
    sockets: [{ match: () => true, handle: (socket) => socket.send(Buffer.from(JSON.stringify({ type: 'file_completed', operation_id: 'op1', processed_files: 3, total_files: 4 })), { binary: true }) }],
  })
  cleanups.push(() => server.close())
  let reported!: (error: EventError) => void
  const first = new Promise<EventError>((resolve) => (reported = resolve))
  const client = new LiveStatusClient({ apiUrl: server.apiUrl, accessToken: 'tok', auth: { type: 'query' }, WebSocket, heartbeat: false, onEventError: (error) => reported(error) })
  cleanups.push(() => client.dispose())
  const lease = client.hub.acquire(client.socketUrl('/ws/operations/op1'), { onEvents: () => {} })
  cleanups.push(() => lease.release())
  const error = await first
  expect(error.reason).toBe('binary')
  expect(error.message).toMatch(/binaryFrames/)
  expect(lease.connection.stats.dropped.binary).toBe(1)
  expect(lease.connection.stats.eventsDelivered).toBe(0)
})
