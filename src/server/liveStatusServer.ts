import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import { WebSocketServer, type WebSocket } from 'ws'
import { InMemoryEventBus, type EventBus, type SequencedEvent } from './eventBus'
import { ProjectState } from './projectState'
import { bearerToken, selectProtocol, tokenFromRequest } from './tokenFromRequest'

/** Close codes the server uses after the upgrade, so clients can tell why. */
export const CloseCode = {
  unauthenticated: 4401,
  forbidden: 4403,
  tooManyConnections: 4429,
  tooLarge: 1009,
  internalError: 1011,
  policy: 1008,
  goingAway: 1001,
} as const

export interface LiveStatusServerOptions<User> {
  /** Who owns `token`; `null`/`undefined` rejects it (4401 on sockets, 401 on REST). */
  authenticate: (token: string, request: IncomingMessage) => User | null | undefined | Promise<User | null | undefined>
  /** Whether `user` may see `projectId` (4403 / 403 when not). @default () => true */
  authorize?: (user: User, projectId: string) => boolean | Promise<boolean>
  /** A stable id for per-user limits. @default (user) => user.id ?? String(user) */
  userId?: (user: User) => string
  /**
   * When set, upgrades whose `Origin` is not listed are refused with 403 (cross-site WebSocket
   * hijacking), and REST answers listed origins with CORS headers (pages served elsewhere).
   * @default undefined
   */
  allowedOrigins?: readonly string[]
  /** Sockets one user may hold at once; the next gets 4429. @default 10 */
  maxConnectionsPerUser?: number
  /** Largest client frame; bigger ones close the socket with 1009. @default 65536 */
  maxPayloadBytes?: number
  /** A client that sends nothing (not even a ping) for this long is dropped. @default 60000 */
  idleTimeoutMs?: number
  /** Events of a burst are sent together after this long… @default 50 */
  batchIntervalMs?: number
  /** …or as soon as this many are waiting. @default 100 */
  batchMaxEvents?: number
  /** A client whose unsent data exceeds this is too slow and is dropped. @default 4194304 (4 MiB) */
  maxBufferedBytes?: number
  /**
   * Finished operations (completed, failed, cancelled) are forgotten this long after their last
   * event, so a long-running server does not grow without bound. `Infinity` keeps them.
   * @default 3600000 (1 hour)
   */
  retainFinishedMs?: number
  /** With message auth, the time allowed for the `{ type: 'auth', token }` frame. @default 5000 */
  authTimeoutMs?: number
  /** Query parameter carrying the token. @default 'token' */
  tokenQueryParam?: string
  /** Fan-out and history. @default new InMemoryEventBus({ historySize: 1000 }) */
  bus?: EventBus
  /** Called by `POST …/reindex` after `index_queued` is published; start the job here. @default undefined (501) */
  onReindex?: (projectId: string, branch: string | undefined, user: User) => void | Promise<void>
  /** Called for each accepted, authenticated socket (metrics, fault injection). @default undefined */
  onConnection?: (socket: WebSocket, info: { projectId: string; userId: string }) => void
  /** Where failures are reported; never given a token. @default console.warn */
  log?: (message: string, error?: unknown) => void
}

interface Client {
  socket: WebSocket
  projectId: string
  userId: string
  lastSeenAt: number
  /** Events at or below this seq were in the snapshot or replay already. */
  minSeq: number
  ready: boolean
  invalidFrames: number
}

interface ProjectChannel {
  clients: Set<Client>
  buffer: SequencedEvent[]
  timer: ReturnType<typeof setTimeout> | undefined
  unsubscribe: () => void
}

const PROJECT_SOCKET = /^\/ws\/projects\/([^/]+)\/?$/
const INDEX_STATUS = /^\/api\/projects\/([^/]+)\/index\/?$/
const REINDEX = /^\/api\/projects\/([^/]+)\/index\/reindex\/?$/
const OPERATION = /^\/api\/operations\/([^/]+)\/?$/

const decode = (segment: string) => {
  try {
    return decodeURIComponent(segment)
  } catch {
    return null
  }
}

/**
 * The reference server: speaks live-status's protocol on `/ws/projects/{projectId}` (snapshot,
 * then live events with `seq`, `?since=` replay, batching, ping/pong) and serves the REST routes
 * the hooks' default endpoints use.
 */
export class LiveStatusServer<User = unknown> {
  readonly bus: EventBus
  #options: Required<Omit<LiveStatusServerOptions<User>, 'allowedOrigins' | 'onReindex' | 'onConnection' | 'bus'>> &
    Pick<LiveStatusServerOptions<User>, 'allowedOrigins' | 'onReindex' | 'onConnection'>
  #wss: WebSocketServer
  #clients = new Set<Client>()
  #byUser = new Map<string, number>()
  #channels = new Map<string, ProjectChannel>()
  #states = new Map<string, ProjectState>()
  #operationProjects = new Map<string, string>()
  #sweep: ReturnType<typeof setInterval>
  #http: Server | undefined
  #closed = false

  constructor(options: LiveStatusServerOptions<User>) {
    const {
      authenticate,
      authorize = () => true,
      userId = (user: User) => {
        const id = (user as { id?: unknown } | null)?.id
        return id === undefined ? String(user) : String(id)
      },
      allowedOrigins,
      maxConnectionsPerUser = 10,
      maxPayloadBytes = 64 * 1024,
      idleTimeoutMs = 60_000,
      batchIntervalMs = 50,
      batchMaxEvents = 100,
      maxBufferedBytes = 4 * 1024 * 1024,
      authTimeoutMs = 5000,
      retainFinishedMs = 3_600_000,
      tokenQueryParam = 'token',
      bus = new InMemoryEventBus({ historySize: 1000 }),
      onReindex,
      onConnection,
      log = (message: string, error?: unknown) => console.warn(`[live-status/server] ${message}`, error ?? ''),
    } = options
    this.#options = {
      authenticate,
      authorize,
      userId,
      allowedOrigins,
      maxConnectionsPerUser,
      maxPayloadBytes,
      idleTimeoutMs,
      batchIntervalMs,
      batchMaxEvents,
      maxBufferedBytes,
      authTimeoutMs,
      retainFinishedMs,
      tokenQueryParam,
      onReindex,
      onConnection,
      log,
    }
    this.bus = bus
    this.#wss = new WebSocketServer({ noServer: true, maxPayload: maxPayloadBytes, handleProtocols: selectProtocol })
    this.#sweep = setInterval(() => {
      this.#dropIdle()
      this.#forgetFinished()
    }, Math.max(1000, Math.floor(idleTimeoutMs / 4)))
    this.#sweep.unref?.()
  }

  /** Open sockets, in total and per project. */
  get stats(): { connections: number; projects: Record<string, number> } {
    const projects: Record<string, number> = {}
    for (const client of this.#clients) projects[client.projectId] = (projects[client.projectId] ?? 0) + 1
    return { connections: this.#clients.size, projects }
  }

  /** The server's current view of a project (index and operations). */
  state(projectId: string): ProjectState {
    let state = this.#states.get(projectId)
    if (!state) this.#states.set(projectId, (state = new ProjectState(projectId)))
    return state
  }

  /**
   * Publishes an event of `projectId` to its clients (and to other instances through the bus).
   * Operation events must name their `operation_id`. Returns the event with its `seq`.
   */
  async publish(projectId: string, event: Record<string, unknown> & { type: string }): Promise<SequencedEvent> {
    if (typeof event?.type !== 'string') throw new TypeError('[live-status/server] publish(projectId, event): event.type must be a string')
    if (typeof event.operation_id === 'string') this.#operationProjects.set(event.operation_id, projectId)
    // Subscribing the state before publishing keeps the snapshot and the stream consistent.
    this.#channel(projectId)
    return this.bus.publish(projectId, event)
  }

  /** Handles the upgrade if it is for a project socket; returns false to let others handle it. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const url = new URL(request.url ?? '/', 'http://localhost')
    const match = PROJECT_SOCKET.exec(url.pathname)
    if (!match) return false
    const projectId = decode(match[1]!)
    const origin = request.headers.origin
    if (projectId === null || this.#closed) {
      rejectUpgrade(socket, 400, 'Bad Request')
      return true
    }
    if (this.#options.allowedOrigins && (!origin || !this.#options.allowedOrigins.includes(origin))) {
      rejectUpgrade(socket, 403, 'Forbidden')
      return true
    }
    this.#wss.handleUpgrade(request, socket, head, (ws) => {
      this.#accept(ws, request, url, projectId).catch((error: unknown) => {
        this.#options.log('connection setup failed', error)
        ws.close(CloseCode.internalError, 'internal error')
      })
    })
    return true
  }

  /** Serves the REST routes; returns false for any other path. */
  handleRequest(request: IncomingMessage, response: ServerResponse): boolean {
    const url = new URL(request.url ?? '/', 'http://localhost')
    const path = url.pathname
    const route = INDEX_STATUS.exec(path) ?? REINDEX.exec(path) ?? OPERATION.exec(path)
    if (!route) return false
    const origin = request.headers.origin
    if (origin && this.#options.allowedOrigins?.includes(origin)) {
      response.setHeader('Access-Control-Allow-Origin', origin)
      response.setHeader('Vary', 'Origin')
      if (request.method === 'OPTIONS') {
        response.writeHead(204, {
          'Access-Control-Allow-Methods': 'GET, POST, OPTIONS',
          'Access-Control-Allow-Headers': 'Authorization, Content-Type',
          'Access-Control-Max-Age': '600',
        })
        response.end()
        return true
      }
    }
    void this.#rest(request, response, url).catch((error: unknown) => {
      this.#options.log('REST handler failed', error)
      if (!response.headersSent) sendJson(response, 500, { detail: 'internal error' })
      else response.end()
    })
    return true
  }

  /** Serves upgrades (and, when the server has no other handler, 404s the rest) on `server`. */
  attach(server: Server): void {
    server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (this.handleUpgrade(request, socket, head)) return
      if (server.listenerCount('upgrade') === 1) rejectUpgrade(socket, 404, 'Not Found')
    })
  }

  /** Listens on its own HTTP server (REST + sockets). */
  async listen(port = 0, host = '127.0.0.1'): Promise<{ port: number; url: string }> {
    const http = createServer((request, response) => {
      if (!this.handleRequest(request, response)) sendJson(response, 404, { detail: 'not found' })
    })
    this.attach(http)
    this.#http = http
    await new Promise<void>((resolve) => http.listen(port, host, resolve))
    const address = http.address() as AddressInfo
    return { port: address.port, url: `http://${host}:${address.port}` }
  }

  /** Closes every socket with `code` (1001 by default, so clients reconnect). */
  disconnectAll(code: number = CloseCode.goingAway, reason = 'server going away'): void {
    for (const client of [...this.#clients]) client.socket.close(code, reason)
  }

  /** Drops every socket without a close frame, like a crashed process. */
  terminateAll(): void {
    for (const client of [...this.#clients]) client.socket.terminate()
  }

  async close(): Promise<void> {
    this.#closed = true
    clearInterval(this.#sweep)
    this.disconnectAll()
    for (const channel of this.#channels.values()) {
      channel.unsubscribe()
      if (channel.timer) clearTimeout(channel.timer)
    }
    this.#channels.clear()
    this.#wss.close()
    if (this.#http) {
      const http = this.#http
      http.closeAllConnections()
      await new Promise<void>((resolve) => http.close(() => resolve()))
    }
  }

  // ---- sockets ------------------------------------------------------------------------------

  async #accept(socket: WebSocket, request: IncomingMessage, url: URL, projectId: string): Promise<void> {
    const options = this.#options
    const early: unknown[] = []
    const onEarly = (data: unknown) => early.push(data)
    socket.on('message', onEarly)
    socket.on('error', (error) => options.log('socket error', error))

    let token = tokenFromRequest(request, url, options.tokenQueryParam)
    if (token === null) token = await this.#awaitAuthMessage(socket, early)
    if (token === null) return void socket.close(CloseCode.unauthenticated, 'authentication required')
    const user = await options.authenticate(token, request)
    if (user === null || user === undefined) return void socket.close(CloseCode.unauthenticated, 'invalid token')
    if (!(await options.authorize(user, projectId))) return void socket.close(CloseCode.forbidden, 'forbidden')
    if (socket.readyState !== socket.OPEN) return
    const userId = options.userId(user)
    const held = this.#byUser.get(userId) ?? 0
    if (held >= options.maxConnectionsPerUser) return void socket.close(CloseCode.tooManyConnections, 'too many connections')

    const client: Client = { socket, projectId, userId, lastSeenAt: Date.now(), minSeq: Infinity, ready: false, invalidFrames: 0 }
    this.#clients.add(client)
    this.#byUser.set(userId, held + 1)
    const channel = this.#channel(projectId)
    channel.clients.add(client)
    socket.off('message', onEarly)
    socket.on('message', (data, isBinary) => this.#onMessage(client, data, isBinary))
    socket.on('pong', () => (client.lastSeenAt = Date.now()))
    socket.on('close', () => this.#remove(client))
    options.onConnection?.(socket, { projectId, userId })

    // What the client missed, or the current state; then live events newer than that.
    const since = Number(url.searchParams.get('since'))
    const head = await this.bus.head(projectId)
    const replay = Number.isFinite(since) && since > 0 ? await this.bus.history(projectId, since) : null
    const first = replay ?? this.state(projectId).snapshot(head)
    client.minSeq = head
    if (first.length > 0) this.#send(client, JSON.stringify(first.length === 1 ? first[0] : { type: 'batch', events: first }))
    client.ready = true
    for (const data of early) this.#onMessage(client, data as Buffer, false)
  }

  #awaitAuthMessage(socket: WebSocket, early: unknown[]): Promise<string | null> {
    return new Promise((resolve) => {
      const done = (token: string | null) => {
        clearTimeout(timer)
        socket.off('message', onMessage)
        socket.off('close', onClose)
        resolve(token)
      }
      const onMessage = (data: unknown) => {
        try {
          const message = JSON.parse(String(data)) as { type?: unknown; token?: unknown }
          if (message.type === 'auth' && typeof message.token === 'string' && message.token) {
            early.splice(early.indexOf(data), 1)
            return done(message.token)
          }
        } catch {
          // Not JSON: not an auth frame.
        }
        done(null)
      }
      const onClose = () => done(null)
      const timer = setTimeout(() => done(null), this.#options.authTimeoutMs)
      socket.on('message', onMessage)
      socket.on('close', onClose)
    })
  }

  #onMessage(client: Client, data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): void {
    client.lastSeenAt = Date.now()
    if (!client.ready) return
    let message: { type?: unknown }
    try {
      if (isBinary) throw new Error('binary')
      message = JSON.parse(String(data)) as { type?: unknown }
      if (typeof message !== 'object' || message === null) throw new Error('not an object')
    } catch {
      return this.#invalid(client, 'invalid_json', 'frames must be JSON objects')
    }
    switch (message.type) {
      case 'ping':
        return this.#send(client, '{"type":"pong"}')
      case 'pong':
      case 'auth':
        return
      default:
        return this.#invalid(client, 'unsupported', `unsupported message type ${JSON.stringify(String(message.type)).slice(0, 60)}`)
    }
  }

  #invalid(client: Client, code: string, message: string): void {
    client.invalidFrames++
    if (client.invalidFrames > 20) return void client.socket.close(CloseCode.policy, 'too many invalid frames')
    this.#send(client, JSON.stringify({ type: 'error', code, message }))
  }

  #send(client: Client, text: string): void {
    const { socket } = client
    if (socket.readyState !== socket.OPEN) return
    if (socket.bufferedAmount > this.#options.maxBufferedBytes) {
      this.#options.log(`dropping a client of ${client.projectId} that does not keep up`)
      return void socket.terminate()
    }
    socket.send(text)
  }

  #remove(client: Client): void {
    if (!this.#clients.delete(client)) return
    const held = (this.#byUser.get(client.userId) ?? 1) - 1
    if (held <= 0) this.#byUser.delete(client.userId)
    else this.#byUser.set(client.userId, held)
    this.#channels.get(client.projectId)?.clients.delete(client)
  }

  /**
   * A client streaming events never needs to ping (every frame it receives proves the link to
   * it), so liveness is asked with protocol pings, which browsers answer by themselves.
   */
  #dropIdle(): void {
    const cutoff = Date.now() - this.#options.idleTimeoutMs
    for (const client of [...this.#clients]) {
      if (client.lastSeenAt < cutoff) client.socket.terminate()
      else if (client.socket.readyState === client.socket.OPEN) client.socket.ping()
    }
  }

  #forgetFinished(): void {
    const cutoff = Date.now() - this.#options.retainFinishedMs
    for (const state of this.#states.values()) {
      for (const operationId of state.forgetFinished(cutoff)) this.#operationProjects.delete(operationId)
    }
  }

  // ---- fan-out ------------------------------------------------------------------------------

  #channel(projectId: string): ProjectChannel {
    let channel = this.#channels.get(projectId)
    if (channel) return channel
    const state = this.state(projectId)
    const created: ProjectChannel = { clients: new Set(), buffer: [], timer: undefined, unsubscribe: () => {} }
    created.unsubscribe = this.bus.subscribe(projectId, (event) => {
      state.apply(event)
      if (created.clients.size === 0) return
      created.buffer.push(event)
      if (created.buffer.length >= this.#options.batchMaxEvents) this.#flush(created)
      else created.timer ??= setTimeout(() => this.#flush(created), this.#options.batchIntervalMs)
    })
    this.#channels.set(projectId, created)
    channel = created
    return channel
  }

  #flush(channel: ProjectChannel): void {
    if (channel.timer) clearTimeout(channel.timer)
    channel.timer = undefined
    const events = channel.buffer
    channel.buffer = []
    if (events.length === 0) return
    const frame = (list: SequencedEvent[]) => JSON.stringify(list.length === 1 ? list[0] : { type: 'batch', events: list })
    const all = frame(events)
    const firstSeq = events[0]!.seq
    for (const client of channel.clients) {
      if (!client.ready) continue
      // A client that joined mid-batch already has the older events in its snapshot.
      if (client.minSeq < firstSeq) this.#send(client, all)
      else {
        const newer = events.filter((e) => e.seq > client.minSeq)
        if (newer.length > 0) this.#send(client, frame(newer))
      }
    }
  }

  // ---- REST ---------------------------------------------------------------------------------

  async #rest(request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
    const path = url.pathname
    const token = bearerToken(request)
    const user = token ? await this.#options.authenticate(token, request) : null
    if (user === null || user === undefined) return sendJson(response, 401, { detail: 'not authenticated' })

    let match = REINDEX.exec(path)
    if (match) {
      if (request.method !== 'POST') return sendJson(response, 405, { detail: 'method not allowed' })
      const projectId = decode(match[1]!)
      if (projectId === null) return sendJson(response, 400, { detail: 'bad project id' })
      if (!(await this.#options.authorize(user, projectId))) return sendJson(response, 403, { detail: 'forbidden' })
      if (!this.#options.onReindex) return sendJson(response, 501, { detail: 'reindex is not configured on this server' })
      const branch = url.searchParams.get('branch') ?? undefined
      await this.publish(projectId, { type: 'index_queued', project_id: projectId, ...(branch ? { branch } : {}) })
      await this.#options.onReindex(projectId, branch, user)
      return sendJson(response, 202, { status: 'accepted', branch: branch ?? null })
    }
    if (request.method !== 'GET') return sendJson(response, 405, { detail: 'method not allowed' })
    match = INDEX_STATUS.exec(path)
    if (match) {
      const projectId = decode(match[1]!)
      if (projectId === null) return sendJson(response, 400, { detail: 'bad project id' })
      if (!(await this.#options.authorize(user, projectId))) return sendJson(response, 403, { detail: 'forbidden' })
      const body = this.#states.get(projectId)?.indexBody() ?? null
      return body ? sendJson(response, 200, body) : sendJson(response, 404, { detail: 'not indexed yet' })
    }
    match = OPERATION.exec(path)
    if (match) {
      const operationId = decode(match[1]!)
      const projectId = operationId === null ? undefined : this.#operationProjects.get(operationId)
      if (operationId === null || projectId === undefined) return sendJson(response, 404, { detail: 'no such operation' })
      if (!(await this.#options.authorize(user, projectId))) return sendJson(response, 403, { detail: 'forbidden' })
      return sendJson(response, 200, this.state(projectId).operationBody(operationId))
    }
    return sendJson(response, 404, { detail: 'not found' })
  }
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' })
  response.end(JSON.stringify(body))
}

function rejectUpgrade(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`)
}

/** Creates the reference server. */
export function createLiveStatusServer<User>(options: LiveStatusServerOptions<User>): LiveStatusServer<User> {
  return new LiveStatusServer(options)
}
