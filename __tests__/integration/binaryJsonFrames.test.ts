// A JSON event in a binary frame that jsonInBinaryFrames declined (a UTF-8 BOM, one byte of Latin-1
// in a file name) was counted as `binary`, which never refetches: the event was lost, the job
// showed "processing" although it ended (an attacker's probe, 2026-12-06).
import { QueryClient, QueryObserver } from '@tanstack/query-core'
import { afterEach, expect, test } from 'vitest'
import { WebSocket } from 'ws'
import { LiveStatusClient, liveQueryOptions, operationProgressChannel, type EventError, type OperationProgress } from '../../src/core'
import { jsonInBinaryFrames } from '../../src/transport'
import { startDialectServer, waitForData } from '../helpers/dialectServer'

const TOKEN = 'eyJhbGciOiJIUzI1NiJ9.probe-secret-token-value'
const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn()
})

const completed = JSON.stringify({ type: 'operation_completed', operation_id: 'op1', status: 'completed', current_file: 'cafe.txt' })
const BOM = Buffer.from([0xef, 0xbb, 0xbf])
// 'café.txt' with the é as Latin-1 (0xE9): invalid UTF-8.
const latin1 = Buffer.from(completed.replace('cafe.txt', 'caf\u00e9.txt'), 'latin1')

async function run(frame: Buffer, binary: boolean) {
  let done = false
  let restCalls = 0
  const server = await startDialectServer({
    rest: {
      'GET /api/operations/op1': () => {
        restCalls++
        return { status: 200, body: { id: 'op1', status: done ? 'completed' : 'processing', processed_files: 1, total_files: 4 } }
      },
    },
    sockets: [{ match: (p) => p === '/ws/operations/op1', handle: (socket) => setTimeout(() => { done = true; socket.send(binary ? frame : frame.toString('utf8'), { binary }) }, 50) }],
  })
  cleanups.push(() => server.close())
  const errors: EventError[] = []
  const client = new LiveStatusClient({
    apiUrl: server.apiUrl, accessToken: TOKEN, auth: { type: 'query' }, WebSocket, heartbeat: false,
    binaryFrames: jsonInBinaryFrames,
    scheduleFlush: (flush) => (queueMicrotask(flush), () => {}),
    onEventError: (e) => errors.push(e),
  })
  const queryClient = new QueryClient()
  cleanups.push(() => client.dispose(), () => queryClient.clear())
  const params = { operationId: 'op1' }
  const observer = new QueryObserver(queryClient, { ...liveQueryOptions(client, operationProgressChannel, params, { queryClient }), retry: false })
  cleanups.push(observer.subscribe(() => {}))
  cleanups.push(client.live(queryClient, operationProgressChannel, params))
  const key = operationProgressChannel.queryKey(params)
  await waitForData<OperationProgress>(queryClient, key, (d) => d?.status === 'completed')
  return { status: queryClient.getQueryData<OperationProgress>(key)?.status, restCalls, reasons: errors.map((e) => e.reason) }
}

test('control: a BOM-prefixed JSON text frame is invalid_json and the query refetches (ends completed)', async () => {
  const result = await run(Buffer.concat([BOM, Buffer.from(completed)]), false)
  expect(result.status).toBe('completed')
})

test('a BOM-prefixed JSON binary frame (e.g. .NET Encoding.UTF8) is read as the event it is', async () => {
  const result = await run(Buffer.concat([BOM, Buffer.from(completed)]), true)
  expect(result).toMatchObject({ status: 'completed', reasons: [] })
})

test('a JSON binary frame with one invalid UTF-8 byte in a field is read, the byte as U+FFFD', async () => {
  const result = await run(latin1, true)
  expect(result).toMatchObject({ status: 'completed', reasons: [] })
})
