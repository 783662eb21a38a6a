/**
 * live-status/core on Node, no React: a `ws` server runs a fake indexing job, a client follows it
 * through one shared socket, and the server restarts mid-job so the reconnect can be watched.
 * Run with `npm run example:node` (the full demo is `npm start`).
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { WebSocket, WebSocketServer } from 'ws'
import { z } from 'zod'
import { keepAlive, SocketHub } from '../../src/transport'

const TOKEN = 'demo-token'
const events = z.discriminatedUnion('type', [
  z.object({ type: z.literal('index_started'), project_id: z.string() }),
  z.object({ type: z.literal('index_progress'), project_id: z.string(), done: z.number(), total: z.number() }),
  z.object({ type: z.literal('index_complete'), project_id: z.string(), entity_count: z.number() }),
])

let done = 0
const total = 40

async function startServer(port = 0) {
  const http = createServer()
  const wss = new WebSocketServer({ server: http })
  const authenticated = new Set<WebSocket>()
  wss.on('connection', (socket) => {
    // The token comes in the first message, { type: 'auth', token } (the client's default), never in the URL.
    socket.on('close', () => authenticated.delete(socket))
    socket.on('message', (data) => {
      const message = JSON.parse(String(data))
      if (!authenticated.has(socket)) {
        if (message.type !== 'auth' || message.token !== TOKEN) return socket.close(4401, 'invalid token')
        authenticated.add(socket)
        socket.send(JSON.stringify({ type: 'index_started', project_id: 'p1' }))
        return
      }
      if (message.type === 'ping') socket.send('{"type":"pong"}')
    })
  })
  await new Promise<void>((resolve) => http.listen(port, '127.0.0.1', resolve))
  const timer = setInterval(() => {
    if (done >= total) return
    done++
    const event =
      done === total
        ? { type: 'index_complete', project_id: 'p1', entity_count: 1234 }
        : { type: 'index_progress', project_id: 'p1', done, total }
    for (const client of authenticated) client.send(JSON.stringify(event))
  }, 50)
  const stop = async () => {
    clearInterval(timer)
    for (const client of wss.clients) client.terminate()
    await new Promise<void>((resolve) => http.close(() => resolve()))
  }
  return { port: (http.address() as AddressInfo).port, stop }
}

const server = await startServer()
console.log(`server on ws://127.0.0.1:${server.port}`)

const hub = new SocketHub({
  token: TOKEN,
  WebSocket,
  reconnect: { initialDelayMs: 250 },
  // A bare hub pings only when given a keep-alive (the provider always does).
  heartbeat: keepAlive({ intervalMs: 10_000 }),
  onEventError: (error) => console.warn('dropped event:', error.reason, error.message),
})
const url = `ws://127.0.0.1:${server.port}/ws/projects/p1`
const lease = hub.acquire(url, {
  schema: events,
  onEvents: (batch) => {
    for (const event of batch) {
      if (event.type === 'index_progress') process.stdout.write(`\rindexing ${event.done}/${event.total}   `)
      else console.log(`\n${event.type}`, event.type === 'index_complete' ? `(${event.entity_count} entities)` : '')
      if (event.type === 'index_complete') {
        lease.release()
        setTimeout(() => void finish(), 1200)
      }
    }
  },
})
lease.connection.status.subscribe((status) => {
  const retry = status.nextRetryAt ? `, next attempt in ${status.nextRetryAt - Date.now()} ms` : ''
  console.log(`\n[connection] ${status.state}${status.attempt ? ` (attempt ${status.attempt}${retry})` : ''}`)
})

let current = server
setTimeout(async () => {
  console.log('\n--- restarting the server mid-job ---')
  await current.stop()
  setTimeout(async () => {
    current = await startServer(server.port)
  }, 600)
}, 800)

async function finish() {
  console.log(`hub connections left: ${hub.size}`)
  await current.stop()
  process.exit(0)
}
