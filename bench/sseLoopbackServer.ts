/**
 * The SSE loopback bench's server (bench/sseLoopback.ts), in a process of its own, as the socket
 * bench's is (bench/loopbackServer.ts): a Node `http` server answering `GET /sse/projects/{name}`
 * with `200 text/event-stream` and the reference server's framing (`retry: 2000`, then one
 * `id: <seq>\ndata: <the socket's JSON>\n\n` per event, LF line ends), pre-encoded, so that serving
 * costs the measured client nothing.
 *
 * - `/sse/projects/stream`: every frame of the stream, written at once as the request arrives.
 * - `/sse/projects/burst`, `/sse/projects/paced`: the head and `retry:` only; the frames go when the
 *   parent says `{ go: 'burst' }` (all in one write) or `{ go: 'paced' }` (one per ms by the clock: bench/pace.ts), and
 *   the parent hears `'sent'` after the last. One such stream open at a time.
 * Any other request gets a 404 (the client's REST calls, if it makes any).
 */
import { createServer, type ServerResponse } from 'node:http'
import { pacePerMs } from './pace'

interface Setup {
  stream: string[]
  burst: string[]
  paced: string[]
}

const HEAD = { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive' }
const RETRY = 'retry: 2000\n\n'
const encode = (frames: string[]) => Buffer.from(frames.map((frame, i) => `id: ${i + 1}\ndata: ${frame}\n\n`).join(''))
const events = (frames: string[]) => frames.map((frame, i) => Buffer.from(`id: ${i + 1}\ndata: ${frame}\n\n`))

process.once('message', (setup: Setup) => {
  const stream = Buffer.concat([Buffer.from(RETRY), encode(setup.stream)])
  const burst = encode(setup.burst)
  const paced = events(setup.paced)
  const waiting = new Map<string, ServerResponse>()

  const server = createServer((request, response) => {
    const name = /^\/sse\/projects\/([a-z]+)$/.exec(request.url ?? '')?.[1]
    if (request.method !== 'GET' || (name !== 'stream' && name !== 'burst' && name !== 'paced')) return void response.writeHead(404).end()
    response.writeHead(200, HEAD)
    if (name === 'stream') return void response.write(stream)
    response.write(RETRY)
    waiting.set(name, response)
    response.once('close', () => waiting.get(name) === response && waiting.delete(name))
  })
  process.on('message', async (message: { go: 'burst' | 'paced' }) => {
    const response = waiting.get(message.go)
    if (!response) return void process.send!('no stream')
    if (message.go === 'burst') response.write(burst)
    else await pacePerMs(paced.length, (i) => response.destroyed || response.write(paced[i]!))
    process.send!('sent')
  })
  server.listen(0, '127.0.0.1', () => process.send!((server.address() as { port: number }).port))
  process.once('disconnect', () => {
    server.closeAllConnections()
    server.close(() => process.exit(0))
  })
})
