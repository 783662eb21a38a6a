/**
 * `referenceServerSource` (the relay) against an odd upstream (an attacker's probe, 2026-12-06):
 * - an upstream event that is not a JSON object was dropped with no count and no report: the
 *   browser, which would have counted it (invalid_json) and refetched, never learned of it. It
 *   now goes on as it came;
 * - an upstream event over 2 MiB ended the response; the browser resumed with the same
 *   Last-Event-ID, the upstream replayed the same event, and the events after it never arrived.
 *   It is now skipped, as the direct client skips it, and said in a line the client counts.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, expect, test } from 'vitest'
import { referenceServerSource } from '../../src/next'
import { bodyReader, dataOf, handler, paramsOf, streamRequest } from './support'

const SERVICE_TOKEN = 'service-token-abcdefghijklmnop'
const servers: Server[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((closed) => (server.closeAllConnections(), server.close(closed)))))
})

async function upstream(answer: (request: IncomingMessage, response: ServerResponse) => void) {
  const requests: IncomingMessage[] = []
  const server = createServer((request, response) => {
    requests.push(request)
    response.writeHead(200, { 'Content-Type': 'text/event-stream' })
    answer(request, response)
  })
  servers.push(server)
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening))
  return { requests, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }
}

const event = (seq: number) => `id: ${seq}\ndata: ${JSON.stringify({ type: 'progress', seq })}\n\n`

test('an upstream event that is not a JSON object is dropped and counted/reported, not dropped in silence', async () => {
  const server = await upstream((_req, res) => {
    res.write(event(1))
    res.write('id: 2\ndata: {"type":"progress","seq":2,"percent":\n\n') // truncated JSON
    res.write('id: 3\ndata: [1,2,3]\n\n') // not an object
    res.write(event(4))
  })
  const { GET, errors } = handler({ source: referenceServerSource({ url: server.url, token: SERVICE_TOKEN }) })
  const body = bodyReader(await GET(streamRequest('/api/live/p1'), paramsOf('p1')))
  const text = await body.until((t) => t.includes('"seq":4'))
  await body.cancel()
  // Both go on as they came, between their neighbours: the client counts them and refetches.
  const lines = text.split('\n').filter((line) => line.startsWith('data: '))
  expect(lines).toEqual(['data: {"type":"progress","seq":1}', 'data: {"type":"progress","seq":2,"percent":', 'data: [1,2,3]', 'data: {"type":"progress","seq":4}'])
  expect(errors).toEqual([])
})

test('an upstream event over 2 MiB: the events after it still reach the client (the direct client skips it and reads on)', async () => {
  const server = await upstream((req, res) => {
    const since = Number(req.headers['last-event-id'] ?? 0)
    // A replaying upstream: everything after `since`.
    if (since < 1) res.write(event(1))
    if (since < 2) res.write(`id: 2\ndata: {"type":"progress","seq":2,"log":"${'x'.repeat(2.2 * 1024 * 1024)}"}\n\n`)
    if (since < 3) res.write(event(3))
  })
  const { GET } = handler({ source: referenceServerSource({ url: server.url, token: SERVICE_TOKEN }) })
  const seen: number[] = []
  let lastEventId: string | undefined
  // Three reconnects, each with the Last-Event-ID the client would send.
  for (let attempt = 0; attempt < 3 && !seen.includes(3); attempt++) {
    const response = await GET(streamRequest('/api/live/p1', lastEventId ? { headers: { 'Last-Event-ID': lastEventId } } : {}), paramsOf('p1'))
    const body = bodyReader(response)
    // Until seq 3 arrives, or the relay ends the response.
    await body.until((t) => t.includes('"seq":3'))
    void body.cancel()
    for (const e of dataOf(body.text.split('\n').filter((line) => !line.includes('live-status relay')).join('\n'))) seen.push(e.seq as number)
    // The skipped event is said in a line the client counts as unreadable (its queries refetch).
    expect(body.text).toMatch(/data: live-status relay: an upstream event of \d+\+ characters was skipped/)
    if (seen.length) lastEventId = String(Math.max(...seen))
  }
  // In the first response, not after reconnects that all ended at the same event.
  expect(seen).toEqual([1, 3])
})
