import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { build } from 'esbuild'
import { WebSocketServer } from 'ws'

/**
 * The plugin test's page (pluginPage.tsx, bundled with esbuild as a development build: the Query
 * devtools render nothing in production) and, on the same loopback origin, the REST status of two
 * operations and a `ws` server for the project socket.
 */
export async function servePluginPage(): Promise<{ http: Server; wss: WebSocketServer; origin: string; close(): Promise<void> }> {
  const bundle = await build({
    entryPoints: ['__tests__/devtools/browser/pluginPage.tsx'],
    bundle: true,
    write: false,
    format: 'esm',
    target: 'es2022',
    jsx: 'automatic',
    conditions: ['development'],
    define: { 'process.env.NODE_ENV': '"development"' },
    logLevel: 'silent',
  })
  const script = bundle.outputFiles[0]!.text
  const http = createServer((request, response) => {
    const operation = /^\/api\/operations\/([\w-]+)$/.exec(request.url ?? '')?.[1]
    if (operation) {
      return response
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ id: operation, status: 'processing', processed_files: 0, total_files: 10 }))
    }
    if (request.url === '/page.js') return response.writeHead(200, { 'content-type': 'text/javascript' }).end(script)
    if (request.url === '/') {
      return response.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>plugin</title><div id="root"></div><script type="module" src="/page.js"></script>')
    }
    response.writeHead(404).end()
  })
  const wss = new WebSocketServer({ server: http, path: '/ws/projects/p1' })
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
