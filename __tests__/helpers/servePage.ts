import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { build, type BuildOptions } from 'esbuild'
import { WebSocketServer } from 'ws'

export interface ServedPage {
  http: Server
  wss: WebSocketServer
  origin: string
  close(): Promise<void>
}

/**
 * A test page for Chromium on one loopback origin: `entry` bundled with esbuild and served as
 * `/page.js` from an HTML page at `/`, a `ws` server at `wsPath`, and `routes` for anything else the
 * page asks (answer and return true, or return false for a 404).
 */
export async function servePage(options: {
  entry: string
  title: string
  wsPath: string
  build?: Omit<BuildOptions, 'entryPoints' | 'bundle' | 'write' | 'format'>
  routes?: (request: IncomingMessage, response: ServerResponse) => boolean
}): Promise<ServedPage> {
  const bundle = await build({ target: 'es2022', logLevel: 'silent', ...options.build, entryPoints: [options.entry], bundle: true, write: false, format: 'esm' })
  const script = bundle.outputFiles![0]!.text
  const http = createServer((request, response) => {
    if (request.url === '/page.js') return void response.writeHead(200, { 'content-type': 'text/javascript' }).end(script)
    if (request.url === '/') {
      return void response.writeHead(200, { 'content-type': 'text/html' }).end(`<!doctype html><title>${options.title}</title><div id="root"></div><script type="module" src="/page.js"></script>`)
    }
    if (options.routes?.(request, response)) return
    response.writeHead(404).end()
  })
  const wss = new WebSocketServer({ server: http, path: options.wsPath })
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  return {
    http,
    wss,
    origin: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    async close() {
      for (const socket of wss.clients) socket.terminate()
      wss.close()
      await new Promise<void>((resolve) => http.close(() => resolve()))
    },
  }
}
