/**
 * The SSE client against a hostile server's lines (an attacker's probe, 2026-12-06): an oversized
 * line that is not data (a comment, an `id`) threw away the event after it in the same block, and
 * `retry: 2147483647` parked a client for 24.8 days.
 */
import { afterEach, expect, test, vi } from 'vitest'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { SocketHub } from '../../src/transport'
import { sse } from '../../src/transport/sse/sse'
import { disposeSseTestHubs, sseTestHub } from '../helpers/rawSseServer'

const TOKEN = 'eyJhbGciOiJIUzI1NiJ9.sse-probe-secret-token'

const servers: Server[] = []
async function cleanup() {
  disposeSseTestHubs()
  await Promise.all(servers.splice(0).map((server) => new Promise((closed) => (server.closeAllConnections(), server.close(closed)))))
}

async function rawServer(handle: (request: IncomingMessage, response: ServerResponse, index: number) => void) {
  const requests: IncomingMessage[] = []
  const server = createServer((request, response) => {
    requests.push(request)
    handle(request, response, requests.length - 1)
  })
  servers.push(server)
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening))
  const { port } = server.address() as AddressInfo
  return { requests, port, url: `ws://127.0.0.1:${port}/sse/projects/p1`, http: `http://127.0.0.1:${port}` }
}

const hub = (options: ConstructorParameters<typeof SocketHub>[0] = {}) => sseTestHub({ token: TOKEN, endpointOptions: () => sse(), ...options })

afterEach(cleanup)

test.each([
  ['a comment line', ': '],
  ['an id: line', 'id: '],
])('an oversized %s is skipped alone: the data event after it in the same block is delivered or reported', async (_name, prefix) => {
  let response!: ServerResponse
  const server = await rawServer((_req, res) => {
    response = res
    res.writeHead(200, { 'Content-Type': 'text/event-stream' })
    res.flushHeaders()
  })
  const reports: { reason: string }[] = []
  const h = hub({ onEventError: (error) => reports.push(error) })
  const delivered: unknown[] = []
  const lease = h.acquire(server.url, { onEvents: (events) => delivered.push(...events) })
  await vi.waitFor(() => expect(lease.connection.getStatus().state).toBe('open'))
  // 2.2 MiB of padding on one ignored line, ended by a LF; then, in the same block, a real event.
  response.write(`${prefix}${'x'.repeat(2.2 * 1024 * 1024)}\n`)
  response.write('data: {"type":"progress","seq":7}\n\n')
  // A marker event proves the chunk above was read.
  response.write('data: {"type":"progress","seq":8}\n\n')
  await vi.waitFor(() => expect(delivered).toContainEqual({ type: 'progress', seq: 8 }))
  // Before, the whole block was skipped: seq 7 was lost, after a too_large report whose refetch
  // came before it. Now only the line goes; nothing was lost, so nothing is reported.
  expect(delivered).toEqual([{ type: 'progress', seq: 7 }, { type: 'progress', seq: 8 }])
  expect(reports).toEqual([])
  lease.release()
})

test('retry: 2147483647 does not park the connection for weeks (capped at a sane ceiling)', async () => {
  const server = await rawServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/event-stream' })
    res.end('retry: 2147483647\n\n')
  })
  const h = hub()
  const lease = h.acquire(server.url)
  await vi.waitFor(() => expect(lease.connection.getStatus().state).toBe('reconnecting'))
  const waitMs = lease.connection.getStatus().nextRetryAt! - Date.now()
  // Before, 24.8 days: only going offline and back woke it.
  expect(waitMs).toBeLessThanOrEqual(10 * 60_000)
  lease.release()
})
