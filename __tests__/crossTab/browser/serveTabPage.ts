import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { build } from 'esbuild'
import { WebSocketServer } from 'ws'

/**
 * The cross-tab tab page (tabPage.ts, bundled with esbuild) and a `ws` server at `/ws` on one
 * loopback origin, for the Chromium test, the bench and the hidden-leader measurement.
 */
export async function serveTabPage(): Promise<{ http: Server; wss: WebSocketServer; origin: string; close(): Promise<void> }> {
  const bundle = await build({ entryPoints: ['__tests__/crossTab/browser/tabPage.ts'], bundle: true, write: false, format: 'esm', target: 'es2022', logLevel: 'silent' })
  const script = bundle.outputFiles[0]!.text
  const http = createServer((request, response) => {
    if (request.url === '/tab.js') return response.writeHead(200, { 'content-type': 'text/javascript' }).end(script)
    response.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>tab</title><script type="module" src="/tab.js"></script>')
  })
  const wss = new WebSocketServer({ server: http, path: '/ws' })
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
