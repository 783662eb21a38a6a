/**
 * The demo's HTTP server: the built page, live-status's reference server (REST + project sockets),
 * the scan socket, and a few demo-only routes (start operations, network trouble, sign in again).
 */
import { createReadStream, existsSync, statSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { extname, join, normalize } from 'node:path'
import { WebSocketServer } from 'ws'
import { rejectUpgrade, requestTarget, selectProtocol, tokenFromRequest, type AllowedHosts, type AllowedOrigins } from '../src/server'
import { isHostAllowed } from '../src/server/http/hostPolicy'
import { isOriginAllowed, RefusedOrigins } from '../src/server/http/originPolicy'
import { Log } from '../src/server/logger'
import { demoHosts, demoOrigins } from './origins'
import { TOKEN_IN_URL_REASON } from '../src/server/upgrade/admitSocket'
import { readJsonBody } from '../src/server/http/jsonBody'
import { answerCors } from '../src/server/http/restRoutes'
import { operationTypes, PROJECT, type OperationType, type Trouble, type World } from './world'

const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.map': 'application/json',
}

export function sendJson(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' })
  res.end(JSON.stringify(body))
}

/** A body `readJsonBody` refused; past the limit the rest is not read, so the connection closes. */
function refuseBody(res: ServerResponse, read: { status: 400 | 413; detail: string }) {
  if (read.status === 413) res.setHeader('Connection', 'close')
  sendJson(res, read.status, { detail: read.detail })
}

/** The demo's commands are a few fields. */
const MAX_DEMO_BODY_BYTES = 10_000

const bearer = (req: IncomingMessage) => /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? null

export interface DemoHttpOptions {
  port?: number
  host?: string
  /** The built page (demo/dist). */
  clientDir: string
  /** Start with sockets refused (REST only), as a server whose WebSocket side comes up late. */
  socketsEnabled?: boolean
  /** The operations started from pages, newest first. @default a list in this process's memory */
  operations?: OperationLog
  /**
   * Page origins the demo routes answer with CORS headers: a page served by one instance calls
   * the others. @default none (same-origin only)
   */
  corsOrigins?: AllowedOrigins
  /**
   * Host names the demo answers; other `Host` headers get 403 on every request and upgrade (DNS
   * rebinding). @default `demoHosts()`: loopback names and `LIVE_STATUS_ALLOWED_HOSTS`
   */
  allowedHosts?: AllowedHosts
  /**
   * Page origins whose requests the demo routes take: a request from any other page (it carries its
   * `Origin`) gets 403, so a site the developer visits cannot start or break demo jobs.
   * @default the world's `allowedOrigins`, else `demoOrigins()`: local development origins and `LIVE_STATUS_ALLOWED_ORIGINS`
   */
  pageOrigins?: AllowedOrigins
  /** More demo routes (the cluster's controls), asked first; true when it answered. @default none */
  routes?: (req: IncomingMessage, res: ServerResponse, url: URL) => boolean | Promise<boolean>
}

/** Where the operations list lives: this process, or a store every instance reads (the cluster). */
export interface OperationLog {
  add(operationId: string): Promise<void>
  /** Newest first. */
  list(): Promise<string[]>
}

export function memoryOperationLog(): OperationLog {
  const operations: string[] = []
  return {
    add: async (operationId) => void operations.unshift(operationId),
    list: async () => [...operations],
  }
}

export async function startDemoHttp(world: World, options: DemoHttpOptions) {
  const { port = 0, host = '127.0.0.1', clientDir } = options
  let socketsEnabled = options.socketsEnabled ?? true
  const operations = options.operations ?? memoryOperationLog()
  // Operations a second app (or curl) started over REST are listed for the page too.
  const stopListing = world.onRestStart((operationId) => void operations.add(operationId).catch(() => {}))
  /** Upgrade requests per kind, accepted or not: what "no further attempts" is measured by. */
  const upgrades = { project: 0, scan: 0 }
  const allowedHosts = options.allowedHosts ?? demoHosts()
  const pageOrigins = options.pageOrigins ?? world.allowedOrigins ?? demoOrigins()
  // Each refused origin and host is named once, with the variable that allows it, as the reference
  // server does for its own routes (separate budgets, as there).
  const refusedOrigins = world.logger && new RefusedOrigins(new Log(world.logger))
  const refusedHosts = world.logger && new RefusedOrigins(new Log(world.logger))
  const hostAllowed = (req: IncomingMessage) => {
    if (isHostAllowed(allowedHosts, req.headers.host)) return true
    refusedHosts?.host(req.headers.host)
    return false
  }
  const originAllowed = (req: IncomingMessage, where: 'socket' | 'request') => {
    if (req.headers.origin === undefined || isOriginAllowed(pageOrigins, req.headers.origin)) return true
    refusedOrigins?.note(req.headers.origin, where)
    return false
  }
  // Subprotocols as the reference server picks them (`bearer` is answered, the token never echoed).
  const scanWss = new WebSocketServer({ noServer: true, handleProtocols: selectProtocol })

  const http: Server = createServer((req, res) => {
    void (async () => {
      // A malformed request target (`//a:99999/`) must not take the demo down.
      if (!hostAllowed(req)) return sendJson(res, 403, { detail: 'host not allowed' })
      const url = requestTarget(req.url)
      if (!url) return sendJson(res, 400, { detail: 'bad request target' })
      if (url.pathname.startsWith('/api/demo/')) return demoRoute(req, res, url)
      if (world.server.handleRequest(req, res)) return
      serveStatic(res, url.pathname)
    })().catch((error: unknown) => sendJson(res, 500, { detail: String(error) }))
  })

  async function demoRoute(req: IncomingMessage, res: ServerResponse, url: URL) {
    // Browsers send `Origin` on every cross-origin request and on same-origin POSTs: a page of
    // another site is refused here, before a simple (unpreflighted) POST could start anything.
    if (!originAllowed(req, 'request')) return sendJson(res, 403, { detail: 'origin not allowed' })
    if (answerCors(req, res, options.corsOrigins)) return
    if (options.routes && (await options.routes(req, res, url))) return
    const route = `${req.method} ${url.pathname}`
    if (route === 'GET /api/demo/operations') return sendJson(res, 200, { projectId: PROJECT, operations: await operations.list() })
    if (route === 'POST /api/demo/operations') {
      const read = await readJsonBody(req, MAX_DEMO_BODY_BYTES)
      if (!read.ok) return refuseBody(res, read)
      const body = read.value
      const type = String(body.type ?? 'index') as OperationType
      if (!operationTypes.includes(type)) return sendJson(res, 400, { detail: 'unknown type' })
      const operationId = world.startOperation(type, typeof body.totalFiles === 'number' ? body.totalFiles : undefined)
      // Answered once the operation is known to the bus (and so to every instance).
      await Promise.all([operations.add(operationId), world.published()])
      return sendJson(res, 201, { operationId })
    }
    // The tab's own token says whose token 'reject' revokes, and which switch state is that tab's.
    if (route === 'POST /api/demo/trouble') {
      const read = await readJsonBody(req, MAX_DEMO_BODY_BYTES)
      if (!read.ok) return refuseBody(res, read)
      const mode = String(read.value.mode ?? 'none') as Trouble
      if (!['none', 'drop', 'silent', 'reject'].includes(mode)) return sendJson(res, 400, { detail: 'unknown mode' })
      world.setTrouble(mode, bearer(req))
      return sendJson(res, 200, { mode: world.troubleFor(bearer(req)) })
    }
    if (route === 'GET /api/demo/trouble') return sendJson(res, 200, { mode: world.troubleFor(bearer(req)) })
    if (route === 'POST /api/demo/login') return sendJson(res, 200, { token: world.login() })
    if (route === 'GET /api/demo/stats') return sendJson(res, 200, { ...world.stats(), upgrades })
    // The page asks whether it is served by a cluster (see demo/cluster.ts); here: one instance.
    if (route === 'GET /api/demo/cluster') return sendJson(res, 200, { self: null, instances: [] })
    return sendJson(res, 404, { detail: 'not found' })
  }

  function serveStatic(res: ServerResponse, pathname: string) {
    const relative = normalize(pathname === '/' ? '/index.html' : pathname).replace(/^(\.\.[/\\])+/, '')
    let file = join(clientDir, relative)
    if (!file.startsWith(clientDir) || !existsSync(file) || statSync(file).isDirectory()) file = join(clientDir, 'index.html')
    if (!existsSync(file)) return sendJson(res, 500, { detail: 'the demo page is not built: run `npm start`' })
    res.writeHead(200, { 'Content-Type': types[extname(file)] ?? 'application/octet-stream' })
    createReadStream(file).pipe(res)
  }

  http.on('upgrade', (req, socket, head) => {
    if (!hostAllowed(req)) return rejectUpgrade(socket, 403, 'Forbidden')
    const url = requestTarget(req.url)
    if (!url) return rejectUpgrade(socket, 400, 'Bad Request')
    if (url.pathname.startsWith('/ws/scan/')) upgrades.scan++
    else upgrades.project++
    if (!socketsEnabled || world.trouble === 'drop') {
      rejectUpgrade(socket, 503, 'Service Unavailable')
      return
    }
    if (/^\/ws\/scan\/[^/]+$/.test(url.pathname)) {
      // Sockets are not held to CORS: without this a page of any site could open the scan socket
      // with the demo's fixed token (the project sockets' own check is the reference server's).
      if (!originAllowed(req, 'socket')) return rejectUpgrade(socket, 403, 'Forbidden')
      scanWss.handleUpgrade(req, socket, head, (ws) => {
        // As the reference server does by default: no token in a URL (access logs keep URLs).
        if (url.searchParams.get('token')) return ws.close(4401, TOKEN_IN_URL_REASON)
        // A `bearer, <token>` subprotocol, or else the `{ type: 'auth', token }` first message.
        world.handleScanSocket(ws, tokenFromRequest(req, url, 'token'))
      })
      return
    }
    if (!world.server.handleUpgrade(req, socket, head)) rejectUpgrade(socket, 404, 'Not Found')
  })

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject)
    http.listen(port, host, resolve)
  })
  const address = http.address() as AddressInfo
  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    upgrades,
    setSocketsEnabled(enabled: boolean) {
      socketsEnabled = enabled
    },
    /** Stops like a crashed API process: every connection cut, the port freed. */
    async close() {
      stopListing()
      world.server.terminateAll()
      for (const client of scanWss.clients) client.terminate()
      http.closeAllConnections()
      await new Promise<void>((resolve) => http.close(() => resolve()))
    },
  }
}
