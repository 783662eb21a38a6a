import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import { WebSocketServer } from 'ws'
import { CloseCode } from '../transport/closeCodes'
import type { Session } from './connection/session'
import { transports, type SessionSink, type Transport } from './connection/sink'
import type { EventBus, SequencedEvent } from './eventBus'
import { ProjectRegistry } from './fanout/projectRegistry'
import { requestTarget } from './http/requestTarget'
import { isHostAllowed } from './http/hostPolicy'
import { isOriginAllowed, malformedOrigins, RefusedOrigins } from './http/originPolicy'
import { guardSocket, rejectUpgrade, sendJson } from './http/respond'
import { answerSocketProbe } from './http/socketProbe'
import { answerCors, matchRestRoute, serveRest, type RestContext } from './http/restRoutes'
import { isServiceRoute, serveService, type ServiceContext } from './http/serviceRoutes'
import { isSseRoute, serveSse, type SseContext } from './http/sseRoute'
import { isValidId, projectIdFromSegment } from './limits/projectId'
import { UserConnections } from './limits/userConnections'
import { errorFields, Log } from './logger'
import { withTimeout } from './withTimeout'
import { ServerMetrics, prometheusText, type MetricsSnapshot } from './metrics/serverMetrics'
import { ANY_AUTHENTICATED_USER, resolveOptions, type AuthorizationMode, type LiveStatusServerOptions, type ResolvedOptions } from './options'
import { ProjectState } from './projectState'
import { selectProtocol } from './tokenFromRequest'
import { admitSocket, type AdmissionContext } from './upgrade/admitSocket'
import { AccessRechecks } from './upgrade/checkAccess'

export { CloseCode } from '../transport/closeCodes'
export type { LiveStatusServerOptions } from './options'

const PROJECT_SOCKET = /^\/ws\/projects\/([^/]+)\/?$/

/**
 * The reference server: speaks live-status's protocol on `/ws/projects/{projectId}` (snapshot,
 * then live events with `seq`, `?since=` replay, batching, ping/pong) and the same frames as
 * Server-Sent Events on `/sse/projects/{projectId}`, serves the REST routes the hooks' default
 * endpoints use, and `/healthz`, `/readyz`, `/metrics`. The pieces live beside it: `upgrade/`
 * (admission), `connection/` (one client, and the socket or SSE response it writes to), `fanout/`
 * (projects, replay, framing), `limits/`, `http/`, `metrics/`.
 */
export class LiveStatusServer<User = unknown> {
  readonly bus: EventBus
  #options: ResolvedOptions<User>
  #log: Log
  #metrics = new ServerMetrics()
  #wss: WebSocketServer
  #sessions = new Set<Session>()
  #authenticating = new Set<SessionSink>()
  #rechecks: AccessRechecks<User>
  #users: UserConnections
  #projects: ProjectRegistry
  #sweep: ReturnType<typeof setInterval>
  #checkpoints: ReturnType<typeof setInterval> | undefined
  #http: Server | undefined
  #closing: Promise<void> | undefined
  #admission: AdmissionContext<User>
  #rest: RestContext<User>
  #service: ServiceContext
  #sse: SseContext<User>
  #refusedOrigins: RefusedOrigins
  #refusedHosts: RefusedOrigins

  constructor(options: LiveStatusServerOptions<User>) {
    const resolved = resolveOptions(options)
    this.#options = resolved
    this.#log = new Log(resolved.logger)
    this.bus = resolved.bus
    this.#users = new UserConnections()
    this.#projects = new ProjectRegistry(resolved.bus, {
      batchIntervalMs: resolved.batchIntervalMs,
      batchMaxEvents: resolved.batchMaxEvents,
      maxFrameBytes: resolved.maxFrameBytes,
      onEventIn: () => this.#metrics.eventsIn++,
      onDropped: (reason) => {
        this.#metrics.drop(reason)
        this.#log.warn('an event could not be sent', { reason, maxFrameBytes: resolved.maxFrameBytes })
      },
      rebuildTimeoutMs: resolved.rebuildTimeoutMs,
      operationChannel: resolved.operationChannel,
      onBusError: (what, error) => this.#log.error(what === 'rebuild' ? 'could not rebuild a project from the bus' : 'could not write a checkpoint', errorFields(error)),
    })
    this.#wss = new WebSocketServer({ noServer: true, clientTracking: false, maxPayload: resolved.maxPayloadBytes, handleProtocols: selectProtocol })
    this.#logAuthorization(resolved.authorization)
    this.#refusedOrigins = new RefusedOrigins(this.#log)
    // Its own budget of named refusals: a page cycling through made-up host names must not use up
    // the warnings a misconfigured origin will need.
    this.#refusedHosts = new RefusedOrigins(this.#log)
    const malformed = malformedOrigins(resolved.allowedOrigins)
    if (malformed.length > 0)
      this.#log.warn('`allowedOrigins` lists entries no browser sends as an Origin (scheme://host[:port], no path, no trailing slash): they allow nothing', { entries: malformed.map((e) => e.slice(0, 200)) })
    const isClosing = () => this.#closing !== undefined
    this.#rechecks = new AccessRechecks({ options: resolved, log: this.#log, metrics: this.#metrics })
    this.#admission = {
      options: resolved,
      log: this.#log,
      metrics: this.#metrics,
      users: this.#users,
      authenticating: this.#authenticating,
      rechecks: this.#rechecks,
      register: (session) => this.#register(session),
      channel: (projectId) => this.#projects.acquire(projectId),
    }
    this.#rest = { options: resolved, log: this.#log, projects: this.#projects, publish: (projectId, event) => this.publish(projectId, event) }
    this.#service = { isClosing, busReady: () => this.#busReady(), metrics: () => this.metrics() }
    this.#sse = { admission: this.#admission, isClosing, onOriginRefused: (origin) => this.#refusedOrigins.note(origin, 'SSE') }
    this.#metrics.sample()
    this.#sweep = setInterval(() => this.#sweepOnce(), Math.max(1000, Math.floor(resolved.idleTimeoutMs / 4)))
    this.#sweep.unref?.()
    if (resolved.bus.checkpoint) {
      this.#checkpoints = setInterval(() => void this.#projects.checkpointAll(), resolved.checkpointIntervalMs)
      this.#checkpoints.unref?.()
    }
  }

  /** Open connections (sockets and SSE streams), in total and per project. */
  get stats(): { connections: number; projects: Record<string, number> } {
    const projects: Record<string, number> = {}
    for (const session of this.#sessions) projects[session.projectId] = (projects[session.projectId] ?? 0) + 1
    return { connections: this.#sessions.size, projects }
  }

  /** Counters and gauges (what `/metrics` serves). */
  metrics(): MetricsSnapshot {
    const connectionsByTransport = Object.fromEntries(transports.map((t) => [t, 0])) as Record<Transport, number>
    for (const session of this.#sessions) connectionsByTransport[session.sink.transport]++
    const snapshot = this.#metrics.snapshot({ connections: this.#sessions.size, connectionsByTransport, authenticating: this.#authenticating.size, projects: this.#projects.size })
    // Counted by the bus, whose reader drops them (the bus is the app's: it holds no server metrics).
    snapshot.drops.unreadable_entry = this.bus.unreadableEntries ?? 0
    return snapshot
  }

  /** `metrics()` in the Prometheus text format. */
  prometheusMetrics(): string {
    return prometheusText(this.metrics())
  }

  /** Projects and operation ids held in memory (both return to 0 when nothing is live or retained). */
  get retained(): { projects: number; operations: number; users: number } {
    return { projects: this.#projects.size, operations: this.#projects.operationCount, users: this.#users.users }
  }

  /** The server's current view of a project (index and operations); an empty one when it holds none. */
  state(projectId: string): ProjectState {
    return this.#projects.get(projectId)?.state ?? new ProjectState(projectId, this.#options.operationChannel)
  }

  /**
   * Publishes an event of `projectId` to its clients (and to other instances through the bus).
   * Operation events must name their `operation_id`. Returns the event with its `seq`.
   */
  async publish(projectId: string, event: Record<string, unknown> & { type: string }): Promise<SequencedEvent> {
    if (typeof event?.type !== 'string') throw new TypeError('[live-status/server] publish(projectId, event): event.type must be a string')
    if (!isValidId(projectId, this.#options.projectIdPattern))
      throw new TypeError(`[live-status/server] publish(projectId, event): project id ${JSON.stringify(String(projectId).slice(0, 40))} does not match projectIdPattern`)
    if (typeof event.operation_id === 'string') this.#projects.noteOperation(event.operation_id, projectId)
    // Subscribed before publishing, so the state sees this event (not after close(): nothing would release it).
    if (!this.#closing) this.#projects.acquire(projectId)
    return this.bus.publish(projectId, event)
  }

  /** Handles the upgrade if it is for a project socket; returns false to let others handle it. Never throws. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    if (this.#refusesHost(request)) {
      guardSocket(socket, this.#onRawSocketError)
      rejectUpgrade(socket, 403, 'Forbidden')
      return true
    }
    const url = requestTarget(request.url)
    const match = url && PROJECT_SOCKET.exec(url.pathname)
    if (!match) return false
    guardSocket(socket, this.#onRawSocketError)
    try {
      const projectId = projectIdFromSegment(match[1]!, this.#options.projectIdPattern)
      if (projectId === null) {
        this.#metrics.drop('bad_request')
        rejectUpgrade(socket, 400, 'Bad Request')
        return true
      }
      if (this.#closing) {
        this.#metrics.drop('closing')
        rejectUpgrade(socket, 503, 'Service Unavailable')
        return true
      }
      const { allowedOrigins } = this.#options
      const origin = request.headers.origin
      if (allowedOrigins && !isOriginAllowed(allowedOrigins, origin)) {
        this.#metrics.drop('origin')
        this.#refusedOrigins.note(origin, 'socket')
        rejectUpgrade(socket, 403, 'Forbidden')
        return true
      }
      this.#wss.handleUpgrade(request, socket, head, (ws) => {
        if (this.#closing) return void ws.close(CloseCode.goingAway, 'server shutting down')
        void admitSocket(this.#admission, ws, request, url, projectId)
      })
    } catch (error) {
      this.#metrics.drop('internal_error')
      // Never the URL; and a token in its query is masked should an error quote it.
      this.#log.error('upgrade failed', errorFields(error, url.searchParams.get(this.#options.tokenQueryParam)))
      rejectUpgrade(socket, 500, 'Internal Server Error')
    }
    return true
  }

  /** Serves the SSE streams, the REST and service routes; returns false for any other path. Never throws. */
  handleRequest(request: IncomingMessage, response: ServerResponse): boolean {
    if (this.#refusesHost(request)) {
      sendJson(response, 403, { detail: 'host not allowed' })
      return true
    }
    const url = requestTarget(request.url)
    if (!url) return false
    try {
      if (this.#options.serviceRoutes && isServiceRoute(url.pathname)) {
        void serveService(this.#service, request, response, url).catch((error: unknown) => this.#answer500(response, 'service route failed', error))
        return true
      }
      const socketPath = PROJECT_SOCKET.exec(url.pathname)
      if (socketPath && !request.headers.upgrade) {
        answerSocketProbe(request, response, {
          allowedOrigins: this.#options.allowedOrigins,
          onRefused: this.#onCorsRefused,
          projectIdValid: projectIdFromSegment(socketPath[1]!, this.#options.projectIdPattern) !== null,
          closing: this.#closing !== undefined,
        })
        return true
      }
      if (isSseRoute(url.pathname)) {
        serveSse(this.#sse, request, response, url)
        return true
      }
      const route = matchRestRoute(url.pathname)
      if (!route) return false
      if (answerCors(request, response, this.#options.allowedOrigins, this.#onRestOriginRefused)) return true
      if (this.#closing) {
        sendJson(response, 503, { detail: 'server shutting down' })
        return true
      }
      void serveRest(this.#rest, request, response, url, route).catch((error: unknown) => this.#answer500(response, 'REST handler failed', error))
    } catch (error) {
      this.#answer500(response, 'request handler failed', error)
    }
    return true
  }

  /** Serves upgrades (and, when the server has no other handler, 404s the rest) on `server`. */
  attach(server: Server): void {
    server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (this.handleUpgrade(request, socket, head)) return
      if (server.listenerCount('upgrade') > 1) return
      if (requestTarget(request.url)) rejectUpgrade(socket, 404, 'Not Found')
      else rejectUpgrade(socket, 400, 'Bad Request')
    })
  }

  /**
   * Listens on its own HTTP server (REST, service routes and sockets). `otherRoutes` is tried for
   * requests that are none of the server's; it returns true when it answered.
   */
  async listen(port = 0, host = '127.0.0.1', otherRoutes?: (request: IncomingMessage, response: ServerResponse, url: URL) => boolean): Promise<{ port: number; url: string }> {
    const http = createServer((request, response) => {
      if (this.handleRequest(request, response)) return
      const url = requestTarget(request.url)
      if (!url) return sendJson(response, 400, { detail: 'bad request target' })
      try {
        if (otherRoutes?.(request, response, url)) return
      } catch (error) {
        return this.#answer500(response, 'otherRoutes threw', error)
      }
      sendJson(response, 404, { detail: 'not found' })
    })
    // Malformed HTTP: answer 400 if the socket still takes it, never throw on a reset.
    http.on('clientError', (_error: Error, socket: Duplex) => {
      this.#metrics.drop('bad_request')
      rejectUpgrade(socket, 400, 'Bad Request')
    })
    this.attach(http)
    this.#http = http
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject)
      http.listen(port, host, () => {
        http.off('error', reject)
        resolve()
      })
    })
    http.on('error', (error) => this.#log.error('HTTP server error', errorFields(error)))
    const address = http.address() as AddressInfo
    this.#log.info('listening', { host, port: address.port })
    return { port: address.port, url: `http://${host}:${address.port}` }
  }

  /** Closes every socket with `code` (1001 by default, so clients reconnect), and ends every SSE stream. */
  disconnectAll(code: number = CloseCode.goingAway, reason = 'server going away'): void {
    for (const session of [...this.#sessions]) session.sink.close(code, reason)
  }

  /** Drops every socket without a close frame, and every SSE stream mid-way, like a crashed process. */
  terminateAll(): void {
    for (const session of [...this.#sessions]) session.sink.terminate()
    for (const sink of [...this.#authenticating]) sink.terminate()
  }

  /**
   * Drains: stops admitting at once (new upgrades and SSE requests get 503, sockets still
   * authenticating get 1001, SSE requests not yet answered 503), sends the batches waiting, closes
   * every socket with 1001 and ends every SSE stream (clients reconnect, to another instance),
   * terminates those that have not closed after `closeTimeoutMs`, then closes its own HTTP server.
   * Resolves when done; calling it again returns the same promise.
   */
  close(): Promise<void> {
    this.#closing ??= this.#drain()
    return this.#closing
  }

  async #drain(): Promise<void> {
    clearInterval(this.#sweep)
    clearInterval(this.#checkpoints)
    this.#rechecks.dispose()
    this.#log.info('draining', { connections: this.#sessions.size, authenticating: this.#authenticating.size })
    const sinks = [...this.#authenticating, ...[...this.#sessions].map((s) => s.sink)]
    for (const sink of [...this.#authenticating]) sink.close(CloseCode.goingAway, 'server shutting down')
    this.#projects.flushAll()
    for (const session of [...this.#sessions]) session.sink.close(CloseCode.goingAway, 'server shutting down')
    await waitClosed(sinks, this.#options.closeTimeoutMs)
    // The last state this instance folded outlives it, for the instances that stay.
    // Bounded: a bus that is down must not hold the shutdown.
    await withTimeout(this.#projects.checkpointAll(), this.#options.closeTimeoutMs, () => undefined)
    this.#projects.dispose()
    this.#wss.close()
    const http = this.#http
    if (http) {
      const closed = new Promise<void>((resolve) => http.close(() => resolve()))
      http.closeIdleConnections()
      const timer = setTimeout(() => http.closeAllConnections(), this.#options.closeTimeoutMs)
      await closed
      clearTimeout(timer)
    }
    this.#log.info('closed')
  }

  // ---- internals ----------------------------------------------------------------------------

  /** Once, at creation: who may join which project. */
  #logAuthorization(mode: AuthorizationMode): void {
    const fields = { authorization: mode }
    if (mode === 'none')
      this.#log.warn(
        "no `authorize` option: every project join is refused (4403 on sockets, 403 on SSE and REST). Pass `authorize(user, projectId)`, or `authorize: 'any-authenticated-user'` if every authenticated user may see every project.",
        fields,
      )
    else if (mode === ANY_AUTHENTICATED_USER) this.#log.info("authorization: any authenticated user may join any project (`authorize: 'any-authenticated-user'`)", fields)
    else this.#log.info('authorization: per project, by `authorize(user, projectId)`', fields)
  }

  /**
   * One function for every raw socket: a closure made inside `handleUpgrade` would share its scope
   * and keep each connection's request and URL alive as long as the socket.
   */
  #onRawSocketError = () => this.#metrics.drop('socket_error')

  #onCorsRefused = (origin: string) => this.#refusedOrigins.note(origin, 'REST')

  #onRestOriginRefused = (origin: string) => {
    this.#metrics.drop('origin')
    this.#onCorsRefused(origin)
  }

  /** Whether `allowedHosts` refuses the request's `Host` (counted and logged when it does). */
  #refusesHost(request: IncomingMessage): boolean {
    const { allowedHosts } = this.#options
    if (!allowedHosts || isHostAllowed(allowedHosts, request.headers.host)) return false
    this.#metrics.drop('host')
    this.#refusedHosts.host(request.headers.host)
    return true
  }

  #register(session: Session): void {
    this.#sessions.add(session)
    session.sink.onAlive(() => (session.lastSeenAt = Date.now()))
    // The one close listener of an admitted connection: what else it is held in lets go here.
    session.sink.onClose(() => {
      this.#rechecks.delete(session.sink)
      if (!this.#sessions.delete(session)) return
      this.#users.release(session.userId)
      const channel = this.#projects.get(session.projectId)
      channel?.leave(session)
      this.#projects.releaseIfIdle(session.projectId)
    })
  }

  async #busReady(): Promise<boolean> {
    const check = this.bus.ready ? this.bus.ready() : Promise.resolve(true)
    try {
      return (await withTimeout(check.then((ok) => ok !== false), this.#options.readinessTimeoutMs, () => false)) === true
    } catch {
      return false
    }
  }

  #answer500(response: ServerResponse, what: string, error: unknown): void {
    this.#metrics.drop('internal_error')
    this.#log.error(what, errorFields(error))
    try {
      sendJson(response, 500, { detail: 'internal error' })
    } catch {
      response.destroy()
    }
  }

  #sweepOnce(): void {
    try {
      const cutoff = Date.now() - this.#options.idleTimeoutMs
      for (const session of [...this.#sessions]) {
        // An SSE client cannot answer: it watches the heartbeat and reconnects, and a dead one is
        // found by TCP (a reset, a failed write) or the slow-consumer limit.
        if (!session.sink.answersPings) continue
        // A streaming client need not ping (every frame proves the link to it): liveness is asked
        // with protocol pings, which browsers answer by themselves.
        if (session.lastSeenAt < cutoff) {
          this.#metrics.drop('idle')
          session.sink.terminate()
        } else if (session.open) session.sink.ping()
      }
      this.#projects.sweep(Date.now() - this.#options.retainFinishedMs)
      this.#metrics.sample()
    } catch (error) {
      this.#log.error('sweep failed', errorFields(error))
    }
  }
}

function waitClosed(sinks: SessionSink[], timeoutMs: number): Promise<void> {
  const open = sinks.filter((s) => !s.closed)
  if (open.length === 0) return Promise.resolve()
  return new Promise((resolve) => {
    let left = open.length
    const timer = setTimeout(() => {
      for (const sink of open) if (!sink.closed) sink.terminate()
      resolve()
    }, timeoutMs)
    for (const sink of open)
      sink.onClose(() => {
        if (--left === 0) {
          clearTimeout(timer)
          resolve()
        }
      })
  })
}

/** Creates the reference server. */
export function createLiveStatusServer<User>(options: LiveStatusServerOptions<User>): LiveStatusServer<User> {
  return new LiveStatusServer(options)
}

