import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { SocketHub, type SocketHubOptions } from '../../src/transport'
import { fakeSource } from './fakeSources'

const servers = new Set<Server>()

/**
 * An SSE server written by hand on a loopback port, for exact bytes and timing: each GET goes to
 * `handle` with its index; each POST (a command) is recorded and answered 202.
 */
export async function rawSseServer(handle: (request: IncomingMessage, response: ServerResponse, index: number) => void) {
  const requests: IncomingMessage[] = []
  const posts: { headers: IncomingMessage['headers']; body: string }[] = []
  const server = createServer((request, response) => {
    if (request.method === 'POST') {
      let body = ''
      request.on('data', (chunk: Buffer) => (body += chunk))
      request.on('end', () => {
        posts.push({ headers: request.headers, body })
        response.writeHead(202).end()
      })
      return
    }
    requests.push(request)
    handle(request, response, requests.length - 1)
  })
  servers.add(server)
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening))
  const { port } = server.address() as AddressInfo
  return { requests, posts, port, url: `ws://127.0.0.1:${port}/sse/projects/p1`, http: `http://127.0.0.1:${port}` }
}

/** Closes every server `rawSseServer` made: for `afterEach`. */
export async function closeRawSseServers(): Promise<void> {
  const open = [...servers]
  servers.clear()
  await Promise.all(open.map((server) => new Promise((closed) => (server.closeAllConnections(), server.close(closed)))))
}

/** Answers a GET as an event stream, headers sent at once. */
export function openStream(response: ServerResponse): void {
  response.writeHead(200, { 'Content-Type': 'text/event-stream' })
  response.flushHeaders()
}

const hubs = new Set<SocketHub>()

/** A hub for these servers: fast reconnects, online and focused for good; disposed by `disposeSseTestHubs`. */
export function sseTestHub(options: SocketHubOptions): SocketHub {
  const hub = new SocketHub({ reconnect: { initialDelayMs: 5, maxDelayMs: 20 }, onlineManager: fakeSource(true), focusManager: fakeSource(true), ...options })
  hubs.add(hub)
  return hub
}

/** Disposes every hub `sseTestHub` made: for `afterEach`. */
export function disposeSseTestHubs(): void {
  for (const hub of hubs) hub.dispose()
  hubs.clear()
}
